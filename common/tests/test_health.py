"""`/healthz` answers while the process runs; `/readyz` only while its dependencies answer."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shop_testing.ports import free_port

HERE = Path(__file__).resolve().parent
READYZ_IN_A_FRESH_PROCESS = (
    "import django; django.setup();"
    "from django.test import Client;"
    "r = Client().get('/readyz');"
    "print(r.status_code, r.content.decode())"
)


def readyz_with(**env: str) -> tuple[int, dict]:
    """`/readyz` of the test project started with these settings in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", READYZ_IN_A_FRESH_PROCESS],
        cwd=HERE,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "testproject.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    status, _, body = result.stdout.strip().splitlines()[-1].partition(" ")
    return int(status), json.loads(body)


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.json() == {"status": "ok", "service": "common"}


@pytest.mark.django_db
def test_readyz_is_200_when_the_database_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_is_503_naming_the_database_when_it_is_down():
    status, body = readyz_with(
        COMMON_DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/shop"
    )

    assert status == 503
    assert "database" in body["detail"]
    assert body["checks"]["database"].startswith("error")


def test_readyz_is_503_naming_redis_when_it_is_down():
    status, body = readyz_with(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    assert status == 503
    assert "redis" in body["detail"]
    assert body["checks"]["database"] == "ok"


def test_health_views_only_read(client):
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response.json()["detail"]
