"""The relay: publishes committed outbox rows, oldest first, and marks them published
once the broker has confirmed them (`manage.py relay_events`).

On PostgreSQL a batch is claimed with `SELECT ... FOR UPDATE SKIP LOCKED`, so several
relays share the outbox without publishing a row twice; SQLite has no row locks, so run
one relay there. A relay that dies between publishing and marking publishes the batch
again when it comes back: consumers drop the duplicates by event id (the inbox).
"""

import logging
import threading
import time
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from kombu import Connection

from shop_common.events.broker import Publisher, keep_connected
from shop_common.events.models import OutboxEvent, PrunedCount

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600


def relay_batch(publisher: Publisher, *, size: int) -> int:
    """Publish one batch of waiting rows and mark them; the number published."""
    locks = connection.features.has_select_for_update_skip_locked
    with transaction.atomic() if locks else nullcontext():
        waiting = OutboxEvent.objects.filter(published_at=None).order_by("occurred_at")
        if locks:
            waiting = waiting.select_for_update(skip_locked=True)
        rows = list(waiting[:size])
        if not rows:
            return 0
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
    """The relay's loop: publish while there is work, poll while there is none, back off
    while the broker or the database is unreachable (rows wait in the outbox meanwhile)."""

    def __init__(self, *, stop: threading.Event) -> None:
        self.stop = stop
        self.pruned_at = 0.0

    def run(self) -> None:
        keep_connected(self._serve, stop=self.stop)

    def _serve(self, broker: Connection) -> None:
        publisher = Publisher(broker)
        while not self.stop.is_set():
            close_old_connections()
            published = relay_batch(publisher, size=settings.EVENTS_RELAY_BATCH)
            if published:
                logger.debug("events published", extra={"count": published})
            else:
                self._prune_now_and_then()
                self.stop.wait(settings.EVENTS_POLL_SECONDS)

    def _prune_now_and_then(self) -> None:
        if time.monotonic() - self.pruned_at < PRUNE_EVERY_SECONDS:
            return
        self.pruned_at = time.monotonic()
        pruned = prune_published(older_than=timedelta(days=settings.EVENTS_RETENTION_DAYS))
        if pruned:
            logger.info("published events pruned", extra={"count": pruned})
