"""Applying one event in a consumer: its handler and its inbox row in one transaction.

`apply_event` is what the consumer loop runs for each message, and what a service's
unit tests call to run their handlers without a broker:

    from shop_common.events import Event
    from shop_common.events.inbox import apply_event
    apply_event(Event(type="payment.succeeded", subject=str(payment_id), payload={...}))
"""

import enum
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet

from shop_common.events.envelope import Event
from shop_common.events.models import InboxEvent
from shop_common.events.registry import handler_for
from shop_common.request_id import request_id_var

logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What became of one delivery (the `outcome` label of shop_events_consumed_total)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    DEAD_LETTERED = "dead_lettered"


class NoHandler(LookupError):
    """An event this service receives but has no handler for: it fails like a bug would,
    so it is retried and then dead-lettered where an operator sees it."""


class _AppliedBefore(Exception):
    """The inbox row of this event is there already: leave the transaction, roll it back."""


class _OwnedByRetries(Exception):
    """The event has a failure the retry loop has not resolved: leave it to that loop."""


def apply_event(
    event: Event, *, consumer: str | None = None, unless_failed: bool = False
) -> Outcome:
    """Run the event's handler and record it in the inbox, all or nothing.

    A second delivery of the same event id is a duplicate and changes nothing, and so is,
    with `unless_failed` (a delivery from the broker), an event whose failure is waiting
    for the retry loop or dead: that loop owns it. The handler's exceptions propagate (the
    transaction rolled back), for the caller to retry.
    """
    consumer = consumer or settings.SERVICE_NAME
    handle = handler_for(event.type)
    token = request_id_var.set(event.request_id)
    try:
        # The inbox row goes first: a duplicate (delivered again, or applied by another
        # replica whose transaction committed first) fails it before the handler runs,
        # and one the retry loop owns writes nothing. No lookup before it and no
        # savepoint around it: a refused insert rolls back a transaction that has done
        # nothing else, four round trips fewer an event.
        with transaction.atomic():
            try:
                recorded = InboxEvent.objects.record(
                    event, consumer=consumer, unless_failed=unless_failed
                )
            except IntegrityError as exc:
                raise _AppliedBefore() from exc
            if not recorded:
                raise _OwnedByRetries()
            if handle is None:  # asked after the row: a retry loop's event stays its own
                raise NoHandler(f"{consumer} has no handler for {event.type}")
            handle(event)
        # Inside the request id, as the handler's own lines are.
        logger.info(
            "event applied",
            extra={"event_id": str(event.id), "event_type": event.type, "consumer": consumer},
        )
    except _AppliedBefore:
        return _duplicate(InboxEvent.objects.filter(consumer=consumer, event_id=event.id))
    except _OwnedByRetries:
        return Outcome.DUPLICATE
    finally:
        request_id_var.reset(token)
    return Outcome.APPLIED


def _duplicate(already: QuerySet[InboxEvent]) -> Outcome:
    already.update(duplicates=F("duplicates") + 1)
    return Outcome.DUPLICATE
