"""What an order email costs user_svc's event consumer, and that the cheaper send still
never sends one email twice (real transactions: the send runs after commit)."""

import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from notifications.mail import send_due_emails, send_email
from notifications.models import Email
from notifications.tests.orders import order_payload
from shop_common.events import Event
from shop_common.events.consumer import receive
from shop_common.events.inbox import Outcome
from shop_testing.mailbox import read_mailbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def confirmed(user) -> Event:
    payload = order_payload(user, "confirmed", order_id=str(uuid.uuid4()))
    return Event(type="order.confirmed", subject=payload["order_id"], payload=payload)


def test_an_order_email_costs_eight_round_trips_from_the_message_to_the_mail(mail_dir):
    user = UserFactory(email="grace@example.com")

    with CaptureQueriesContext(connection) as captured:
        assert receive(confirmed(user).encode(), consumer="user_svc") == Outcome.APPLIED

    # Held so that it cannot grow unseen (docs/benchmarks.md, "Order emails"). The event's
    # transaction: its inbox row (unless a failure of it waits for the retry loop, asked
    # in the same INSERT), the user, the email. Then the send, under the row it claims
    # as written, without reading it back. It was ten: a failed-event lookup before, and
    # a `SELECT ... FOR UPDATE` of the email just written.
    sql = [query["sql"].split(" ")[0] for query in captured.captured_queries]
    assert sql == ["BEGIN", "INSERT", "SELECT", "INSERT", "COMMIT", "BEGIN", "UPDATE", "COMMIT"]
    # The user's read takes the columns the email needs, not a whole user.
    columns = captured.captured_queries[2]["sql"].split(" FROM ")[0]
    assert columns == 'SELECT "email", "first_name"'
    email = Email.objects.get()
    assert (email.sent_at is not None, email.attempts) == (True, 1)
    [message] = read_mailbox(mail_dir)
    assert message["To"] == "grace@example.com"


def test_an_email_written_reads_back_as_it_was_given():
    user = UserFactory()
    values = {
        "event_id": uuid.uuid4(),
        "event_type": "order.confirmed",
        "subject_id": "0a1b2c3d",
        "user_id": user.pk,
        "to": user.email,
        "subject": "Your order 0A1B2C3D is confirmed",
        "text": "Thank you, Zoë.",
        "html": "<p>Thank you, Zoë.</p>",
    }

    written = Email.objects.write(**values)

    # As `create()` would leave it: saved, with its id and the model's defaults.
    assert (written.pk is not None, written._state.adding) == (True, False)
    read = Email.objects.get(pk=written.pk)
    assert {name: getattr(read, name) for name in values} == values
    for name in ("created_at", "next_attempt_at", "sent_at", "attempts", "last_error"):
        assert getattr(read, name) == getattr(written, name)


def unsent_email(user) -> Email:
    return Email.objects.create(
        event_id=uuid.uuid4(),
        event_type="order.confirmed",
        user_id=user.pk,
        to=user.email,
        subject="Your order A is confirmed",
        text="Thank you.",
        html="<p>Thank you.</p>",
    )


def test_an_email_already_sent_by_another_process_is_not_sent_again(mail_dir):
    in_hand = unsent_email(UserFactory())
    assert send_due_emails() == 1  # another replica's periodic job, first

    assert send_email(in_hand) is False
    assert len(read_mailbox(mail_dir)) == 1
    assert Email.objects.get().attempts == 1


def test_an_email_another_process_is_sending_is_waited_for_and_not_sent_again(mail_dir):
    in_hand = unsent_email(UserFactory())
    sending, finish = threading.Event(), threading.Event()
    answers = {}

    def other_process() -> None:
        # Sends it and holds the row's lock until told to commit, as a slow mail server
        # would keep it.
        try:
            with transaction.atomic():
                locked = Email.objects.select_for_update().get(pk=in_hand.pk)
                answers["other"] = send_email(locked)
                sending.set()
                finish.wait(10)
        finally:
            connection.close()

    def after_commit() -> None:
        try:
            answers["after commit"] = send_email(in_hand)
        finally:
            connection.close()

    other = threading.Thread(target=other_process)
    other.start()
    assert sending.wait(10)
    waiting = threading.Thread(target=after_commit)
    waiting.start()
    time.sleep(0.3)
    assert waiting.is_alive()  # blocked on the row's lock, not sending beside it
    finish.set()
    other.join(10)
    waiting.join(10)

    assert answers == {"other": True, "after commit": False}
    assert len(read_mailbox(mail_dir)) == 1
    assert Email.objects.get().attempts == 1
