"""user_svc's registry of service clients and their secrets."""

import json

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.service_clients import registered_client_secrets
from shop_common.service_credentials import client_secret


def test_user_svc_reads_client_secrets_from_a_json_object(monkeypatch):
    monkeypatch.setenv("SERVICE_CLIENT_SECRETS", json.dumps({"order_svc": "x" * 40}))

    registered = registered_client_secrets(debug=False, base_dir=settings.BASE_DIR)

    assert registered == {"order_svc": "x" * 40}


@pytest.mark.parametrize("raw", ["nope", "[]", '{"order_svc": "short"}', '{"order_svc": 1}'])
def test_bad_client_secrets_stop_user_svc(monkeypatch, raw):
    monkeypatch.setenv("SERVICE_CLIENT_SECRETS", raw)

    with pytest.raises(ImproperlyConfigured, match="SERVICE_CLIENT_SECRETS"):
        registered_client_secrets(debug=False, base_dir=settings.BASE_DIR)


def test_without_debug_user_svc_needs_client_secrets(monkeypatch):
    monkeypatch.delenv("SERVICE_CLIENT_SECRETS", raising=False)

    with pytest.raises(ImproperlyConfigured, match="SERVICE_CLIENT_SECRETS"):
        registered_client_secrets(debug=False, base_dir=settings.BASE_DIR)


def test_locally_caller_and_user_svc_read_the_same_generated_secret(monkeypatch):
    monkeypatch.delenv("SERVICE_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("SERVICE_CLIENT_SECRETS", raising=False)

    registered = registered_client_secrets(debug=True, base_dir=settings.BASE_DIR)

    order_svc_dir = settings.BASE_DIR.parent / "order_svc"
    assert registered["order_svc"] == client_secret("order_svc", base_dir=order_svc_dir, debug=True)
    assert len(registered["order_svc"]) >= 32
    assert "user_svc" not in registered


def test_a_secret_for_a_client_without_scopes_stops_user_svc(monkeypatch):
    secrets = {"order_svc": "x" * 40, "gateway_svc": "y" * 40}
    monkeypatch.setenv("SERVICE_CLIENT_SECRETS", json.dumps(secrets))

    with pytest.raises(ImproperlyConfigured, match="names gateway_svc, which may call no"):
        registered_client_secrets(debug=False, base_dir=settings.BASE_DIR)
