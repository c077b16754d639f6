"""`manage.py check`: a service's handlers and its SUBSCRIPTIONS entry name the same types.

A handler for a type the service's queue is not bound to never runs (an error); a
subscribed type without a handler is dead-lettered on arrival (a warning while a
service's handlers are still being written)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from shop_common.events.registry import handlers
from shop_common.events.topology import subscribed_types


def check_subscriptions(**_: Any) -> list[CheckMessage]:
    service = settings.SERVICE_NAME
    handled = set(handlers())
    subscribed = set(subscribed_types(service))
    messages: list[CheckMessage] = [
        Error(
            f"{service} handles {event_type} but its queue is not bound to it",
            hint="add it to SUBSCRIPTIONS in shop_common/events/topology.py",
            id="events.E001",
        )
        for event_type in sorted(handled - subscribed)
    ]
    messages += [
        Warning(
            f"{service} subscribes to {event_type} but has no @handler for it",
            hint="add one in an app's event_handlers.py, or drop the subscription",
            id="events.W001",
        )
        for event_type in sorted(subscribed - handled)
    ]
    return messages
