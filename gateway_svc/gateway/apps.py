from django.apps import AppConfig
from django.conf import settings
from django.core import signals
from django.core.cache import close_caches
from django.db import close_old_connections, reset_queries


def forget_per_request_housekeeping() -> None:
    """Django's own receivers of every request's start and end look after database
    connections and caches: the gateway has no database (the stand-in backend is never
    connected), and its caches' `close()` does nothing (django-redis keeps its pooled
    connections unless `CLOSE_CONNECTION` is set; the embedded defaults keep nothing
    open). They cost every request a few percent of its CPU for nothing."""
    signals.request_started.disconnect(reset_queries)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    if not closes_cache_connections():
        signals.request_finished.disconnect(close_caches)


def closes_cache_connections() -> bool:
    """Whether django-redis is asked to close its connections after every request."""
    default = getattr(settings, "DJANGO_REDIS_CLOSE_CONNECTION", False)
    return any(
        config.get("OPTIONS", {}).get("CLOSE_CONNECTION", default)
        for config in settings.CACHES.values()
    )


class GatewayConfig(AppConfig):
    name = "gateway"

    def ready(self) -> None:
        from gateway.breaker import BreakerStateCollector
        from gateway.limits import rate
        from gateway.routes import route_table
        from gateway.upstreams import breakers
        from shop_common.metrics import register_collector
        from shop_common.rate_limits import LoginLimits

        # A wrong route table or rate stops the process at start-up, not at the first request.
        route_table()
        for name in settings.GATEWAY_LIMITS:
            rate(name)
        LoginLimits.from_settings()
        register_collector(BreakerStateCollector(breakers))
        forget_per_request_housekeeping()
