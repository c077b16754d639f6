"""What placing an order costs in queries, held here so that it cannot grow unseen
(docs/benchmarks.md, "Placing orders"), and the hand-written answers that keep its CPU
down held equal to what DRF's declared fields write."""

from decimal import Decimal

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from orders import models, reservations
from orders.models import IdempotencyRecord, Order
from orders.serializers import OrderEventSerializer, OrderSerializer
from shop_common.events.models import OutboxEvent
from shop_common.idempotency import StoredAnswer
from shop_testing.drf import fields_built

pytestmark = pytest.mark.django_db


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL sent, without the savepoints that stand for transactions inside a test's."""
    return [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]


def test_placing_an_order_with_a_key_costs_two_statements_however_many_lines(place):
    for lines in ([(1, 1)], [(1, 1), (2, 3), (3, 1)]):
        with CaptureQueriesContext(connection) as queries:
            response = place(*lines, HTTP_IDEMPOTENCY_KEY=f"cost-{len(lines)}")

        assert response.status_code == 201, response.json()
        sent = statements(queries)
        if connection.vendor == "postgresql":
            # One statement writes the key's claim, the pending order, its lines and its
            # history; after product_svc's answer one more writes the lines' prices, the
            # status, its history entry, its outbox event and the answer kept for the key.
            assert len(sent) == 2, "\n".join(sent)
            assert all(sql.startswith("WITH ") for sql in sent), "\n".join(sent)
        else:
            # The same writes, a statement each, in two transactions.
            assert len(sent) == 4 + 5, "\n".join(sent)
        # The order, its lines and its history are never read back.
        assert not [sql for sql in sent if sql.startswith("SELECT")], "\n".join(sent)


def test_a_refused_order_with_a_key_costs_two_statements_and_keeps_its_answer(place):
    with CaptureQueriesContext(connection) as queries:
        response = place((1, 1), (3, 5), HTTP_IDEMPOTENCY_KEY="cost-refused")

    assert response.status_code == 409, response.json()
    sent = statements(queries)
    if connection.vendor == "postgresql":
        # The pending statement; after product_svc's refusal one more writes the move to
        # rejected, its history entry and the refusal kept for the key.
        assert len(sent) == 2, "\n".join(sent)
        assert '"kept" AS (UPDATE "orders_idempotencyrecord"' in sent[1], sent[1]
    else:
        # The same writes, a statement each, in two transactions.
        assert len(sent) == 4 + 3, "\n".join(sent)
    assert not [sql for sql in sent if sql.startswith("SELECT")], "\n".join(sent)
    record = IdempotencyRecord.objects.get(key="cost-refused")
    answer = StoredAnswer.kept_in(record)
    assert (answer.status, answer.body) == (409, response.json())
    assert list(Order.objects.get().history.values_list("status", "note")) == [
        ("pending", ""),
        ("rejected", response.json()["detail"]),
    ]


def test_the_answer_built_without_reading_back_is_the_order_as_read(place, customer):
    placed = place((1, 3), (2, 7), HTTP_IDEMPOTENCY_KEY="as-read")

    assert placed.json() == customer.get(placed["Location"]).json()
    lines = Order.objects.get(pk=placed.json()["id"]).lines.values_list(
        "product_id", "name", "unit_price", "line_total"
    )
    assert list(lines) == [
        (1, "Teapot", Decimal("19.99"), Decimal("59.97")),
        (2, "Cup", Decimal("4.35"), Decimal("30.45")),
    ]


def test_the_order_and_its_event_are_what_the_serializers_fields_write(place):
    order = Order.objects.get(pk=place((1, 3), (2, 7)).json()["id"])
    shown, published = OrderSerializer(order), OrderEventSerializer(order)

    assert shown.data == serializers.ModelSerializer.to_representation(shown, order)
    assert published.data == serializers.ModelSerializer.to_representation(published, order)
    event = OutboxEvent.objects.get(type="order.confirmed", subject=str(order.id))
    assert {name: event.payload[name] for name in published.data} == published.data


