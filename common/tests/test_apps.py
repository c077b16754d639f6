"""What shop_common sets up once per process."""

import pytest
from django.core import signals
from django.core.cache import close_caches
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings

from shop_common.apps import closing_does_nothing

REDIS = "django_redis.cache.RedisCache"


@pytest.mark.django_db  # the end of a request also closes old database connections
def test_no_request_closes_caches_whose_closing_does_nothing():
    finished = {receiver for receiver, _ in signals.request_finished.send(WSGIHandler)}
    assert close_caches not in finished


@pytest.mark.parametrize(
    "config",
    [
        {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:6379/0"},
        {"BACKEND": REDIS, "OPTIONS": {"CLOSE_CONNECTION": False}},
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        {"BACKEND": "shop_common.file_cache.FileCache"},
    ],
)
def test_pooled_redis_memory_and_files_have_nothing_to_close(config):
    assert closing_does_nothing(config)


@pytest.mark.parametrize(
    "config",
    [
        {"BACKEND": REDIS, "OPTIONS": {"CLOSE_CONNECTION": True}},
        {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache"},
    ],
)
def test_a_cache_that_closes_its_connection_is_still_closed(config):
    assert not closing_does_nothing(config)


@override_settings(DJANGO_REDIS_CLOSE_CONNECTION=True)
def test_django_redis_closing_every_connection_by_default_is_still_closed():
    assert not closing_does_nothing({"BACKEND": REDIS})
