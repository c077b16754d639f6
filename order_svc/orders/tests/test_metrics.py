import pytest

from shop_testing.metrics import metric_growth, scrape_metrics

pytestmark = pytest.mark.django_db


def test_metrics_count_orders_placed_by_outcome(client, place, product_svc):
    before = scrape_metrics(client)

    place((1, 1))
    place((2, 1))
    place((3, 5))
    product_svc.mode = "error"
    place((1, 1))
    after = scrape_metrics(client)

    def placed(outcome: str) -> float:
        return metric_growth(before, after, "orders_placed_total", outcome=outcome)

    assert (placed("confirmed"), placed("rejected"), placed("failed")) == (2, 1, 1)
    route = {"route": "/api/v1/orders/", "method": "POST"}
    assert metric_growth(before, after, "http_request_db_queries_count", **route) == 4
    assert metric_growth(before, after, "http_request_db_queries_sum", **route) >= 4


def test_metrics_count_cancellations_once_by_who_asked(client, place, customer, staff):
    first, second = place((1, 1)).json()["id"], place((2, 1)).json()["id"]
    before = scrape_metrics(client)

    customer.post(f"/api/v1/orders/{first}/cancel/")
    customer.post(f"/api/v1/orders/{first}/cancel/")
    staff.post(f"/api/v1/orders/{second}/status/", {"status": "cancelled"}, format="json")
    after = scrape_metrics(client)

    assert metric_growth(before, after, "orders_cancelled_total", actor="owner") == 1
    assert metric_growth(before, after, "orders_cancelled_total", actor="staff") == 1
