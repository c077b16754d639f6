"""`Idempotency-Key` for a service's POSTs: one answer per user and key, replayed for 24 hours.

A service keeps its records in a model of its own (a subclass of `IdempotencyRecord`,
which holds the unique (user_id, key) constraint) and answers a keyed POST through
`answer_once`. The first request inserts a `processing` record; the unique constraint
makes a concurrent twin fail that insert, so the database decides who does the work. The
twin then waits a little for the first answer, and replays it. Answers the caller should
retry (5xx) are not kept: the record is deleted, so the same key may try again. Work that
begins with a transaction of its own may claim the key in it (`answer_once_claiming`
and `claim`) instead of in an INSERT before it: one commit fewer a request; work that
ends with one may keep its answer in it (`keep`): one more commit fewer.

A replay is the first answer's very bytes: the answer is kept as JSON text, whose keys
`json.loads` gives back in their first order, and rendered again as it was the first time.
"""

import hashlib
import json
import re
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop_common.client import IDEMPOTENCY_HEADER
from shop_common.errors import DomainError, error_body

TTL = timedelta(hours=24)
KEY_FORMAT = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?")
POLL_INTERVAL = 0.05
KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Makes a retried POST safe: the same key and body answer the first result "
    "(with `Idempotent-Replayed: true`); another body under the key is a 422.",
    pattern=KEY_FORMAT.pattern.join("^$"),
)
# The headers of an answer that say something about what was made, so a replay repeats
# them. Content-Type comes from the same renderer; per-response headers (X-Request-ID) are new.
REPLAYED_HEADERS = ("Location",)


class IdempotencyKeyReused(DomainError, status=422):
    default_detail = "This Idempotency-Key was already used with a different request body."


class IdempotencyKeyInProgress(DomainError, status=409):
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."
    retry_after = 1


class InvalidIdempotencyKey(DomainError):
    default_detail = "Idempotency-Key must be 1 to 255 printable ASCII characters."

    def __init__(self) -> None:
        super().__init__(extra={"errors": {"Idempotency-Key": [self.default_detail]}})


class KeyTaken(Exception):
    """Another request has claimed the key (or answered it) first. Raised by
    `IdempotencyKeys.claim` inside the caller's transaction, which it rolls back."""


class IdempotencyState(models.TextChoices):
    PROCESSING = "processing"
    DONE = "done"


