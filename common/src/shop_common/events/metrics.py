"""The events' series in `/metrics`, computed from the database at scrape time: every
process's work shows (relays and consumers are processes of their own that Prometheus
does not scrape), and replicas agree. Totals include the rows pruned since
(`PrunedCount`), so they never go down."""

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from shop_common.events.inbox import Outcome
from shop_common.events.models import FailedEvent, InboxEvent, OutboxEvent, PrunedCount
from shop_common.metrics import CounterMetricFamily, GaugeMetricFamily

Family = GaugeMetricFamily | CounterMetricFamily
logger = logging.getLogger(__name__)


def families() -> dict[str, Family]:
    return {
        "waiting": GaugeMetricFamily(
            "shop_events_outbox_waiting", "Outbox events not yet published."
        ),
        "oldest": GaugeMetricFamily(
            "shop_events_outbox_oldest_age_seconds",
            "Age of the oldest outbox event not yet published (0 when none waits).",
        ),
        "published": CounterMetricFamily(
            "shop_events_published", "Outbox events the broker confirmed."
        ),
        "consumed": CounterMetricFamily(
            "shop_events_consumed",
            "Event deliveries to this service's consumers, by outcome.",
            labels=["outcome"],
        ),
        "dead": GaugeMetricFamily(
            "shop_events_dead_letters", "Dead-lettered events waiting for an operator."
        ),
    }


def pruned() -> dict[str, int]:
    return dict(PrunedCount.objects.values_list("counter", "total"))


class EventsCollector:
    def describe(self) -> Iterator[Family]:
        """The families without values: registering must not touch the database."""
        yield from families().values()

    def collect(self) -> Iterator[Family]:
        try:
            yield from self._read()
        except DatabaseError as exc:
            # /metrics matters most when something is down: the other series still show.
            logger.warning("event metrics unavailable", extra={"error": repr(exc)})

    def _read(self) -> list[Family]:
        found = families()
        before = pruned()
        outbox = OutboxEvent.objects.aggregate(
            waiting=Count("pk", filter=Q(published_at=None)),
            published=Count("pk", filter=Q(published_at__isnull=False)),
            oldest=Min("occurred_at", filter=Q(published_at=None)),
        )
        inbox = InboxEvent.objects.aggregate(applied=Count("pk"), duplicates=Sum("duplicates"))
        failed = FailedEvent.objects.aggregate(
            attempts=Sum("attempts"),
            dead_lettered=Sum("dead_lettered"),
            dead=Count("pk", filter=Q(dead=True)),
        )
        oldest = outbox["oldest"]
        found["waiting"].add_metric([], outbox["waiting"])
        found["oldest"].add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        found["published"].add_metric([], outbox["published"] + before.get("published", 0))
        dead_lettered = failed["dead_lettered"] or 0
        counts = {
            Outcome.APPLIED: inbox["applied"],
            Outcome.DUPLICATE: inbox["duplicates"] or 0,
            Outcome.FAILED: (failed["attempts"] or 0) - dead_lettered,
            Outcome.DEAD_LETTERED: dead_lettered,
        }
        for outcome, count in counts.items():
            found["consumed"].add_metric([str(outcome)], count + before.get(str(outcome), 0))
        found["dead"].add_metric([], failed["dead"])
        return list(found.values())
