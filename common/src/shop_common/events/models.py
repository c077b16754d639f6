"""The outbox (events written with the change they report, published by the relay), the
inbox (events a consumer applied, so a redelivery changes nothing), the failed events
(retries and dead letters), and the two small tables the loops share between replicas."""

import uuid
from datetime import datetime, timedelta
from operator import attrgetter

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router
from django.db.models import F, Q
from django.utils import timezone

from shop_common.events.envelope import Event


class OutboxEventQuerySet(models.QuerySet["OutboxEvent"]):
    def claim_waiting(self, size: int) -> list["OutboxEvent"]:
        """Mark the `size` oldest waiting rows published and return them, oldest first,
        skipping those another relay holds (PostgreSQL). Run it in the transaction that
        publishes them: the mark is only true once that commits, after the broker
        confirmed them, and a failed publish rolls it back.

        One `UPDATE ... RETURNING`, which the ORM cannot write, where a `SELECT ... FOR
        UPDATE SKIP LOCKED` and an `UPDATE` took a round trip each, both built by the ORM
        on every batch (docs/benchmarks.md, "The event path's CPU, sixth round").
        """
        connection = connections[router.db_for_write(self.model)]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        fields = self.model._meta.concrete_fields
        columns = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
        # MATERIALIZED: the locking subquery runs once, never folded into the UPDATE.
        sql = (
            f"WITH claimed AS MATERIALIZED (SELECT id FROM {table}"
            " WHERE published_at IS NULL ORDER BY occurred_at LIMIT %s"
            " FOR UPDATE SKIP LOCKED)"
            f" UPDATE {table} SET published_at = %s FROM claimed"
            f" WHERE {table}.id = claimed.id RETURNING {columns}"
        )
        published_at = self.model._meta.get_field("published_at")
        payload = self.model._meta.get_field("payload")
        with connection.cursor() as cursor:
            cursor.execute(sql, [size, published_at.get_db_prep_value(timezone.now(), connection)])
            found = cursor.fetchall()
        rows = [self.model.from_db(connection.alias, None, values) for values in found]
        for row in rows:
            row.payload = payload.from_db_value(row.payload, None, connection)
        return sorted(rows, key=attrgetter("occurred_at"))


