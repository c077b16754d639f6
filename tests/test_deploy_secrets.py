"""Each service, started with its real settings and the production defaults, stops at
once on any value of `deploy/`'s example secrets: they are placeholders, never secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_support import REPO
from shop_testing.secrets import production_environment

EXAMPLE_SECRETS = REPO / "deploy" / "k8s" / "overlays" / "example" / "secrets"
# The example's files that hold one value each, by the variable kustomize makes of them.
ONE_VALUE_FILES = {
    "jwt-private-key.pem": "JWT_PRIVATE_KEY",
    "jwt-public-keys.json": "JWT_PUBLIC_KEYS",
}
# Who reads the values that every service (or one not named by the file) gets.
READER = {
    "redis": "product_svc",
    "rabbitmq": "order_svc",
    "jwt-private-key": "user_svc",
    "jwt-public-keys": "order_svc",
}
# Django set up as gunicorn's workers set it up (order_svc reads its client secret there).
SETUP = "import django; django.setup()"


def example_secrets() -> list[tuple[str, str, str]]:
    """(service that reads it, variable, value) for every value the example holds."""
    found = []
    for path in sorted(EXAMPLE_SECRETS.iterdir()):
        reader = READER.get(path.stem, path.stem.replace("-", "_"))
        if path.name in ONE_VALUE_FILES:
            found.append((reader, ONE_VALUE_FILES[path.name], path.read_text()))
            continue
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            found.append((reader, name, value))
    return found


def start(service: str, tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "DEBUG" and not key.endswith(("_DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=REPO / service,
        env={
            **environment,
            **production_environment(var_dir=tmp_path),
            "DJANGO_SETTINGS_MODULE": f"{service}.settings",
            **overrides,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "service", ["gateway_svc", "order_svc", "payment_svc", "product_svc", "user_svc"]
)
def test_every_service_starts_in_production_with_real_secrets(tmp_path, service):
    result = start(service, tmp_path)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("service", "name", "value"), example_secrets())
def test_every_value_of_the_example_secrets_stops_start_up(tmp_path, service, name, value):
    result = start(service, tmp_path, **{name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1]
