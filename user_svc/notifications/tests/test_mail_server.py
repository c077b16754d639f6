"""Order emails over SMTP: one kept connection carries the emails that follow each other,
against a real SMTP server (aiosmtpd) in a thread of the test process."""

import socket
import uuid

import pytest
from aiosmtpd.controller import Controller

from accounts.tests.factories import UserFactory
from notifications import mail
from notifications.models import Email
from notifications.tests.orders import order_payload

pytestmark = pytest.mark.django_db


class Mailbox:
    """What the server received: each message with the connection (session) it came on."""

    def __init__(self) -> None:
        self.received: list[tuple[int, str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((id(session), envelope.content.decode()))
        return "250 OK"

    @property
    def connections(self) -> int:
        return len({session for session, _ in self.received})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """An SMTP server on one port that can go away and come back (a new controller: one
    that stopped cannot start again)."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox, self.port, self.running = mailbox, free_port(), None

    def start(self) -> None:
        self.running = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.running.start()

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    server = Server(mailbox)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    yield mailbox, server
    mail.mail_server.close()
    server.stop()


def send_order_email(user, status: str, django_capture_on_commit_callbacks) -> Email:
    with django_capture_on_commit_callbacks(execute=True):
        queued = mail.queue_order_email(
            event_id=uuid.uuid4(),
            event_type=f"order.{status}",
            payload=order_payload(user, status),
        )
    queued.refresh_from_db()
    return queued


def test_emails_in_a_row_share_one_smtp_connection(smtp_server, django_capture_on_commit_callbacks):
    mailbox, _ = smtp_server
    user = UserFactory(email="ada@example.com")

    sent = [
        send_order_email(user, status, django_capture_on_commit_callbacks)
        for status in ("confirmed", "paid", "shipped")
    ]

    assert all(email.sent_at is not None and email.attempts == 1 for email in sent)
    assert len(mailbox.received) == 3
    assert mailbox.connections == 1


def test_a_connection_the_server_dropped_is_replaced_at_once(
    smtp_server, django_capture_on_commit_callbacks
):
    mailbox, server = smtp_server
    user = UserFactory(email="ada@example.com")
    send_order_email(user, "confirmed", django_capture_on_commit_callbacks)
    server.stop()  # the server goes away, closing the connection kept for the next email
    server.start()

    paid = send_order_email(user, "paid", django_capture_on_commit_callbacks)

    assert (paid.sent_at is not None, paid.attempts, paid.last_error) == (True, 1, "")
    assert len(mailbox.received) == 2
    assert mailbox.connections == 2


def test_a_connection_unused_for_a_while_is_not_used_again(
    smtp_server, django_capture_on_commit_callbacks, monkeypatch
):
    mailbox, _ = smtp_server
    monkeypatch.setattr(mail, "SMTP_KEEP_SECONDS", 0)
    user = UserFactory(email="ada@example.com")

    for status in ("confirmed", "paid"):
        send_order_email(user, status, django_capture_on_commit_callbacks)

    assert len(mailbox.received) == 2
    assert mailbox.connections == 2


def test_a_mail_server_that_is_gone_leaves_the_email_for_later(
    smtp_server, django_capture_on_commit_callbacks
):
    mailbox, server = smtp_server
    user = UserFactory(email="ada@example.com")
    send_order_email(user, "confirmed", django_capture_on_commit_callbacks)
    server.stop()

    paid = send_order_email(user, "paid", django_capture_on_commit_callbacks)

    assert (paid.sent_at, paid.attempts) == (None, 1)
    assert paid.last_error
    assert len(mailbox.received) == 1