class OutboxEvent(models.Model):
    """An event written in the transaction of the change it reports; `published_at` is
    committed once the broker has confirmed it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    subject = models.CharField(max_length=100)
    request_id = models.CharField(max_length=128, blank=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        ordering = ("occurred_at",)
        indexes = (
            # The relay's question, "what is waiting, oldest first", reads only this.
            models.Index(
                fields=["occurred_at"],
                condition=Q(published_at__isnull=True),
                name="events_outbox_waiting",
            ),
            models.Index(fields=["published_at"], name="events_outbox_published"),
        )

    def __str__(self) -> str:
        return f"{self.type} {self.subject} ({self.id})"

    def event(self, *, source: str) -> Event:
        return Event(
            id=self.id,
            type=self.type,
            version=self.version,
            time=self.occurred_at,
            source=source,
            subject=self.subject,
            request_id=self.request_id or None,
            payload=self.payload,
        )


class InboxEventQuerySet(models.QuerySet["InboxEvent"]):
    def record(self, event: Event, *, consumer: str, unless_failed: bool = False) -> bool:
        """Write the row of an event about to be applied (`IntegrityError` when it was
        applied before); False, writing nothing, when `unless_failed` and the event has a
        failure not yet resolved: the retry loop owns it.

        That condition is part of the `INSERT` (`INSERT ... SELECT ... WHERE NOT EXISTS`),
        which Django's ORM cannot write: a lookup of its own cost every delivery a round
        trip (docs/benchmarks.md, "Order emails"). Both statements read the same committed
        rows, so the answer is the one a lookup just before would have given.
        """
        if not unless_failed:
            self.create(consumer=consumer, event_id=event.id, type=event.type)
            return True
        connection = connections[router.db_for_write(self.model)]
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(self.model._meta.db_table)}"
            " (consumer, event_id, type, applied_at, duplicates)"
            " SELECT %s, %s, %s, %s, 0 WHERE NOT EXISTS"
            f" (SELECT 1 FROM {quote(FailedEvent._meta.db_table)}"
            " WHERE consumer = %s AND event_id = %s AND resolved_at IS NULL)"
        )
        fields = self.model._meta
        event_id = fields.get_field("event_id").get_db_prep_value(event.id, connection)
        applied_at = fields.get_field("applied_at").get_db_prep_value(timezone.now(), connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [consumer, event_id, event.type, applied_at, consumer, event_id])
            return cursor.rowcount == 1


class InboxEvent(models.Model):
    """An event a consumer applied, written in the same transaction as its effect."""

    consumer = models.CharField(max_length=100)
    event_id = models.UUIDField()
    type = models.CharField(max_length=100)
    applied_at = models.DateTimeField(default=timezone.now)
    # Deliveries of the same event after it was applied (counted for /metrics).
    duplicates = models.PositiveIntegerField(default=0)

    objects = InboxEventQuerySet.as_manager()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["consumer", "event_id"], name="events_inbox_once"),
        )
        indexes = (models.Index(fields=["applied_at"], name="events_inbox_applied"),)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} applied by {self.consumer}"


class FailedEventQuerySet(models.QuerySet["FailedEvent"]):
    def due(self, consumer: str, now: datetime | None = None) -> "FailedEventQuerySet":
        """Failed events of this consumer whose next attempt is due."""
        return self.filter(
            consumer=consumer,
            dead=False,
            resolved_at__isnull=True,
            next_attempt_at__lte=now or timezone.now(),
        ).order_by("next_attempt_at")

    def replay(self) -> int:
        """Make dead events due again with a fresh round of attempts (the admin's action)."""
        return self.filter(dead=True).update(
            dead=False, next_attempt_at=timezone.now(), attempts_before_replay=F("attempts")
        )


class FailedEvent(models.Model):
    """A consumer's record of an event its handler failed on: retried with backoff by the
    consumer loop, dead (kept for an operator) after EVENTS_MAX_ATTEMPTS, or dead at once
    when the message is not an envelope at all (`envelope` null, the raw `body` kept)."""

    consumer = models.CharField(max_length=100)
    event_id = models.UUIDField(null=True, blank=True)
    type = models.CharField(max_length=100, blank=True)
    envelope = models.JSONField(null=True, blank=True)
    body = models.TextField(blank=True)
    # Every failed attempt, replays included (counted for /metrics).
    attempts = models.PositiveIntegerField(default=0)
    # `attempts` when an operator last replayed it: each replay grants a fresh round.
    attempts_before_replay = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dead = models.BooleanField(default=False)
    # How often it went dead (counted for /metrics: replays can make it die again).
    dead_lettered = models.PositiveIntegerField(default=0)
    # When a retry finally applied it.
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FailedEventQuerySet.as_manager()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["consumer", "event_id"],
                condition=Q(event_id__isnull=False),
                name="events_failed_once",
            ),
        )
        indexes = (
            models.Index(
                fields=["consumer", "next_attempt_at"],
                condition=Q(dead=False, resolved_at__isnull=True),
                name="events_failed_due",
            ),
        )

    def __str__(self) -> str:
        return f"{self.type or 'unreadable message'} {self.event_id or ''}".rstrip()

    @property
    def attempts_this_round(self) -> int:
        return self.attempts - self.attempts_before_replay

    def event(self) -> Event:
        return Event.from_envelope(self.envelope or {})

    def record_failure(
        self, error: str, *, max_attempts: int, backoff: timedelta, now: datetime
    ) -> None:
        """One more failed attempt: due again after `backoff`, or dead once this round
        has used its attempts."""
        self.attempts += 1
        self.last_error = error[-4000:]
        if self.attempts_this_round >= max_attempts:
            self.dead = True
            self.dead_lettered += 1
            self.next_attempt_at = None
        else:
            self.next_attempt_at = now + backoff


class JobSchedule(models.Model):
    """When each periodic job is next due, shared by every consumer replica: the replica
    whose conditional update moves `due_at` forward is the one that runs the job."""

    name = models.CharField(max_length=200, primary_key=True)
    due_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} due at {self.due_at:%Y-%m-%d %H:%M:%S}"


class PrunedCount(models.Model):
    """Rows pruned from the outbox and inbox, by what /metrics counts them as, so the
    totals computed from the tables never go down."""

    counter = models.CharField(max_length=50, primary_key=True)
    total = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.counter}: {self.total}"
