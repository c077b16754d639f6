"""`Idempotency-Key` for placing orders: one answer per user and key, replayed for 24 hours.

The first request inserts a `processing` record; the unique (user_id, key) constraint
makes a concurrent twin fail that insert, so the database decides who places the order.
The twin then waits a little for the first answer, and replays it. Answers the caller
should retry (503) are not kept: the record is deleted, so the same key may try again.
"""

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from orders.exceptions import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidIdempotencyKey
from orders.models import IdempotencyRecord, IdempotencyState
from orders.states import OrderStatus

TTL = timedelta(hours=24)
KEY_FORMAT = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?")
POLL_INTERVAL = 0.05
# The headers of an answer that say something about the order, so a replay repeats them.
# Content-Type comes from the same renderer; per-response headers (X-Request-ID) are new.
REPLAYED_HEADERS = ("Location",)


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given to the first request with this key."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, response: Response) -> "StoredAnswer":
        headers = {name: response[name] for name in REPLAYED_HEADERS if name in response}
        return cls(response.status_code, response.data, headers)


def clean_key(value: str | None) -> str | None:
    """The header's key, None when absent; `InvalidIdempotencyKey` when malformed."""
    if value is None:
        return None
    if not KEY_FORMAT.fullmatch(value):
        raise InvalidIdempotencyKey()
    return value


def fingerprint(body: Any) -> str:
    """Hash of the parsed body: key order and spacing do not make another request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def begin(*, user_id: int, key: str, request_hash: str) -> IdempotencyRecord | StoredAnswer:
    """Claim the key (a new `processing` record) or return the answer already given."""
    for _ in range(2):
        record = _insert(user_id=user_id, key=key, request_hash=request_hash)
        if record is not None:
            return record
        existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if existing is None or _drop_if_expired(existing):
            continue
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused()
        return _wait_for_answer(existing)
    raise IdempotencyKeyInProgress()


def _insert(*, user_id: int, key: str, request_hash: str) -> IdempotencyRecord | None:
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user_id=user_id,
                key=key,
                request_hash=request_hash,
                created_at=now,
                expires_at=now + TTL,
            )
    except IntegrityError:
        return None


def _drop_if_expired(record: IdempotencyRecord) -> bool:
    """Delete a record past its 24 hours (only that one: a fresh twin may replace it)."""
    if record.expires_at > timezone.now():
        return False
    IdempotencyRecord.objects.filter(pk=record.pk, expires_at__lte=timezone.now()).delete()
    return True


def _wait_for_answer(record: IdempotencyRecord) -> StoredAnswer:
    """Wait (briefly) for the twin that holds the key to finish, then replay its answer."""
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        if record.state == IdempotencyState.DONE:
            return StoredAnswer(
                record.response_status, record.response_body, record.response_headers
            )
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInProgress()
        time.sleep(POLL_INTERVAL)
        record = IdempotencyRecord.objects.filter(pk=record.pk).first()
        if record is None:
            # The first request failed in a way worth retrying and gave the key back.
            raise IdempotencyKeyInProgress()


def finish(record: IdempotencyRecord, answer: StoredAnswer) -> None:
    """Keep the answer for replays, or give the key back when the caller should retry."""
    if answer.status >= 500:
        abandon(record)
        return
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyState.DONE,
        response_status=answer.status,
        response_body=answer.body,
        response_headers=answer.headers,
    )


def abandon(record: IdempotencyRecord) -> None:
    """Give the key back: nothing final happened, so the same key may try again.

    A key whose order is still pending stays taken: that order may yet be confirmed by
    reconciliation, which then stores its answer for the key.
    """
    IdempotencyRecord.objects.filter(pk=record.pk).exclude(
        order__status=OrderStatus.PENDING
    ).delete()


def purge(*, stale_before: datetime) -> int:
    """Delete expired records, and claims abandoned before their order was even written."""
    expired = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()[0]
    orphans = IdempotencyRecord.objects.filter(
        state=IdempotencyState.PROCESSING, order__isnull=True, created_at__lt=stale_before
    ).delete()[0]
    return expired + orphans
