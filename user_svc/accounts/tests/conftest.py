import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tokens import mint_access_token


@pytest.fixture(autouse=True)
def fast_isolated_settings(settings):
    """A fast hasher, and a cache namespace per test so throttle counters never leak."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    default = settings.CACHES["default"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {**default, "KEY_PREFIX": f"user_svc-test-{uuid.uuid4().hex}"},
    }


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_access_token(user).token}")
    return client


@pytest.fixture
def user_api(user) -> APIClient:
    return client_for(user)
