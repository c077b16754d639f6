import pytest


def test_healthz_names_this_service(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "gateway_svc"}


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_operational_endpoints_are_a_404_for_callers_from_the_internet(client, path):
    from_internet = client.get(path, REMOTE_ADDR="203.0.113.9")
    behind_a_proxy = client.get(path, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert from_internet.status_code == behind_a_proxy.status_code == 404
    assert from_internet.json() == {"detail": f"No endpoint at {path}."}
    assert client.get(path, REMOTE_ADDR="10.0.0.5").status_code in (200, 503)
