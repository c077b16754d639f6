"""One relay batch on PostgreSQL: what it costs in round trips, the order it publishes
in, and that relays side by side never publish one row twice (real transactions)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop_common.events import publish
from shop_common.events.models import OutboxEvent
from shop_common.events.relay import relay_batch

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]


class Collecting:
    """A publisher that keeps the events it was given, in order."""

    def __init__(self):
        self.events = []

    def publish(self, events):
        self.events += events


def send_probes(count, prefix="p"):
    with transaction.atomic():
        for number in range(count):
            publish("probe.sent", subject=f"{prefix}{number}", payload={"n": number})


def test_a_batch_is_claimed_marked_and_committed_in_three_round_trips():
    send_probes(5)

    with CaptureQueriesContext(connection) as captured:
        assert relay_batch(Collecting(), size=200) == 5

    # Held so that it cannot grow unseen (docs/benchmarks.md, "The event path's CPU,
    # sixth round"): one statement claims and marks the batch, committed once the broker
    # confirmed it. It was four: a `SELECT ... FOR UPDATE SKIP LOCKED`, then an `UPDATE`.
    sql = [query["sql"].split(" ")[0] for query in captured.captured_queries]
    assert sql == ["BEGIN", "WITH", "COMMIT"]
    assert not OutboxEvent.objects.filter(published_at=None).exists()


def test_an_empty_outbox_costs_the_same_three_and_publishes_nothing():
    collecting = Collecting()
    with CaptureQueriesContext(connection) as captured:
        assert relay_batch(collecting, size=200) == 0
    assert len(captured.captured_queries) == 3
    assert collecting.events == []


def test_a_batch_is_published_oldest_first_as_written():
    send_probes(6)
    now = timezone.now()
    # Written in one order, occurred in the reverse one.
    for number, row in enumerate(OutboxEvent.objects.order_by("subject")):
        OutboxEvent.objects.filter(pk=row.pk).update(occurred_at=now - timedelta(seconds=number))
    collecting = Collecting()

    assert relay_batch(collecting, size=4) == 4
    assert relay_batch(collecting, size=4) == 2

    assert [event.subject for event in collecting.events] == [f"p{n}" for n in range(5, -1, -1)]
    assert collecting.events[0].payload == {"n": 5}
    row = OutboxEvent.objects.get(subject="p5")
    assert collecting.events[0].envelope() == row.event(source="common").envelope()


def test_two_relays_never_publish_one_row():
    send_probes(5)
    holding, finish = threading.Event(), threading.Event()

    class Slow(Collecting):
        """A broker slow to confirm: the first relay's batch stays claimed meanwhile."""

        def publish(self, events):
            super().publish(events)
            holding.set()
            assert finish.wait(10)

    first, second = Slow(), Collecting()

    def first_relay():
        try:
            relay_batch(first, size=2)
        finally:
            connection.close()

    thread = threading.Thread(target=first_relay)
    thread.start()
    assert holding.wait(10)
    assert relay_batch(second, size=10) == 3  # skips the two the first relay holds
    finish.set()
    thread.join(10)

    published = [event.id for event in first.events + second.events]
    assert sorted(published) == sorted(OutboxEvent.objects.values_list("id", flat=True))
    assert not OutboxEvent.objects.filter(published_at=None).exists()


def test_a_batch_the_broker_refuses_stays_waiting():
    send_probes(3)

    class Refusing:
        def publish(self, events):
            raise OSError("not confirmed")

    with pytest.raises(OSError, match="not confirmed"):
        relay_batch(Refusing(), size=10)
    assert OutboxEvent.objects.filter(published_at=None).count() == 3
