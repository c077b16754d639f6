"""user_svc's handlers of order events: one email per event id, sent after commit."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from notifications.event_handlers import send_waiting_emails
from notifications.models import Email
from shop_common.events import Event
from shop_common.events.inbox import Outcome, apply_event
from shop_common.events.registry import periodic_jobs

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["confirmed", "paid", "shipped", "cancelled"])
def test_each_order_event_is_mailed_once_however_often_it_comes(
    status, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    user = UserFactory(email="grace@example.com")
    order_id = str(uuid.uuid4())
    payload = {
        "order_id": order_id,
        "user_id": user.pk,
        "status": status,
        "total": "4.35",
        "currency": "EUR",
        "items": [],
        "tracking_number": "",
        "paid": False,
    }
    event = Event(type=f"order.{status}", subject=order_id, payload=payload)

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [apply_event(event), apply_event(event)]

    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert Email.objects.get().sent_at is not None
    [mail] = tmp_path.iterdir()
    assert "To: grace@example.com" in mail.read_text()


def test_emails_left_unsent_are_sent_every_few_seconds():
    [job] = [job for job in periodic_jobs() if job.run is send_waiting_emails]

    assert job.every <= 30
