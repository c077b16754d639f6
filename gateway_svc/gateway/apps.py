from django.apps import AppConfig
from django.conf import settings
from django.core import signals
from django.db import close_old_connections, reset_queries


def forget_per_request_housekeeping() -> None:
    """Django's own receivers of every request's start and end look after database
    connections: the gateway has no database (the stand-in backend is never connected).
    They cost every request a few percent of its CPU for nothing. (Closing the caches is
    left out in every service where it does nothing: `shop_common.apps`.)"""
    signals.request_started.disconnect(reset_queries)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


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
