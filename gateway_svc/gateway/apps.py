from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"

    def ready(self) -> None:
        from gateway.breaker import BreakerStateCollector
        from gateway.routes import route_table
        from gateway.upstreams import breakers
        from shop_common.metrics import register_collector

        # A wrong route table stops the process at start-up, not at the first request.
        route_table()
        register_collector(BreakerStateCollector(breakers))
