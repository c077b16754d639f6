"""What every service's process sets up once, when its apps are ready."""

from django.apps import AppConfig
from django.conf import settings
from django.core import signals
from django.core.cache import close_caches
from django.core.cache.backends.base import BaseCache
from django.utils.module_loading import import_string
from django_redis.cache import RedisCache


def closing_does_nothing(config: dict) -> bool:
    """Whether a configured cache's `close()` does nothing: django-redis keeps its pooled
    connections unless `CLOSE_CONNECTION` asks otherwise; a backend that does not
    override Django's `close()` (local memory, files) has nothing to close."""
    backend = import_string(config["BACKEND"])
    if issubclass(backend, RedisCache):
        default = getattr(settings, "DJANGO_REDIS_CLOSE_CONNECTION", False)
        return not config.get("OPTIONS", {}).get("CLOSE_CONNECTION", default)
    return backend.close is BaseCache.close


class ShopCommonConfig(AppConfig):
    name = "shop_common"

    def ready(self) -> None:
        # Django closes every cache at the end of every request, 3% of a `/healthz`'s CPU;
        # with no cache that closes anything, that receiver only costs.
        if all(closing_does_nothing(config) for config in settings.CACHES.values()):
            signals.request_finished.disconnect(close_caches)
