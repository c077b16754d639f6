"""What a reservation costs in queries, held here so that it cannot grow unseen: order_svc
makes one for every order placed (docs/benchmarks.md, "Placing orders")."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from inventory.models import Reservation
from inventory.serializers import ReservationSerializer, reservation_answer
from shop_testing.drf import fields_built

pytestmark = pytest.mark.django_db

URL = "/internal/v1/reservations/"


def reserve_body(*products: Product, reservation_id: str | None = None) -> dict:
    return {
        "reservation_id": reservation_id or str(uuid.uuid4()),
        "items": [{"product_id": product.pk, "quantity": 1} for product in products],
    }


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL sent, without the savepoints of the test's own transaction."""
    return [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]


def test_a_reservation_claims_its_id_takes_each_line_and_writes_its_lines(service_client):
    products = [ProductFactory(stock=5) for _ in range(3)]

    with CaptureQueriesContext(connection) as queries:
        response = service_client.post(URL, reserve_body(*products), format="json")

    assert response.status_code == 201
    sent = statements(queries)
    if connection.vendor == "postgresql":
        # One statement claims the id, locks the products in id order, takes every line
        # and writes the lines.
        assert len(sent) == 1, "\n".join(sent)
        assert sent[0].startswith("\nWITH claim AS (\n    INSERT INTO inventory_reservation")
    else:
        # The claim, one conditional update per line returning what it took, the lines.
        assert len(sent) == 1 + len(products) + 1, "\n".join(sent)
    assert not [sql for sql in sent if sql.startswith("SELECT")], "\n".join(sent)
    assert [line["unit_price"] for line in response.json()["items"]] == ["19.99"] * 3
    # No savepoint of its own: the claim is its transaction's first statement.
    assert len(queries) - len(sent) == 2


def test_a_refused_reservation_tells_why_from_what_its_statement_read(service_client):
    kettle, mug = ProductFactory(stock=5), ProductFactory(stock=0)

    with CaptureQueriesContext(connection) as queries:
        response = service_client.post(URL, reserve_body(kettle, mug), format="json")

    assert response.status_code == 409
    assert response.json()["short"] == [{"product_id": mug.pk, "requested": 1, "available": 0}]
    sent = statements(queries)
    if connection.vendor == "postgresql":
        # The statement that took the kettle also read the mug's stock as it locked it.
        assert len(sent) == 1, "\n".join(sent)
    else:
        # The claim, the updates, the line taken, then one read of the stock on sale.
        assert len(sent) == 1 + 2 + 1 + 1, "\n".join(sent)
        assert sent[-1].startswith('SELECT "catalog_product"."id" AS "id"')


def test_a_repeated_reservation_reads_the_first_result_and_takes_nothing(service_client):
    products = [ProductFactory(stock=5) for _ in range(2)]
    first = service_client.post(URL, reserve_body(*products), format="json").json()

    with CaptureQueriesContext(connection) as queries:
        again = service_client.post(
            URL, reserve_body(*products, reservation_id=first["reservation_id"]), format="json"
        )

    assert again.status_code == 200
    assert again.json() == first
    # The refused claim, then the reservation and its lines.
    assert len(statements(queries)) == 3, "\n".join(statements(queries))
    assert [p.stock for p in Product.objects.filter(pk__in=[p.pk for p in products])] == [4, 4]


def test_the_answer_is_what_the_serializers_fields_write(service_client):
    kettle, mug = ProductFactory(price="39.90"), ProductFactory(price="4.00")
    reserved = service_client.post(URL, reserve_body(kettle, mug), format="json").json()
    reservation = Reservation.objects.get(pk=reserved["reservation_id"])
    serializer = ReservationSerializer(reservation)

    declared = serializers.ModelSerializer.to_representation(serializer, reservation)

    assert reserved == reservation_answer(reservation, reservation.lines.all()) == declared
    assert serializer.data == declared


def test_a_reservation_builds_no_field_of_its_request_shape(service_client, monkeypatch):
    products = [ProductFactory(stock=5) for _ in range(2)]
    service_client.post(URL, reserve_body(*products), format="json")
    built = fields_built(monkeypatch)
    response = service_client.post(URL, reserve_body(*products), format="json")

    assert response.status_code == 201
    # `ReserveSerializer` and its five fields were built for every reservation.
    assert built == []
