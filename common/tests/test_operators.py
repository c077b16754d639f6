"""`/metrics` and `/readyz` answer operators' networks only; `/healthz` answers anyone."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured

from shop_common.settings import operator_networks

pytestmark = pytest.mark.django_db

OPERATIONAL = ("/metrics", "/readyz")
INTERNET = "203.0.113.9"


@pytest.mark.parametrize("path", OPERATIONAL)
def test_a_caller_from_the_internet_gets_the_404_of_an_unknown_path(client, path):
    response = client.get(path, REMOTE_ADDR=INTERNET)
    unknown = client.get("/no-such-path", REMOTE_ADDR=INTERNET)

    assert response.status_code == unknown.status_code == 404
    assert response.json() == {"detail": f"No endpoint at {path}."}
    assert client.head(path, REMOTE_ADDR=INTERNET).status_code == 404
    assert client.get("/healthz", REMOTE_ADDR=INTERNET).status_code == 200


@pytest.mark.parametrize("path", OPERATIONAL)
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_FORWARDED_FOR": INTERNET},
        {"HTTP_X_FORWARDED_FOR": f"10.0.0.7, {INTERNET}"},
        {"HTTP_X_REAL_IP": INTERNET},
        {"HTTP_FORWARDED": 'for="[2001:db8::1]:4711";proto=https'},
        {"HTTP_FORWARDED": "for=10.0.0.7, for=unknown"},
        {"HTTP_X_FORWARDED_FOR": "not-an-address"},
    ],
)
def test_a_client_a_private_proxy_passed_on_from_outside_is_refused(client, path, headers):
    response = client.get(path, REMOTE_ADDR="10.0.0.5", **headers)

    assert response.status_code == 404


@pytest.mark.parametrize("path", OPERATIONAL)
@pytest.mark.parametrize(
    ("address", "headers"),
    [
        ("127.0.0.1", {}),
        ("::1", {}),
        ("10.1.2.3", {}),
        ("172.20.0.4", {}),
        ("192.168.1.10", {}),
        ("fd12:3456::1", {}),
        ("::ffff:10.0.0.1", {}),
        ("10.0.0.5", {"HTTP_X_FORWARDED_FOR": "192.168.1.10", "HTTP_FORWARDED": "for=10.0.0.7"}),
    ],
)
def test_loopback_and_private_networks_are_answered(client, path, address, headers):
    assert client.get(path, REMOTE_ADDR=address, **headers).status_code == 200


def test_operator_networks_names_who_is_answered(client, settings):
    settings.OPERATOR_NETWORKS = [ipaddress.ip_network("203.0.113.0/24")]

    assert client.get("/metrics", REMOTE_ADDR=INTERNET).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_operator_networks_is_read_from_the_environment_and_a_typo_stops_start_up(monkeypatch):
    monkeypatch.setenv("OPERATOR_NETWORKS", "10.20.0.0/16,2001:db8::1")
    assert operator_networks() == [
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("2001:db8::1/128"),
    ]

    monkeypatch.setenv("OPERATOR_NETWORKS", "10.20.0.0/33")
    with pytest.raises(ImproperlyConfigured, match="OPERATOR_NETWORKS"):
        operator_networks()
