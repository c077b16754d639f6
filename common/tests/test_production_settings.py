"""Production is what a process runs when nothing says otherwise, and it starts only with
real secrets (each service against `deploy/`'s example: tests/test_deploy_secrets.py)."""

import secrets
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from shop_common.local_secrets import is_placeholder
from shop_common.service_table import Service
from shop_common.settings import service_settings
from shop_testing.secrets import production_environment


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every secret set to a real value, and `DEBUG` unset."""
    monkeypatch.delenv("DEBUG", raising=False)
    for name, value in production_environment(var_dir=tmp_path).items():
        monkeypatch.setenv(name, value)


def start_up(base_dir: Path) -> dict[str, Any]:
    return service_settings(service=Service("common", 0), base_dir=base_dir, apps=[])


def test_production_is_the_default_and_starts_with_real_secrets(production, tmp_path):
    assert start_up(tmp_path)["DEBUG"] is False


def test_without_debug_a_missing_secret_stops_start_up(production, monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY")

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set when DEBUG is off"):
        start_up(tmp_path)


@pytest.mark.parametrize("debug", ["0", "1"])
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz"),
        ("COMMON_DATABASE_URL", "postgres://shop:password@db.internal/shop"),
        ("REDIS_URL", "redis://:@redis.internal:6379/0"),
    ],
)
def test_a_placeholder_is_refused_in_development_too(
    production, monkeypatch, tmp_path, debug, name, value
):
    monkeypatch.setenv("DEBUG", debug)
    monkeypatch.setenv(name, value)

    with pytest.raises(ImproperlyConfigured, match=f"{name} holds a placeholder"):
        start_up(tmp_path)


def test_rabbitmq_guest_account_is_refused_in_production_only(production, monkeypatch, tmp_path):
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    with pytest.raises(ImproperlyConfigured, match="AMQP_URL holds a placeholder"):
        start_up(tmp_path)
    monkeypatch.setenv("DEBUG", "1")
    assert start_up(tmp_path)["AMQP_URL"] == "amqp://guest:guest@127.0.0.1:5672//"


@pytest.mark.parametrize(
    "value",
    ["", " ", "CHANGE_ME", "change-me-please", "<replace me>", "PLACEHOLDER", "secret", "Password"],
)
def test_stand_ins_are_placeholders(value):
    assert is_placeholder(value)


def test_real_secrets_and_a_password_free_url_pass(production, monkeypatch, tmp_path):
    monkeypatch.setenv("COMMON_DATABASE_URL", "postgres://shop@db.internal:5432/shop")
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")

    assert not is_placeholder(secrets.token_urlsafe(48))
    assert start_up(tmp_path)["DATABASES"]["default"]["HOST"] == "db.internal"


def test_systems_sharing_a_redis_database_keep_their_keys_apart(production, monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    alone = start_up(tmp_path)["CACHES"]
    monkeypatch.setenv("CACHE_KEY_PREFIX", "staging:")
    prefixed = start_up(tmp_path)["CACHES"]

    assert {alias: cache["KEY_PREFIX"] for alias, cache in alone.items()} == {
        "default": "common",
        "rate_limits": "common",
        "catalog": "catalog",
    }
    assert {alias: cache["KEY_PREFIX"] for alias, cache in prefixed.items()} == {
        "default": "staging:common",
        "rate_limits": "staging:common",
        "catalog": "staging:catalog",
    }
