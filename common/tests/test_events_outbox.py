"""publish(): an outbox row in the transaction of the change, or nothing."""

import pytest
from django.db import transaction

from shop_common.events import publish
from shop_common.events.models import OutboxEvent
from shop_common.events.outbox import TransactionRequired
from shop_common.request_id import request_id_var

pytestmark = pytest.mark.django_db(transaction=True)


def test_publish_writes_an_outbox_row_with_the_request_id():
    token = request_id_var.set("req-42")
    try:
        with transaction.atomic():
            row = publish("order.paid", subject=7, payload={"status": "paid"})
    finally:
        request_id_var.reset(token)
    row.refresh_from_db()
    assert (row.type, row.subject, row.version, row.request_id) == ("order.paid", "7", 1, "req-42")
    assert row.published_at is None
    event = row.event(source="order_svc")
    assert event.envelope()["payload"] == {"status": "paid"}
    assert event.request_id == "req-42"


def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(TransactionRequired):
        publish("order.paid", subject=7, payload={})
    assert not OutboxEvent.objects.exists()


def test_a_rolled_back_change_takes_its_event_with_it():
    def change_that_fails():
        with transaction.atomic():
            publish("order.paid", subject=7, payload={})
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        change_that_fails()
    assert not OutboxEvent.objects.exists()


def test_a_badly_named_type_is_refused():
    with pytest.raises(ValueError, match=r"entity\.happened"), transaction.atomic():
        publish("OrderPaid", subject=7, payload={})
