"""pytest runs each service on its own settings: `cd product_svc && pytest`."""

import os

import django

os.environ.setdefault("DEBUG", "1")  # development mode: local secrets and keys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "product_svc.settings")
django.setup()

import pytest  # noqa: E402  (Django must be set up before anything imports models)
from django.test import Client  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def customer_client() -> APIClient:
    from shop_testing.tokens import make_access_token

    return bearer_client(make_access_token(7))


@pytest.fixture
def staff_client() -> APIClient:
    from shop_testing.tokens import make_access_token

    return bearer_client(make_access_token(1, is_staff=True))


@pytest.fixture
def service_client() -> APIClient:
    from shop_common.scopes import ServiceScope
    from shop_testing.tokens import make_service_token

    return bearer_client(make_service_token("order_svc", ServiceScope.RESERVATIONS))


@pytest.fixture
def catalog_bumps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each catalog-version bump instead of writing it to the cache."""
    bumps: list[str] = []
    monkeypatch.setattr("catalog.services.bump_catalog_version", lambda: bumps.append("bump"))
    return bumps


@pytest.fixture
def admin_browser(client: Client, django_user_model: type) -> Client:
    """The test client, signed in to the admin as a superuser made for the test."""
    # Passwords are user_svc's (shop_common.staff): the session is made without one.
    client.force_login(django_user_model.objects.create_superuser("catalog", "catalog@example.com"))
    return client
