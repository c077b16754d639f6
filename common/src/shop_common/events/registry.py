"""What a service declares: the handlers it runs for each event type, and its periodic
jobs. Both live in `<app>/event_handlers.py`, imported when the app registry is ready."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from shop_common.events.envelope import Event, check_type

Handler = Callable[[Event], None]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: float
    run: Callable[[], None]


_handlers: dict[str, Handler] = {}
_periodic: dict[str, PeriodicJob] = {}


def _qualified_name(func: Callable[..., object]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def handler(event_type: str) -> Callable[[Handler], Handler]:
    """Run the decorated function for each event of this type this service consumes.

    It runs inside `transaction.atomic` together with the inbox row, so its effects and
    the record that the event was applied commit together; raising rolls both back and
    the event is retried later (dead-lettered after EVENTS_MAX_ATTEMPTS).
    """
    check_type(event_type)

    def register(func: Handler) -> Handler:
        known = _handlers.get(event_type)
        if known is not None and _qualified_name(known) != _qualified_name(func):
            raise ImproperlyConfigured(
                f"two handlers for {event_type}: {_qualified_name(known)} and "
                f"{_qualified_name(func)}"
            )
        _handlers[event_type] = func
        return func

    return register


def periodic(*, every: float) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Run the decorated function about every `every` seconds in the consumer process.

    With several consumer replicas only one of them runs it each time (`JobSchedule`).
    """
    if every <= 0:
        raise ImproperlyConfigured("a periodic job needs a positive interval")

    def register(func: Callable[[], None]) -> Callable[[], None]:
        name = _qualified_name(func)
        _periodic[name] = PeriodicJob(name=name, every=every, run=func)
        return func

    return register


def handlers() -> dict[str, Handler]:
    """Every registered handler by event type: what this process consumes."""
    return dict(_handlers)


def handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def periodic_jobs() -> list[PeriodicJob]:
    return list(_periodic.values())
