"""shop_common.events' envelope: what goes on the wire and what a consumer accepts."""

import json
import uuid
from decimal import Decimal

import pytest

from shop_common.events import Event
from shop_common.events.envelope import InvalidEnvelope


def envelope(**changes):
    data = Event(type="order.paid", subject="42", payload={"total": "9.50"}).envelope()
    return {**data, **changes}


def test_an_event_survives_the_wire():
    event = Event(
        type="order.paid",
        subject="42",
        payload={"total": Decimal("9.50"), "order_id": uuid.UUID(int=7)},
        source="order_svc",
        request_id="req-1",
    )
    back = Event.decode(event.encode())
    assert back.id == event.id
    assert back.time == event.time
    assert back.payload == {"total": "9.50", "order_id": str(uuid.UUID(int=7))}
    assert (back.type, back.subject, back.source, back.request_id) == (
        "order.paid",
        "42",
        "order_svc",
        "req-1",
    )


def test_the_envelope_names_every_field_and_utc_time():
    data = envelope()
    assert set(data) == {
        "id",
        "type",
        "version",
        "time",
        "source",
        "subject",
        "request_id",
        "payload",
    }
    assert data["time"].endswith("Z")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[" * 100_000,
        b"[]",
        json.dumps({"type": "order.paid"}).encode(),
        json.dumps(envelope(id="nope")).encode(),
        json.dumps(envelope(type="Order Paid")).encode(),
        json.dumps(envelope(version=0)).encode(),
        json.dumps(envelope(version="1")).encode(),
        json.dumps(envelope(time="yesterday")).encode(),
        json.dumps(envelope(time="2026-01-01T00:00:00")).encode(),
        json.dumps(envelope(subject=42)).encode(),
        json.dumps(envelope(payload=[1])).encode(),
        json.dumps(envelope(request_id=7)).encode(),
    ],
)
def test_anything_but_an_envelope_is_refused(body):
    with pytest.raises(InvalidEnvelope):
        Event.decode(body)


def test_event_types_are_entity_dot_happened():
    with pytest.raises(ValueError, match=r"entity\.happened"):
        Event.from_envelope(envelope(type="paid"))
