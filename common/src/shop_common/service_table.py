"""The one table of the shop's services and their development ports.

The launcher, manage.py, the settings and every caller that needs "where is
product_svc" read this table instead of repeating names and numbers.
"""

import os
from dataclasses import KW_ONLY, dataclass


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    # The flags are named wherever a service is declared: a bare `False` says nothing.
    _: KW_ONLY
    has_database: bool = True
    # Keeps counters and cache in the `default` cache: on the in-process default cache
    # it must run as one process (with threads) so that every request sees the same one.
    needs_shared_cache: bool = False
    # The public entry point; every other service is reached only through it (or by
    # another service), so it believes the `X-Forwarded-*` headers the gateway sets.
    public: bool = False
    # Writes events to an outbox: runs `manage.py relay_events` beside gunicorn.
    publishes_events: bool = False
    # Has a queue (shop_common.events.topology.SUBSCRIPTIONS) or periodic jobs: runs
    # `manage.py consume_events` beside gunicorn.
    consumes_events: bool = False

    @property
    def env_prefix(self) -> str:
        return self.name.upper()

    @property
    def event_commands(self) -> list[str]:
        """The events' management commands this service runs as processes of their own."""
        return [
            command
            for command, runs in (
                ("relay_events", self.publishes_events),
                ("consume_events", self.consumes_events),
            )
            if runs
        ]

    @property
    def url(self) -> str:
        """Base URL(s) of the service: `<NAME>_URL` from the environment, else localhost."""
        return os.environ.get(f"{self.env_prefix}_URL", f"http://127.0.0.1:{self.port}")


def _port(name: str, default: int) -> int:
    """`<NAME>_PORT` from the environment (tests run the system on free ports), else default."""
    return int(os.environ.get(f"{name.upper()}_PORT", default))


SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        Service(
            "gateway_svc",
            _port("gateway_svc", 8000),
            has_database=False,
            needs_shared_cache=True,
            public=True,
        ),
        Service("user_svc", _port("user_svc", 8001), consumes_events=True),
        Service("product_svc", _port("product_svc", 8002), consumes_events=True),
        Service("order_svc", _port("order_svc", 8003), publishes_events=True, consumes_events=True),
        Service(
            "payment_svc", _port("payment_svc", 8004), publishes_events=True, consumes_events=True
        ),
    )
}


def get_service(name: str) -> Service:
    try:
        return SERVICES[name]
    except KeyError:
        raise LookupError(f"unknown service {name!r}; known: {', '.join(SERVICES)}") from None
