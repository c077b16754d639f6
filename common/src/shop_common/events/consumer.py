"""What the consumer loop does with each message, with due retries, and with periodic
jobs; the broker side is in `shop_common.events.broker`.

Every outcome is written to the database before the message is acknowledged: a failed
event becomes a `FailedEvent` (retried here with exponential backoff, dead after
EVENTS_MAX_ATTEMPTS), an unreadable message a dead one at once. So acknowledging never
loses an event, and a failing event never blocks the queue.
"""

import logging
import threading
import time
import traceback
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import Sum
from django.utils import timezone
from kombu import Connection
from kombu.message import Message

from shop_common.events.broker import keep_connected, service_queue
from shop_common.events.checks import unhandled_types
from shop_common.events.envelope import Event, InvalidEnvelope
from shop_common.events.inbox import Outcome, apply_event
from shop_common.events.models import FailedEvent, InboxEvent, JobSchedule
from shop_common.events.registry import PeriodicJob, periodic_jobs
from shop_common.events.relay import PRUNE_EVERY_SECONDS, add_pruned

logger = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """Exponential: base, 2 x base, 4 x base ... up to EVENTS_RETRY_MAX_SECONDS."""
    seconds = settings.EVENTS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.EVENTS_RETRY_MAX_SECONDS))


def receive(body: bytes | str, *, consumer: str | None = None) -> Outcome:
    """Apply one message from the broker and record how it went; never raises for a bad
    event or a failing handler (database errors do: the message is then not acknowledged)."""
    consumer = consumer or settings.SERVICE_NAME
    try:
        event = Event.decode(body)
    except InvalidEnvelope as exc:
        text = body.decode(errors="replace") if isinstance(body, bytes) else body
        FailedEvent.objects.create(
            consumer=consumer,
            body=text[:100_000],
            attempts=1,
            last_error=f"unreadable message: {exc}",
            dead=True,
            dead_lettered=1,
        )
        logger.error("unreadable event message dead-lettered", extra={"error": str(exc)})
        return Outcome.DEAD_LETTERED
    # Already waiting for a retry or dead, the event is the retry loop's, not this
    # delivery's: `apply_event` asks in its inbox row's INSERT (no round trip of its own).
    return _attempt(event, consumer=consumer, retrying=False)


def retry_due(*, consumer: str | None = None, limit: int = 50) -> list[Outcome]:
    """Retry the failed events whose next attempt is due (oldest due first)."""
    consumer = consumer or settings.SERVICE_NAME
    due = list(FailedEvent.objects.due(consumer).exclude(envelope=None)[:limit])
    return [_attempt(failed.event(), consumer=consumer, retrying=True) for failed in due]


def _attempt(event: Event, *, consumer: str, retrying: bool) -> Outcome:
    try:
        outcome = apply_event(event, consumer=consumer, unless_failed=not retrying)
    except Exception as exc:  # a handler's bug must not stop the consumer
        return _record_failure(event, consumer=consumer, error=traceback.format_exc(), exc=exc)
    if retrying:
        FailedEvent.objects.filter(consumer=consumer, event_id=event.id).update(
            resolved_at=timezone.now(), next_attempt_at=None
        )
    return outcome


def _record_failure(event: Event, *, consumer: str, error: str, exc: Exception) -> Outcome:
    now = timezone.now()
    with transaction.atomic():
        failed, _ = FailedEvent.objects.select_for_update().get_or_create(
            consumer=consumer,
            event_id=event.id,
            defaults={"type": event.type, "envelope": event.envelope()},
        )
        failed.resolved_at = None
        failed.record_failure(
            error,
            max_attempts=settings.EVENTS_MAX_ATTEMPTS,
            backoff=backoff(failed.attempts_this_round + 1),
            now=now,
        )
        failed.save()
    extra = {
        "event_id": str(event.id),
        "event_type": event.type,
        "consumer": consumer,
        "attempts": failed.attempts,
        "error": repr(exc),
    }
    if failed.dead:
        logger.error("event dead-lettered", extra=extra)
        return Outcome.DEAD_LETTERED
    logger.warning("event failed; retrying later", extra=extra)
    return Outcome.FAILED