@pytest.mark.django_db(transaction=True)
def test_a_key_is_claimed_first_in_the_pending_orders_transaction(place):
    statements = []

    def watch(execute, sql, params, many, context):
        if not sql.startswith("BEGIN"):  # SQLite's own BEGIN IMMEDIATE
            statements.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        assert place((1, 1), HTTP_IDEMPOTENCY_KEY="one-insert").status_code == 201

    record = '"orders_idempotencyrecord"'
    if connection.vendor == "postgresql":
        # Two statements, each a transaction of its own: no BEGIN and no COMMIT sent.
        assert [atomic for _, atomic in statements] == [False, False]
        pending, confirmation = (sql for sql, _ in statements)
        # The claim is the pending statement's first write; the answer kept is written
        # by the confirmation's, only when it moved the order.
        assert pending.startswith(f'WITH "claim" AS (INSERT INTO {record}')
        assert pending.index('"orders_order"') > pending.index(record)
        assert f'"kept" AS (UPDATE {record}' in confirmation
        assert 'FROM "moved" WHERE' in confirmation
        return
    words = [(sql.split(" ")[0:3], atomic) for sql, atomic in statements]
    # No transaction of its own (a BEGIN, a COMMIT and a commit's flush fewer), and no
    # UPDATE linking it to its order afterwards.
    assert words[0] == (["INSERT", "INTO", record], True)
    assert words[1] == (["INSERT", "INTO", '"orders_order"'], True)
    touched = [(sql[0], atomic) for sql, atomic in words if record in sql]
    # The claim, then the answer kept: the confirmation's last statement, in its
    # transaction (no commit of its own either).
    assert touched == [("INSERT", True), ("UPDATE", True)]
    assert record in words[-1][0]


def test_placing_an_order_builds_no_field_of_its_request_shape(place, monkeypatch):
    place((1, 1), HTTP_IDEMPOTENCY_KEY="shape-first")
    built = fields_built(monkeypatch)
    response = place((1, 1), (2, 3), HTTP_IDEMPOTENCY_KEY="shape-again")

    assert response.status_code == 201, response.json()
    # `PlaceOrderSerializer` and eleven fields under it were built for every order, then
    # the two answers' serializers; now the answer and the event are written without one
    # (`order_answer`, `order_event`).
    assert built == []


def test_an_answer_reads_the_current_time_zone_once_for_all_its_times(place, monkeypatch):
    order = Order.objects.get(pk=place((1, 3), (2, 7)).json()["id"])
    asked = []
    current = timezone.get_current_timezone
    monkeypatch.setattr(timezone, "get_current_timezone", lambda: asked.append(1) or current())

    answer = OrderSerializer(order).data

    # Four times (placed, updated, two history entries): one context-local read, not four.
    assert len(answer["history"]) == 2
    assert len(asked) == 1


def test_a_placed_orders_location_is_its_route_reversed_once_a_process(place, monkeypatch):
    models.orders_path.cache_clear()
    reversed_names = []

    def counted(name, *args, **kwargs):
        reversed_names.append(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(models, "reverse", counted)
    placed = [place((1, 1), HTTP_IDEMPOTENCY_KEY=f"located-{n}") for n in range(3)]

    for response in placed:
        assert response["Location"] == reverse("order-detail", kwargs={"pk": response.json()["id"]})
    assert reversed_names == ["order-list"]


def test_placing_an_order_reserves_through_urllib3s_pool_not_a_requests_session(
    place, product_svc, monkeypatch
):
    sessions = []
    monkeypatch.setattr(requests.Session, "send", lambda *args, **kwargs: sessions.append(args))

    assert place((1, 1), HTTP_IDEMPOTENCY_KEY="pooled").status_code == 201
    # requests' session cost about 0.45 ms of CPU a call on top of urllib3.
    assert sessions == []
    assert product_svc.calls == [("POST", "/internal/v1/reservations/")]


def test_a_confirmation_that_finds_the_order_moved_meanwhile_writes_nothing(place, monkeypatch):
    reserve = reservations.reserve

    def reserve_then_fail(order_id, items):
        reservation = reserve(order_id, items)
        # As reconciliation would, between the reservation and the confirmation.
        Order.objects.filter(pk=order_id).update(status="failed")
        return reservation

    monkeypatch.setattr(reservations, "reserve", reserve_then_fail)

    response = place((1, 2), (2, 1), HTTP_IDEMPOTENCY_KEY="moved-meanwhile")

    assert response.status_code == 409, response.json()
    assert response.json()["status"] == "failed"
    order = Order.objects.get()
    assert order.status == "failed"
    assert (order.total, order.currency) == (0, "")
    # The confirmation's statement wrote none of its parts: no prices, no history entry,
    # no event, and not the confirmed answer for the key.
    assert list(order.lines.values_list("unit_price", flat=True)) == [None, None]
    assert list(order.history.values_list("status", flat=True)) == ["pending"]
    assert not OutboxEvent.objects.filter(type="order.confirmed").exists()
    assert not IdempotencyRecord.objects.filter(response_status=201).exists()
