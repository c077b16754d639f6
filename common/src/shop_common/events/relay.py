"""The relay: publishes committed outbox rows, oldest first, and marks them published
once the broker has confirmed them (`manage.py relay_events`).

On PostgreSQL one statement claims and marks a batch (an `UPDATE ... RETURNING` of rows
taken with `FOR UPDATE SKIP LOCKED`), in a transaction that commits only once the broker
has confirmed the batch, so several relays share the outbox without publishing a row
twice; SQLite has no row locks, so run one relay there. A relay that dies between
publishing and committing the mark publishes the batch again when it comes back:
consumers drop the duplicates by event id (the inbox).

An idle relay looks for rows every EVENTS_POLL_SECONDS, except on PostgreSQL: there a
trigger on the outbox (migration 0002) notifies `OUTBOX_CHANNEL` when rows are committed,
and the relay sleeps on LISTEN until then, looking anyway every `LISTENING_POLL_SECONDS`
(a notification lost with its connection must not strand a row).
"""

import logging
import threading
import time
from contextlib import suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from kombu import Connection

from shop_common.events.broker import Publisher, keep_alive, keep_connected
from shop_common.events.models import OutboxEvent, PrunedCount

if TYPE_CHECKING:
    from psycopg import Connection as Listener

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600
# The outbox trigger's channel (migrations/0002_outbox_notify.py).
OUTBOX_CHANNEL = "events_outbox"
# How often a listening relay looks without being told: the safety net, and the longest
# a stop request waits.
LISTENING_POLL_SECONDS = 1.0


def relay_batch(publisher: Publisher, *, size: int) -> int:
    """Publish one batch of waiting rows and mark them; the number published."""
    if connection.vendor == "postgresql":
        # One statement claims and marks the batch, and the mark commits only once the
        # broker has confirmed it: a failed publish rolls it back, rows and all.
        with transaction.atomic():
            rows = OutboxEvent.objects.claim_waiting(size)
            if rows:
                publisher.publish([row.event(source=settings.SERVICE_NAME) for row in rows])
        return len(rows)
    # SQLite: no row locks, and no transaction held open across the publish (it would
    # lock the whole file against every writer meanwhile); run one relay there.
    rows = list(OutboxEvent.objects.filter(published_at=None).order_by("occurred_at")[:size])
    if rows:
        publisher.publish([row.event(source=settings.SERVICE_NAME) for row in rows])
        OutboxEvent.objects.filter(pk__in=[row.pk for row in rows]).update(
            published_at=timezone.now()
        )
    return len(rows)


def prune_published(*, older_than: timedelta) -> int:
    """Delete rows published before `older_than` ago, counting them in `PrunedCount`."""
    with transaction.atomic():
        old = OutboxEvent.objects.filter(published_at__lt=timezone.now() - older_than)
        count, _ = old.delete()
        if count:
            add_pruned("published", count)
    return count


def add_pruned(counter: str, count: int) -> None:
    tally, _ = PrunedCount.objects.select_for_update().get_or_create(counter=counter)
    tally.total += count
    tally.save(update_fields=["total"])


class Relay:
    """The relay's loop: publish while there is work, wait while there is none (on
    LISTEN, or polling), back off while the broker or the database is unreachable (rows
    wait in the outbox meanwhile)."""

    def __init__(self, *, stop: threading.Event) -> None:
        self.stop = stop
        self.pruned_at = 0.0
        self.looked_at = 0.0

    def run(self) -> None:
        keep_connected(self._serve, stop=self.stop)

    def _serve(self, broker: Connection) -> None:
        publisher = Publisher(broker)
        listener = listen()
        try:
            while not self.stop.is_set():
                close_old_connections()
                self.looked_at = time.monotonic()
                published = relay_batch(publisher, size=settings.EVENTS_RELAY_BATCH)
                if published:
                    logger.debug("events published", extra={"count": published})
                if published < settings.EVENTS_RELAY_BATCH:
                    # A batch that was not full took every row committed before it
                    # (bar those another relay holds): wait for the next commit rather
                    # than look again at once to find nothing, a transaction of three
                    # round trips each time the relay wakes.
                    self._prune_now_and_then()
                    listener = self._wait_for_rows(listener)
                    keep_alive(broker)
        finally:
            if listener is not None:
                listener.close()

    def _wait_for_rows(self, listener: "Listener[Any] | None") -> "Listener[Any] | None":
        """Until rows may be waiting; the listener, or None once it broke (then polling)."""
        if listener is None:
            self.stop.wait(settings.EVENTS_POLL_SECONDS)
            return None
        try:
            for _ in listener.notifies(timeout=LISTENING_POLL_SECONDS, stop_after=1):
                pass
            # Busy: commits notify one after another. Let them gather into one batch, no
            # more often than polling would look, and take the notifications that came.
            since = time.monotonic() - self.looked_at
            self.stop.wait(max(settings.EVENTS_POLL_SECONDS - since, 0))
            for _ in listener.notifies(timeout=0):
                pass
        except connection.Database.Error as exc:
            logger.warning("outbox listener lost; polling", extra={"error": repr(exc)})
            with suppress(connection.Database.Error):
                listener.close()
            return None
        return listener

    def _prune_now_and_then(self) -> None:
        if time.monotonic() - self.pruned_at < PRUNE_EVERY_SECONDS:
            return
        self.pruned_at = time.monotonic()
        pruned = prune_published(older_than=timedelta(days=settings.EVENTS_RETENTION_DAYS))
        if pruned:
            logger.info("published events pruned", extra={"count": pruned})


def listen() -> "Listener[Any] | None":
    """A connection of its own, in autocommit, listening on `OUTBOX_CHANNEL` (a psycopg
    connection); None where the database cannot notify (SQLite) or when it fails."""
    if connection.vendor != "postgresql":
        return None
    try:
        listener = connection.get_new_connection(connection.get_connection_params())
        listener.autocommit = True
        listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
    except connection.Database.Error as exc:
        logger.warning("cannot listen for outbox rows; polling", extra={"error": repr(exc)})
        return None
    return listener
