import pytest

from payments.tests.conftest import post_webhook
from shop_testing.metrics import metric_growth, scrape_metrics

pytestmark = pytest.mark.django_db


def test_healthz_names_this_service(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "payment_svc"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_metrics_are_served(client):
    assert client.get("/metrics").status_code == 200


def test_the_schema_names_every_payment_operation(client):
    response = client.get("/api/v1/payment_svc/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {
        "/api/v1/payments/",
        "/api/v1/payments/{id}/",
        "/api/v1/payments/webhooks/{provider}/",
    }
    webhook = paths["/api/v1/payments/webhooks/{provider}/"]["post"]
    assert webhook.get("security", []) in ([], [{}])  # no token asked
    assert webhook["parameters"][0]["schema"] == {"type": "string", "enum": ["simulated"]}


def test_metrics_count_payments_and_webhooks(client, paid, django_capture_on_commit_callbacks):
    before = scrape_metrics(client)
    with django_capture_on_commit_callbacks(execute=True):
        paid("tok_chargeDeclined")
    post_webhook(client, b"{}", signature="")

    after = scrape_metrics(client)

    assert metric_growth(before, after, "payments_total", status="failed") == 1
    assert metric_growth(before, after, "payment_webhooks_total", outcome="refused") == 1
