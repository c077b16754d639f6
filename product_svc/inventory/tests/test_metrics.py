import uuid

import pytest

from catalog.tests.factories import ProductFactory
from inventory.tests.test_internal_api import URL, body
from shop_testing.metrics import metric_growth, scrape_metrics

pytestmark = pytest.mark.django_db


def test_metrics_count_reservations_by_outcome(client, service_client):
    kettle, retired = ProductFactory(stock=5), ProductFactory(is_active=False)
    released_id = uuid.uuid4()
    service_client.post(f"{URL}{released_id}/release/")
    before = scrape_metrics(client)

    first = service_client.post(URL, body((kettle.pk, 2)), format="json").json()
    repeat = body((kettle.pk, 2), reservation_id=uuid.UUID(first["reservation_id"]))
    service_client.post(URL, repeat, format="json")
    service_client.post(URL, body((kettle.pk, 9)), format="json")
    service_client.post(URL, body((retired.pk, 1)), format="json")
    service_client.post(URL, body((kettle.pk, 1), reservation_id=released_id), format="json")
    after = scrape_metrics(client)

    for outcome in ("reserved", "replayed", "short", "unknown", "already_released"):
        assert metric_growth(before, after, "inventory_reservations_total", outcome=outcome) == 1


def test_metrics_count_releases_by_outcome(client, service_client):
    reserved = service_client.post(URL, body((ProductFactory(stock=5).pk, 1)), format="json")
    before = scrape_metrics(client)

    service_client.post(f"{URL}{reserved.json()['reservation_id']}/release/")
    service_client.post(f"{URL}{reserved.json()['reservation_id']}/release/")
    service_client.post(f"{URL}{uuid.uuid4()}/release/")
    after = scrape_metrics(client)

    for outcome in ("released", "already_released", "tombstone"):
        assert metric_growth(before, after, "inventory_releases_total", outcome=outcome) == 1


def test_metrics_count_the_database_queries_of_a_request(client):
    ProductFactory()
    before = scrape_metrics(client)
    client.get("/api/v1/products/")
    after = scrape_metrics(client)

    route = {"route": "/api/v1/products/", "method": "GET"}
    assert metric_growth(before, after, "http_request_db_queries_count", **route) == 1
    assert metric_growth(before, after, "http_request_db_queries_sum", **route) >= 1