def run_due_jobs(jobs: list[PeriodicJob] | None = None) -> list[str]:
    """Run each periodic job that is due, at most one replica per turn; the names run."""
    ran = []
    for job in periodic_jobs() if jobs is None else jobs:
        if _claim(job):
            try:
                job.run()
            except Exception:  # the next turn tries again
                logger.exception("periodic job failed", extra={"job": job.name})
            ran.append(job.name)
    return ran


def _claim(job: PeriodicJob) -> bool:
    """Move the job's due time forward if it has come; True for the replica that did."""
    now = timezone.now()
    schedule, _ = JobSchedule.objects.get_or_create(name=job.name, defaults={"due_at": now})
    if schedule.due_at > now:
        return False  # not due: no UPDATE (the loop asks twice a second for every job)
    claimed = JobSchedule.objects.filter(name=job.name, due_at__lte=now).update(
        due_at=now + timedelta(seconds=job.every)
    )
    return claimed == 1


class Consumer:
    """The consumer's loop (`manage.py consume_events`): the service's queue, due
    retries, periodic jobs and pruning, until `stop` is set.

    A message is acknowledged once its outcome is committed (applied, duplicate, or a
    FailedEvent). A database error leaves it unacknowledged and drops the connection, so
    the broker hands it out again. Retries and periodic jobs need only the database, so
    they go on while the broker is unreachable.
    """

    TICK_SECONDS = 0.5

    def __init__(self, *, stop: threading.Event, service: str | None = None) -> None:
        self.stop = stop
        self.service = service or settings.SERVICE_NAME
        self.pruned_at = 0.0
        self.housekept_at = 0.0

    def run(self) -> None:
        keep_connected(self._serve, stop=self.stop, wait=self._housekeeping_for)

    def _serve(self, broker: Connection) -> None:
        queue = service_queue(self.service)
        prefetch = settings.EVENTS_PREFETCH if settings.AMQP_URL else 1
        with broker.Consumer(queue, on_message=self._on_message, prefetch_count=prefetch):
            logger.info("consumer connected", extra={"queue": queue.name})
            if unhandled := unhandled_types(self.service):
                logger.warning(
                    "subscribed event types without a handler will be dead-lettered",
                    extra={"event_types": unhandled},
                )
            while not self.stop.is_set():
                with suppress(TimeoutError):
                    broker.drain_events(timeout=self.TICK_SECONDS)
                broker.heartbeat_check()
                if time.monotonic() - self.housekept_at >= self.TICK_SECONDS:
                    self._housekeeping()

    def _on_message(self, message: Message) -> None:
        close_old_connections()
        outcome = receive(message.body, consumer=self.service)
        message.ack()
        logger.debug("event received", extra={"outcome": str(outcome)})

    def _housekeeping(self) -> None:
        self.housekept_at = time.monotonic()
        close_old_connections()
        retry_due(consumer=self.service)
        run_due_jobs()
        if time.monotonic() - self.pruned_at >= PRUNE_EVERY_SECONDS:
            self.pruned_at = time.monotonic()
            prune_applied(older_than=timedelta(days=settings.EVENTS_RETENTION_DAYS))

    def _housekeeping_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                self._housekeeping()
            except DatabaseError as exc:
                logger.warning("event housekeeping failed", extra={"error": repr(exc)})
            self.stop.wait(self.TICK_SECONDS)


def prune_applied(*, older_than: timedelta) -> int:
    """Delete inbox rows and resolved failures older than `older_than`, keeping what
    /metrics counted of them in `PrunedCount`. An event redelivered after its inbox row
    is gone would apply again: the retention is days, redeliveries take seconds."""
    before = timezone.now() - older_than
    with transaction.atomic():
        inbox = InboxEvent.objects.filter(applied_at__lt=before)
        duplicates = inbox.aggregate(total=Sum("duplicates"))["total"] or 0
        applied, _ = inbox.delete()
        resolved = FailedEvent.objects.filter(resolved_at__lt=before)
        failures = resolved.aggregate(attempts=Sum("attempts"), dead=Sum("dead_lettered"))
        resolved.delete()
        for counter, count in (
            ("applied", applied),
            ("duplicate", duplicates),
            ("failed", (failures["attempts"] or 0) - (failures["dead"] or 0)),
            ("dead_lettered", failures["dead"] or 0),
        ):
            if count:
                add_pruned(counter, count)
    return applied
