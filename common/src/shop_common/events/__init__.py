"""Events between services: a transactional outbox, a relay, consumers with an inbox.

A service publishes inside the transaction that makes the change, and declares the
handlers it runs; everything else (envelope, broker, retries, dead letters) lives here.

    from shop_common.events import Event, handler, periodic, publish

See docs/events.md.
"""

from shop_common.events.envelope import Event
from shop_common.events.outbox import publish
from shop_common.events.registry import handler, periodic

__all__ = ["Event", "handler", "periodic", "publish"]
