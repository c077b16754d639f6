"""Order emails: written once per event, sent after the transaction, as plain text and
HTML through Django's email framework (files by default), retried when sending fails."""

import email
import socket
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications.mail import queue_order_email, send_due_emails
from notifications.models import Email
from notifications.tests.orders import order_payload
from shop_testing.mailbox import read_mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_dir(settings, tmp_path) -> Path:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


@pytest.fixture
def customer():
    return UserFactory(email="ada@example.com", first_name="Ada")


def queue(user, status: str, *, capture, **changes) -> Email:
    with capture(execute=True):
        return queue_order_email(
            event_id=uuid.uuid4(),
            event_type=f"order.{status}",
            payload=order_payload(user, status, **changes),
        )


def parts(message: email.message.Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_a_confirmed_order_is_mailed_as_text_and_html_to_the_users_address(
    mail_dir, customer, django_capture_on_commit_callbacks
):
    queued = queue(customer, "confirmed", capture=django_capture_on_commit_callbacks)

    [message] = read_mailbox(mail_dir)
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Your order 0A1B2C3D is confirmed"
    text, html = parts(message)["text/plain"], parts(message)["text/html"]
    assert "Hello Ada" in text
    assert "2 x Teapot <large>: 39.98 EUR" in text
    assert "Total: 44.33 EUR" in text
    assert "Teapot &lt;large&gt;" in html
    assert "44.33 EUR" in html
    queued.refresh_from_db()
    assert queued.sent_at is not None
    assert queued.attempts == 1


def test_a_paid_order_that_is_cancelled_says_it_is_refunded(
    mail_dir, customer, django_capture_on_commit_callbacks
):
    queue(customer, "cancelled", paid=True, capture=django_capture_on_commit_callbacks)
    queue(customer, "cancelled", capture=django_capture_on_commit_callbacks)

    texts = [parts(message)["text/plain"] for message in read_mailbox(mail_dir)]
    assert sorted("refunded" in text for text in texts) == [False, True]
    assert any("Your payment of 44.33 EUR is refunded in full." in text for text in texts)


def test_a_shipped_order_names_its_tracking_number(
    mail_dir, customer, django_capture_on_commit_callbacks
):
    queue(
        customer, "shipped", tracking_number="TRACK-42", capture=django_capture_on_commit_callbacks
    )

    [message] = read_mailbox(mail_dir)
    assert message["Subject"] == "Your order 0A1B2C3D is on its way"
    assert "Tracking number: TRACK-42" in parts(message)["text/plain"]
    assert "TRACK-42" in parts(message)["text/html"]


def test_nothing_is_written_for_a_user_that_no_longer_exists(mail_dir, customer):
    payload = order_payload(customer, "paid", user_id=customer.pk + 1000)

    assert (
        queue_order_email(event_id=uuid.uuid4(), event_type="order.paid", payload=payload) is None
    )
    assert not Email.objects.exists()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_email_the_mail_server_refused_is_sent_again_later(
    settings, mail_dir, customer, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2

    queued = queue(customer, "paid", capture=django_capture_on_commit_callbacks)

    queued.refresh_from_db()
    assert (queued.sent_at, queued.attempts) == (None, 1)
    assert "ConnectionRefusedError" in queued.last_error
    assert queued.next_attempt_at > timezone.now()
    assert send_due_emails() == 0  # not due yet

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    Email.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert send_due_emails() == 1
    assert send_due_emails() == 0
    assert len(read_mailbox(mail_dir)) == 1


def test_emails_that_share_a_file_are_each_read_back(mail_dir):
    # Django's file backend appends to a file named after the second and the backend
    # object's id(), which CPython reuses at once: order emails sent close together often
    # share a file (2 to 6 of 20 here), as the messages of one connection always do.
    subjects = ["Your order A is confirmed", "Payment received for your order A"]
    with mail.get_connection() as connection:
        connection.send_messages(
            [
                mail.EmailMessage(subject, "Thank you.", to=["ada@example.com"])
                for subject in subjects
            ]
        )

    assert len(list(mail_dir.iterdir())) == 1
    assert [message["Subject"] for message in read_mailbox(mail_dir)] == subjects
