import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.clients import client_for
from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_isolated_settings(settings):
    """A fast hasher, and a cache namespace per test so throttle counters never leak."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    prefix = f"user_svc-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        **{
            alias: {**settings.CACHES[alias], "KEY_PREFIX": prefix}
            for alias in ("default", "rate_limits")
        },
    }


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def user_api(user) -> APIClient:
    return client_for(user)
