"""Where events go, as data: one durable topic exchange `<ns>.events` (routing key = the
event type) and one durable queue per consuming service, `<ns>.<service>`, bound to the
types in its subscriptions. `<ns>` is EVENTS_NAMESPACE, so that test runs never share
queues. The relay and the consumer both declare the whole topology from here."""

from django.conf import settings

# Which event types each service consumes. A test checks it against each service's
# @handler set, so a handler is never left without messages nor a queue without a handler.
SUBSCRIPTIONS: dict[str, list[str]] = {
    "order_svc": ["payment.succeeded", "payment.failed", "payment.refunded"],
    "payment_svc": ["order.cancelled"],
    "product_svc": ["order.shipped"],
    "user_svc": ["order.confirmed", "order.paid", "order.shipped", "order.cancelled"],
}


def namespace() -> str:
    return settings.EVENTS_NAMESPACE


def subscriptions() -> dict[str, list[str]]:
    """SUBSCRIPTIONS, or the `EVENTS_SUBSCRIPTIONS` setting where a project names its own
    (common/'s test project adds a probe consumer)."""
    return getattr(settings, "EVENTS_SUBSCRIPTIONS", SUBSCRIPTIONS)


def exchange_name(ns: str | None = None) -> str:
    """The exchange of namespace `ns` (by default the configured one)."""
    return f"{ns or namespace()}.events"


def queue_name(service: str, ns: str | None = None) -> str:
    """The queue of `service` in namespace `ns` (by default the configured one)."""
    return f"{ns or namespace()}.{service}"


def subscribed_types(service: str) -> list[str]:
    return subscriptions().get(service, [])
