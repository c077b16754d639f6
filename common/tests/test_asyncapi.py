"""docs/asyncapi.yaml and the code agree: every event type published anywhere and every
subscription is documented, the services named match the topology, and the envelopes
the outbox produces validate against the documented schemas."""

import ast
import json
import uuid
from pathlib import Path

import pytest
from django.db import transaction
from jsonschema import Draft7Validator, ValidationError

from shop_common.events import publish
from shop_common.events.relay import relay_batch
from shop_common.events.topology import SUBSCRIPTIONS
from shop_testing.asyncapi import document, documented_types, validate_envelope

REPO = Path(__file__).resolve().parents[2]
# The table a service picks a move's event type from: `publish(EVENT_TYPES[status], ...)`.
TABLE = "EVENT_TYPES"
ORDER_ID = str(uuid.uuid4())
ORDER = {"order_id": ORDER_ID, "user_id": 7, "total": "19.98", "currency": "EUR"}
LINE = {"product_id": 3, "name": "Tea", "quantity": 2, "unit_price": "9.99", "line_total": "19.98"}
# What every order.* event carries beside the status (order_svc's services._apply).
MOVE = {"items": [LINE], "note": "", "tracking_number": "", "paid": False}
PAYMENT = {
    "payment_id": str(uuid.uuid4()),
    "order_id": ORDER_ID,
    "user_id": 7,
    "amount": "19.98",
    "currency": "EUR",
    "provider": "simulated",
    "failure_reason": None,
}
# One payload of each documented type, as the publishing services write them.
EXAMPLES = {
    "order.confirmed": {**ORDER, **MOVE, "status": "confirmed", "previous_status": "pending"},
    "order.paid": {
        **ORDER,
        **MOVE,
        "status": "paid",
        "previous_status": "confirmed",
        "note": "payment 1",
        "paid": True,
    },
    "order.shipped": {
        **ORDER,
        **MOVE,
        "status": "shipped",
        "previous_status": "paid",
        "tracking_number": "TRK-1",
        "paid": True,
    },
    "order.delivered": {
        **ORDER,
        **MOVE,
        "status": "delivered",
        "previous_status": "shipped",
        "paid": True,
    },
    "order.cancelled": {
        **ORDER,
        **MOVE,
        "status": "cancelled",
        "previous_status": "paid",
        "note": "owner",
        "paid": True,
    },
    "payment.succeeded": {**PAYMENT, "status": "succeeded"},
    "payment.failed": {**PAYMENT, "status": "failed", "failure_reason": "card_declined"},
    "payment.refunded": {**PAYMENT, "status": "refunded"},
}


def code_files():
    for path in REPO.glob("**/*.py"):
        parts = set(path.relative_to(REPO).parts)
        if not parts & {".venv", ".var", "tests", "node_modules"}:
            yield path


def code_trees():
    for path in code_files():
        yield path, ast.parse(path.read_text())


def publish_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "publish"
    ]


def table_types(tree: ast.AST) -> set[str]:
    """The values of a module's EVENT_TYPES table."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if isinstance(node.value, ast.Dict) and any(
            isinstance(target, ast.Name) and target.id == TABLE for target in targets
        ):
            found |= {v.value for v in node.value.values if isinstance(v, ast.Constant)}
    return found


def is_findable(argument: ast.expr) -> bool:
    """A literal type, or one picked from an EVENT_TYPES table."""
    if isinstance(argument, ast.Constant):
        return isinstance(argument.value, str)
    return isinstance(argument, ast.Subscript) and ast.unparse(argument.value) == TABLE


def published_types() -> set[str]:
    """Every event type the code publishes: literal first arguments of publish() and the
    values of the EVENT_TYPES tables the others pick from."""
    found = set()
    for _, tree in code_trees():
        literals = [call.args[0] for call in publish_calls(tree) if call.args]
        found |= {arg.value for arg in literals if isinstance(arg, ast.Constant)}
        found |= table_types(tree)
    return found


def test_every_publish_names_its_type_where_this_test_finds_it():
    built = [
        f"{path.relative_to(REPO)}:{call.lineno}"
        for path, tree in code_trees()
        for call in publish_calls(tree)
        if not call.args or not is_findable(call.args[0])
    ]
    assert built == [], "publish() with a type built at run time: write it out (EVENT_TYPES)"


def test_every_type_published_in_the_code_is_documented():
    published = published_types()
    # Both services' tables are found (an f-string once hid them all from this test).
    assert {"order.confirmed", "order.delivered", "payment.refunded"} <= published
    assert published - set(documented_types()) == set()


def test_every_subscription_is_documented_with_its_consumer():
    receives = {
        (operation["x-service"], operation["channel"]["$ref"].rpartition("/")[2])
        for operation in document()["operations"].values()
        if operation["action"] == "receive"
    }
    channels = document()["channels"]
    documented = {(service, channels[name]["address"]) for service, name in receives}
    subscribed = {(service, t) for service, types in SUBSCRIPTIONS.items() for t in types}
    assert documented == subscribed


def test_every_channel_is_published_by_one_service_and_names_its_message():
    channels = document()["channels"]
    senders = [
        operation["channel"]["$ref"].rpartition("/")[2]
        for operation in document()["operations"].values()
        if operation["action"] == "send"
    ]
    assert sorted(senders) == sorted(channels)
    for channel in channels.values():
        (message,) = channel["messages"].values()
        key = message["$ref"].rpartition("/")[2]
        assert document()["components"]["messages"][key]["name"] == channel["address"]
    assert set(EXAMPLES) == set(documented_types())


def test_the_document_is_asyncapi_3_with_valid_schemas():
    assert document()["asyncapi"] == "3.0.0"
    for schema in document()["components"]["schemas"].values():
        Draft7Validator.check_schema(schema)


class Collecting:
    """A publisher that keeps what it was given, as the broker would receive it."""

    def __init__(self):
        self.bodies = []

    def publish(self, events):
        self.bodies += [event.encode() for event in events]


@pytest.mark.django_db(transaction=True)
def test_the_envelopes_the_outbox_produces_match_the_document():
    with transaction.atomic():
        for event_type, payload in EXAMPLES.items():
            publish(event_type, subject=payload.get("payment_id", ORDER_ID), payload=payload)
    collecting = Collecting()
    assert relay_batch(collecting, size=100) == len(EXAMPLES)
    for body in collecting.bodies:
        validate_envelope(json.loads(body))


@pytest.mark.parametrize(
    ("event_type", "change"),
    [
        ("order.paid", {"total": 19.98}),
        ("order.confirmed", {"items": None}),
        ("order.cancelled", {"paid": None}),
        ("order.shipped", {"previous_status": None}),
        ("payment.failed", {"failure_reason": None}),
        ("payment.succeeded", {"status": "failed"}),
        ("payment.refunded", {"user_id": "7"}),
    ],
)
def test_a_payload_that_breaks_the_document_is_refused(event_type, change):
    payload = {k: v for k, v in {**EXAMPLES[event_type], **change}.items() if v is not None}
    envelope = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "time": "2026-12-02T18:00:00Z",
        "source": "order_svc",
        "subject": ORDER_ID,
        "request_id": None,
        "payload": payload,
    }
    with pytest.raises(ValidationError):
        validate_envelope(envelope)


def test_an_undocumented_type_is_refused():
    with pytest.raises(LookupError):
        validate_envelope({"type": "probe.sent"})
