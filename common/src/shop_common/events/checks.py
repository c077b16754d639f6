"""`manage.py check`: a service's handlers and its SUBSCRIPTIONS entry name the same types.

A handler for a type the service's queue is not bound to would never run: an error. A
subscribed type without a handler is dead-lettered on arrival: a warning, which the
consumer also logs at start (`unhandled_types()`); tests hold both at none.
"""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning

from shop_common.events.registry import handlers
from shop_common.events.topology import subscribed_types


def check_subscriptions(**_: Any) -> list[CheckMessage]:
    service = settings.SERVICE_NAME
    handled = set(handlers())
    subscribed = set(subscribed_types(service))
    unbound: list[CheckMessage] = [
        Error(
            f"{service} handles {event_type} but its queue is not bound to it",
            hint="add it to SUBSCRIPTIONS in shop_common/events/topology.py",
            id="events.E001",
        )
        for event_type in sorted(handled - subscribed)
    ]
    return unbound + [
        CheckWarning(
            f"{service}'s queue receives {event_type} but no @handler takes it",
            hint="add the handler, or take the type out of SUBSCRIPTIONS",
            id="events.W001",
        )
        for event_type in unhandled_types(service)
    ]


def unhandled_types(service: str) -> list[str]:
    """Types the service's queue receives that no @handler of it takes."""
    return sorted(set(subscribed_types(service)) - set(handlers()))
