"""pytest runs each service on its own settings: `cd order_svc && pytest`."""

import os
from pathlib import Path

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "order_svc.settings")
django.setup()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On SQLite, test on a file as the service runs: an in-memory test database shares
    one cache whose table locks ignore the busy timeout, so concurrent tests would fail
    with "database table is locked" instead of waiting their turn."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        test_name = Path(database["NAME"]).with_name("test_order_svc.sqlite3")
        database.setdefault("TEST", {})["NAME"] = str(test_name)