class IdempotencyRecord(models.Model):
    """The first answer to a user's `Idempotency-Key`, replayed to every repeat for 24 h.

    Abstract: each service keeps its own table, with these constraints under its own names
    (`Meta.constraints` of the subclass, from `constraints(prefix)`).
    """

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(
        max_length=16, choices=IdempotencyState.choices, default=IdempotencyState.PROCESSING
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The answer's body and the headers a replay must repeat (`REPLAYED_HEADERS`), as JSON
    # text (`answer_columns`), not `JSONField`: PostgreSQL's `jsonb` keeps an object's keys
    # in an order of its own (shorter first), and a replay renders them in the kept order.
    # NULL is "no answer yet", which `constraints` checks ("" would not be JSON).
    response_body = models.TextField(null=True, blank=True)  # noqa: DJ001
    response_headers = models.TextField(default="{}", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"key {self.key!r} of user {self.user_id}"

    @staticmethod
    def constraints(prefix: str) -> tuple[models.BaseConstraint, ...]:
        """One record per user and key; a finished record holds its answer."""
        return (
            models.UniqueConstraint(fields=["user_id", "key"], name=f"{prefix}_key_per_user"),
            models.CheckConstraint(
                condition=Q(state=IdempotencyState.PROCESSING)
                | Q(response_status__isnull=False, response_body__isnull=False),
                name=f"{prefix}_done_has_response",
            ),
        )


Record = TypeVar("Record", bound=IdempotencyRecord)


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

    @classmethod
    def refusal(cls, exc: DomainError) -> "StoredAnswer":
        """The answer the exception handler gives `exc` (`domain_error_response`), not
        rendered, for work that keeps its refusal for its key in its own last transaction
        (`IdempotencyKeys.keep`): the view renders it once, when it answers."""
        headers = {name: exc.headers[name] for name in REPLAYED_HEADERS if name in exc.headers}
        return cls(exc.status_code, error_body(exc.detail, exc.extra), headers)

    @classmethod
    def kept_in(cls, record: IdempotencyRecord) -> "StoredAnswer":
        """The answer `answer_columns` kept in a finished `record`, in its first order."""
        body = json.loads(record.response_body)
        return cls(record.response_status, body, json.loads(record.response_headers))

    def response(self) -> Response:
        """The answer as the first request gets it."""
        return Response(self.body, status=self.status, headers=self.headers)

    def replay(self) -> Response:
        return Response(
            self.body, status=self.status, headers={**self.headers, "Idempotent-Replayed": "true"}
        )


@dataclass
class KeyRequest(Generic[Record]):
    """A key asked for and not yet claimed: the work it guards claims it with
    `IdempotencyKeys.claim` in its own transaction (`record` is then the claim), and may
    keep its answer with `IdempotencyKeys.keep` in its last one (`kept`, which the work
    then gives as its response rather than building it again)."""

    user_id: int
    key: str
    request_hash: str
    record: Record | None = None
    kept: StoredAnswer | None = None


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


def answer_columns(answer: StoredAnswer) -> dict[str, Any]:
    """The columns that keep `answer` for its key's replays (`keep`, `finish`): for a
    caller that writes them in one statement with its work (order_svc's confirmation)."""
    return {
        "state": IdempotencyState.DONE,
        "response_status": answer.status,
        "response_body": json.dumps(answer.body, cls=DjangoJSONEncoder),
        "response_headers": json.dumps(answer.headers),
    }


class IdempotencyKeys(Generic[Record]):
    """The keys kept in one service's record model. A subclass may keep a key taken in
    `abandon` (order_svc keeps the key of an order that may still be confirmed)."""

    def __init__(self, model: type[Record]) -> None:
        self.model = model

    def begin(self, *, user_id: int, key: str, request_hash: str) -> Record | StoredAnswer:
        """Claim the key (a new `processing` record) or return the answer already given."""
        asked = KeyRequest[Record](user_id=user_id, key=key, request_hash=request_hash)
        for _ in range(2):
            record = self._insert(user_id=user_id, key=key, request_hash=request_hash)
            if record is not None:
                return record
            if (answer := self._answer_of(asked)) is not None:
                return answer
        raise IdempotencyKeyInProgress()

    def claim(self, asked: KeyRequest[Record], **fields: Any) -> Record:
        """Insert the key's `processing` record in the caller's transaction (`fields`: the
        record model's own columns). `KeyTaken` when another request has the key: raised
        through the caller's `atomic`, it rolls back everything done there.

        On PostgreSQL a twin's insert waits for the transaction that claimed the key first
        and then fails, so exactly one of them does the work, as with `begin`."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("claim() belongs inside the transaction of the work it guards")
        record = self.new_claim(asked, **fields)
        try:
            record.save(force_insert=True)
        except IntegrityError as exc:
            raise KeyTaken() from exc
        asked.record = record
        return record

    def new_claim(self, asked: KeyRequest[Record], **fields: Any) -> Record:
        """The key's `processing` record `claim` inserts, not yet written: for a caller that
        writes it in one statement with its work (order_svc's pending order)."""
        now = timezone.now()
        return self.model(
            user_id=asked.user_id,
            key=asked.key,
            request_hash=asked.request_hash,
            created_at=now,
            expires_at=now + TTL,
            **fields,
        )

    def _answer_of(self, asked: KeyRequest[Record]) -> StoredAnswer | None:
        """The answer given under a key someone else holds (waiting for it briefly), 422 for
        another body; None when the key is free (never taken, expired, or given back)."""
        existing = self.model.objects.filter(user_id=asked.user_id, key=asked.key).first()
        if existing is None or self._drop_if_expired(existing):
            return None
        if existing.request_hash != asked.request_hash:
            raise IdempotencyKeyReused()
        return self._wait_for_answer(existing)

    def _insert(self, *, user_id: int, key: str, request_hash: str) -> Record | None:
        now = timezone.now()
        # One INSERT is atomic on its own: outside a transaction it needs no BEGIN and
        # COMMIT (two more round trips for every keyed POST); inside one, a savepoint
        # keeps a refused insert from breaking the caller's transaction.
        in_transaction = transaction.get_connection().in_atomic_block
        try:
            with transaction.atomic() if in_transaction else nullcontext():
                return self.model.objects.create(
                    user_id=user_id,
                    key=key,
                    request_hash=request_hash,
                    created_at=now,
                    expires_at=now + TTL,
                )
        except IntegrityError:
            return None

    def _drop_if_expired(self, record: Record) -> bool:
        """Delete a record past its 24 hours (only that one: a fresh twin may replace it)."""
        if record.expires_at > timezone.now():
            return False
        self.model.objects.filter(pk=record.pk, expires_at__lte=timezone.now()).delete()
        return True

    def _wait_for_answer(self, record: Record) -> StoredAnswer:
        """Wait (briefly) for the twin that holds the key to finish, then replay its answer."""
        deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
        while True:
            if record.state == IdempotencyState.DONE:
                return StoredAnswer.kept_in(record)
            if time.monotonic() >= deadline:
                raise IdempotencyKeyInProgress()
            time.sleep(POLL_INTERVAL)
            record = self.model.objects.filter(pk=record.pk).first()
            if record is None:
                # The first request failed in a way worth retrying and gave the key back.
                raise IdempotencyKeyInProgress()

    def finish(self, record: Record, answer: StoredAnswer) -> None:
        """Keep the answer for replays, or give the key back when the caller should retry."""
        if answer.status >= 500:
            self.abandon(record)
            return
        self._store(record, answer)

    def keep(self, asked: KeyRequest[Record], answer: StoredAnswer) -> None:
        """Keep the work's (final, not 5xx) answer for its claimed key in the caller's
        transaction, so that it commits with the work: no statement and no commit of its
        own afterwards. `answer_once_claiming` then keeps nothing more."""
        if asked.record is None or not transaction.get_connection().in_atomic_block:
            raise RuntimeError("keep() belongs inside the transaction of the work that claimed")
        self._store(asked.record, answer)
        asked.kept = answer

    def _store(self, record: Record, answer: StoredAnswer) -> None:
        self.model.objects.filter(pk=record.pk).update(**answer_columns(answer))

    def abandon(self, record: Record) -> None:
        """Give the key back: nothing final happened, so the same key may try again."""
        self.model.objects.filter(pk=record.pk).delete()

    def purge_expired(self) -> int:
        return self.model.objects.filter(expires_at__lte=timezone.now()).delete()[0]

    def answer_once(
        self,
        view: APIView,
        request: Request,
        perform: Callable[[Record | None], Response],
        *,
        final: tuple[type[Exception], ...],
    ) -> Response:
        """`perform(claim)` once per user and `Idempotency-Key` (`perform(None)` without
        one), its answer replayed to repeats. A refusal of `final`'s kinds is the key's
        answer too; any other exception (invalid input, a bug) leaves the key free."""
        key = clean_key(request.headers.get(IDEMPOTENCY_HEADER))
        if key is None:
            return perform(None)
        # The key is looked up before the body is validated: once a key has an answer,
        # any other body under it, even an invalid one, is a 422.
        claim = self.begin(user_id=request.user.id, key=key, request_hash=fingerprint(request.data))
        if isinstance(claim, StoredAnswer):
            return claim.replay()
        try:
            response = perform(claim)
        except final as exc:
            response = view.handle_exception(exc)
        except BaseException:
            self.abandon(claim)
            raise
        self.finish(claim, StoredAnswer.of(response))
        return response

    def answer_once_claiming(
        self,
        view: APIView,
        request: Request,
        perform: Callable[[KeyRequest[Record] | None], Response],
        *,
        final: tuple[type[Exception], ...],
    ) -> Response:
        """`answer_once` for work that claims the key itself (`claim`) in its first
        transaction, so that the claim costs no transaction of its own.

        What a repeat is answered does not change: a key someone else claimed first rolls
        the work's transaction back and replays that answer (or 422 for another body);
        when the work fails before claiming (an invalid body), a key already used with
        another body is still the 422. An answer the work kept (`keep`) is never given
        back: it committed with the work."""
        key = clean_key(request.headers.get(IDEMPOTENCY_HEADER))
        if key is None:
            return perform(None)
        asked = KeyRequest[Record](
            user_id=request.user.id, key=key, request_hash=fingerprint(request.data)
        )
        for _ in range(2):
            try:
                response = perform(asked)
            except KeyTaken:
                if (answer := self._answer_of(asked)) is not None:
                    return answer.replay()
                continue  # the key was freed meanwhile: try again
            except final as exc:
                if asked.record is None and (answer := self._answer_of(asked)) is not None:
                    return answer.replay()
                response = view.handle_exception(exc)
            except BaseException:
                if asked.kept is not None:
                    raise
                if asked.record is not None:
                    self.abandon(asked.record)
                elif (answer := self._answer_of(asked)) is not None:
                    return answer.replay()
                raise
            if asked.record is not None and asked.kept is None:
                self.finish(asked.record, StoredAnswer.of(response))
            return response
        raise IdempotencyKeyInProgress()
