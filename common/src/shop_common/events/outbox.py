"""`publish()`: write an event into the outbox, in the transaction of the change it reports.

Nothing is sent here: the relay (`manage.py relay_events`) publishes what has committed,
so an event exists exactly when its change does, whether or not the broker answers.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

from shop_common.events.envelope import check_type
from shop_common.request_id import current_request_id

if TYPE_CHECKING:
    from shop_common.events.models import OutboxEvent


class TransactionRequired(RuntimeError):
    """publish() outside `transaction.atomic`: the event could outlive or miss its change."""


def publish(
    event_type: str,
    *,
    subject: object,
    payload: Mapping[str, Any],
    version: int = 1,
    using: str | None = None,
) -> "OutboxEvent":
    """Write one event of `event_type` about `subject` (the id of what changed).

    Must run inside `transaction.atomic` on the database the change is written to; the
    request id comes from the request (or event) being handled. Decimals, UUIDs and
    datetimes in `payload` travel as strings.
    """
    if not transaction.get_connection(using).in_atomic_block:
        raise TransactionRequired(
            f"publish({event_type!r}) must run inside transaction.atomic, with the change"
        )
    event = outbox_event(event_type, subject=subject, payload=payload, version=version)
    event.save(using=using, force_insert=True)
    return event


def outbox_event(
    event_type: str, *, subject: object, payload: Mapping[str, Any], version: int = 1
) -> "OutboxEvent":
    """The outbox row `publish` writes, not yet written: for a caller that writes it in
    one statement with its change (a data-modifying `WITH` on PostgreSQL, which commits as
    one transaction), so that the two still commit together."""
    from shop_common.events.models import OutboxEvent

    return OutboxEvent(
        type=check_type(event_type),
        version=version,
        subject=str(subject),
        request_id=current_request_id() or "",
        payload=dict(payload),
    )
