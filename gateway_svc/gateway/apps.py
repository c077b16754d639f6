from django.apps import AppConfig
from django.conf import settings


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
