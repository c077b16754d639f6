"""The PostgreSQL backend's health check: a dropped connection is replaced before the
request uses it, and a healthy one is checked without a query."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the backend is PostgreSQL's")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def next_request() -> None:
    """What Django does between two requests on a persistent connection."""
    connection.close_if_unusable_or_obsolete()


def test_a_connection_the_server_dropped_is_opened_again_before_the_query():
    first = backend_pid()
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [first])
    time.sleep(0.2)  # the server's goodbye reaches the socket
    next_request()

    assert backend_pid() != first


def test_a_healthy_connection_is_checked_without_a_query(monkeypatch):
    first = backend_pid()
    next_request()
    monkeypatch.setattr(connection, "is_usable", lambda: pytest.fail("SELECT 1 again"))

    assert backend_pid() == first
    assert connection.health_check_done
