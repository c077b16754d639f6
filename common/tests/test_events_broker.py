"""The relay and the consumer on a real broker, in threads of this process: events flow
from the outbox to the handler once, failures wait in the database, and /metrics counts
it all from the database."""

import os
import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from events_support import namespace, running  # noqa: F401  (a fixture)
from probes.models import ProbeHit

from shop_common.events import broker, publish, relay
from shop_common.events.broker import NotConfirmed
from shop_common.events.consumer import Consumer, prune_applied
from shop_common.events.models import FailedEvent, InboxEvent, OutboxEvent
from shop_common.events.relay import Relay, prune_published, relay_batch
from shop_testing.metrics import metric_value, scrape_metrics
from shop_testing.shop import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("namespace")]


def send_probes(count, prefix="p", **payload):
    with transaction.atomic():
        for number in range(count):
            publish("probe.sent", subject=f"{prefix}{number}", payload=payload)


def test_events_flow_from_the_outbox_to_the_handler_once():
    send_probes(30)
    with running(Relay), running(Consumer):
        assert wait_for(lambda: ProbeHit.objects.count() == 30, timeout=20)
        assert wait_for(lambda: not OutboxEvent.objects.filter(published_at=None).exists())
    assert InboxEvent.objects.filter(consumer="common").count() == 30
    assert sorted(ProbeHit.objects.values_list("subject", flat=True)) == sorted(
        f"p{n}" for n in range(30)
    )


def test_a_poison_event_waits_in_the_database_and_the_rest_flows(settings):
    settings.EVENTS_RETRY_BASE_SECONDS = 60
    send_probes(1, prefix="bad", poison=True)
    send_probes(5, prefix="good")
    with running(Relay), running(Consumer):
        assert wait_for(lambda: ProbeHit.objects.filter(subject__startswith="good").count() == 5)
        assert wait_for(lambda: FailedEvent.objects.filter(type="probe.sent").exists())
    failed = FailedEvent.objects.get()
    assert (failed.attempts, failed.dead) == (1, False)


@pytest.mark.skipif(not os.environ.get("AMQP_URL"), reason="RabbitMQ's heartbeats")
def test_an_idle_relay_keeps_its_rabbitmq_connection(monkeypatch, caplog):
    # RabbitMQ closes a connection silent for two heartbeat intervals: with no heartbeats
    # sent, the first event after an idle minute failed to publish and waited for a new
    # connection.
    monkeypatch.setattr(broker, "HEARTBEAT_SECONDS", 2)
    with running(Relay):
        time.sleep(8)
        send_probes(1)
        assert wait_for(lambda: not OutboxEvent.objects.filter(published_at=None).exists())
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("connected to the event broker") == 1
    assert not [message for message in messages if "unreachable" in message]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
def test_an_idle_relay_sleeps_until_rows_are_committed(monkeypatch):
    monkeypatch.setattr(relay, "LISTENING_POLL_SECONDS", 3.0)
    looks = []

    def counted(publisher, *, size):
        looks.append(time.monotonic())
        return relay_batch(publisher, size=size)

    monkeypatch.setattr(relay, "relay_batch", counted)
    with running(Relay), running(Consumer):
        time.sleep(1.5)
        idle_looks = len(looks)
        # Before the commit: the relay, woken by it, may look before this thread is back.
        sent_at = time.monotonic()
        send_probes(1)
        # Well before the relay's next look of its own (LISTENING_POLL_SECONDS).
        assert wait_for(lambda: ProbeHit.objects.exists(), timeout=2)
    # Polling every EVENTS_POLL_SECONDS would have looked about 30 times.
    assert idle_looks <= 2
    assert any(sent_at < looked < sent_at + 1 for looked in looks)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
@pytest.mark.parametrize(("batch", "looks"), [(200, [0, 5]), (2, [0, 2, 2, 1])])
def test_a_batch_that_empties_the_outbox_is_not_followed_by_an_empty_look(
    monkeypatch, settings, batch, looks
):
    # Each look is a transaction of three round trips. A batch that was not full took
    # every row committed before it, so the relay waits for the next commit; one that
    # was full may have left rows, so it looks again at once.
    settings.EVENTS_RELAY_BATCH = batch
    monkeypatch.setattr(relay, "LISTENING_POLL_SECONDS", 3.0)
    found = []

    def counted(publisher, *, size):
        found.append(relay_batch(publisher, size=size))
        return found[-1]

    monkeypatch.setattr(relay, "relay_batch", counted)
    with running(Relay):
        assert wait_for(lambda: found)  # its first look, at start: nothing yet
        send_probes(5)
        assert wait_for(lambda: not OutboxEvent.objects.filter(published_at=None).exists())
        time.sleep(1)  # well before its own next look (LISTENING_POLL_SECONDS)
    assert found == looks


class Unreachable:
    def publish(self, events):
        raise NotConfirmed("no broker")


def test_rows_stay_waiting_when_the_broker_does_not_confirm():
    send_probes(3)
    with pytest.raises(NotConfirmed):
        relay_batch(Unreachable(), size=10)
    assert OutboxEvent.objects.filter(published_at=None).count() == 3


def test_metrics_count_from_the_database(client, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    send_probes(2, prefix="ok")
    send_probes(1, prefix="bad", poison=True)
    with running(Relay), running(Consumer):
        assert wait_for(lambda: FailedEvent.objects.filter(dead=True).exists(), timeout=20)
        assert wait_for(lambda: ProbeHit.objects.filter(subject__startswith="ok").count() == 2)
    send_probes(1, prefix="late")
    OutboxEvent.objects.filter(subject="late0").update(
        occurred_at=timezone.now() - timedelta(seconds=30)
    )
    samples = scrape_metrics(client)
    assert metric_value(samples, "shop_events_outbox_waiting") == 1
    assert metric_value(samples, "shop_events_outbox_oldest_age_seconds") >= 30
    assert metric_value(samples, "shop_events_published_total") == 3
    consumed = "shop_events_consumed_total"
    assert metric_value(samples, consumed, outcome="applied") == 2
    assert metric_value(samples, consumed, outcome="dead_lettered") == 1
    assert metric_value(samples, consumed, outcome="failed") == 0
    assert metric_value(samples, "shop_events_dead_letters") == 1


def test_pruning_keeps_the_totals(client):
    send_probes(2)
    with running(Relay), running(Consumer):
        assert wait_for(lambda: ProbeHit.objects.count() == 2)
        assert wait_for(lambda: not OutboxEvent.objects.filter(published_at=None).exists())
    InboxEvent.objects.update(duplicates=1)
    before = scrape_metrics(client)
    assert prune_published(older_than=timedelta(0)) == 2
    assert prune_applied(older_than=timedelta(0)) == 2
    after = scrape_metrics(client)
    assert not OutboxEvent.objects.exists()
    assert not InboxEvent.objects.exists()
    for name, labels in [
        ("shop_events_published_total", {}),
        ("shop_events_consumed_total", {"outcome": "applied"}),
        ("shop_events_consumed_total", {"outcome": "duplicate"}),
    ]:
        assert metric_value(after, name, **labels) == metric_value(before, name, **labels) > 0


def test_metrics_still_answer_when_the_events_tables_do_not(client, monkeypatch):
    def gone(*args, **kwargs):
        raise DatabaseError("relation does not exist")

    monkeypatch.setattr(OutboxEvent.objects, "aggregate", gone)
    samples = scrape_metrics(client)
    assert not [sample for sample in samples if sample.name.startswith("shop_events_")]
    assert [sample for sample in samples if sample.name == "http_requests_total"]
