"""Applying events in a consumer: once per event id, retries with backoff, dead letters,
replay, unreadable messages, and periodic jobs shared by replicas (no broker here)."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from probes.models import ProbeHit

from shop_common.events import Event
from shop_common.events.checks import check_subscriptions
from shop_common.events.consumer import backoff, receive, retry_due, run_due_jobs
from shop_common.events.inbox import NoHandler, Outcome, apply_event
from shop_common.events.models import FailedEvent, InboxEvent, JobSchedule
from shop_common.events.registry import PeriodicJob
from shop_common.log import ContextFilter

pytestmark = pytest.mark.django_db(transaction=True)


def probe(subject="p1", **payload):
    return Event(type="probe.sent", subject=subject, payload=payload, source="common")


def make_due(failed):
    FailedEvent.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())


def test_an_event_is_applied_once_however_often_it_comes():
    event = probe()
    assert apply_event(event) == Outcome.APPLIED
    assert apply_event(event) == Outcome.DUPLICATE
    assert receive(event.encode()) == Outcome.DUPLICATE
    assert ProbeHit.objects.filter(subject="p1").count() == 1
    inbox = InboxEvent.objects.get(event_id=event.id)
    assert (inbox.consumer, inbox.type, inbox.duplicates) == ("common", "probe.sent", 2)


def test_a_delivery_costs_one_transaction_without_a_lookup_or_a_savepoint():
    event = probe()
    with CaptureQueriesContext(connection) as applied:
        assert receive(event.encode()) == Outcome.APPLIED
    with CaptureQueriesContext(connection) as again:
        assert receive(event.encode()) == Outcome.DUPLICATE

    # Held so that it cannot grow unseen (docs/benchmarks.md, "Placing orders"): the
    # inbox row first in the handler's transaction, written unless the event has a
    # failure waiting (asked in the same INSERT). A duplicate fails that insert, rolls
    # back and counts itself.
    sql = [query["sql"].split(" ")[0] for query in applied.captured_queries]
    assert sql == ["BEGIN", "INSERT", "INSERT", "COMMIT"], sql
    sql = [query["sql"].split(" ")[0] for query in again.captured_queries]
    assert sql == ["BEGIN", "INSERT", "ROLLBACK", "UPDATE"], sql
    assert ProbeHit.objects.count() == 1


def test_a_failed_event_delivered_again_is_left_to_the_retry_loop(settings):
    waiting, dead = probe("waiting", poison=True), probe("dead", poison=True)
    assert receive(waiting.encode()) == Outcome.FAILED
    settings.EVENTS_MAX_ATTEMPTS = 1
    assert receive(dead.encode()) == Outcome.DEAD_LETTERED

    # Delivered again with a payload its handler now takes (a relay that republished,
    # an operator's fix): still the retry loop's, not applied, not counted again.
    for event in (waiting, dead):
        fixed = Event.from_envelope({**event.envelope(), "payload": {}})
        assert receive(fixed.encode()) == Outcome.DUPLICATE
    assert not ProbeHit.objects.exists()
    assert not InboxEvent.objects.exists()
    failures = {f.event_id: (f.attempts, f.dead) for f in FailedEvent.objects.all()}
    assert failures == {waiting.id: (1, False), dead.id: (1, True)}


def test_a_failing_handler_leaves_nothing_and_is_retried_with_backoff(settings):
    settings.EVENTS_RETRY_BASE_SECONDS = 10
    event = probe(poison=True)
    assert receive(event.encode()) == Outcome.FAILED
    assert not ProbeHit.objects.exists()
    assert not InboxEvent.objects.exists()
    failed = FailedEvent.objects.get(event_id=event.id)
    assert failed.attempts == 1
    assert "is poisoned" in failed.last_error
    wait = failed.next_attempt_at - timezone.now()
    assert timedelta(seconds=8) < wait <= timedelta(seconds=10)
    assert retry_due() == []  # not due yet
    assert receive(event.encode()) == Outcome.DUPLICATE  # the retry loop owns it now


def test_a_retry_that_succeeds_resolves_the_failure():
    event = probe(poison=True)
    receive(event.encode())
    failed = FailedEvent.objects.get()
    fixed = Event.from_envelope({**event.envelope(), "payload": {}})
    FailedEvent.objects.filter(pk=failed.pk).update(envelope=fixed.envelope())
    make_due(failed)
    assert retry_due() == [Outcome.APPLIED]
    failed.refresh_from_db()
    assert failed.resolved_at is not None
    assert ProbeHit.objects.filter(event_id=event.id).count() == 1


def test_an_event_that_keeps_failing_is_dead_lettered_and_can_be_replayed(settings):
    settings.EVENTS_MAX_ATTEMPTS = 3
    event = probe(poison=True)
    receive(event.encode())
    failed = FailedEvent.objects.get()
    outcomes = []
    for _ in range(2):
        make_due(failed)
        outcomes += retry_due()
    assert outcomes == [Outcome.FAILED, Outcome.DEAD_LETTERED]
    failed.refresh_from_db()
    assert (failed.dead, failed.attempts, failed.dead_lettered) == (True, 3, 1)
    assert retry_due() == []
    assert FailedEvent.objects.filter(pk=failed.pk).replay() == 1
    assert retry_due() == [Outcome.FAILED]  # a fresh round of attempts
    failed.refresh_from_db()
    assert (failed.dead, failed.attempts, failed.attempts_this_round) == (False, 4, 1)


def test_backoff_doubles_up_to_its_ceiling(settings):
    settings.EVENTS_RETRY_BASE_SECONDS = 1
    settings.EVENTS_RETRY_MAX_SECONDS = 5
    assert [backoff(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_an_unreadable_message_is_dead_at_once():
    assert receive(b"\xff not an envelope") == Outcome.DEAD_LETTERED
    failed = FailedEvent.objects.get()
    assert failed.dead
    assert failed.event_id is None
    assert "not an envelope" in failed.body
    assert retry_due() == []


def test_an_event_without_a_handler_fails_visibly():
    event = Event(type="order.shipped", subject="1", payload={})
    with pytest.raises(NoHandler):
        apply_event(event)
    assert receive(event.encode()) == Outcome.FAILED


def test_the_request_id_of_the_cause_follows_the_event():
    apply_event(Event(type="probe.sent", subject="r", payload={}, request_id="req-9"))
    assert ProbeHit.objects.get(subject="r").request_id == "req-9"


def test_the_applied_line_carries_the_request_id_of_the_cause(caplog):
    caplog.handler.addFilter(ContextFilter())
    with caplog.at_level(logging.INFO, logger="shop_common.events.inbox"):
        apply_event(Event(type="probe.sent", subject="r", payload={}, request_id="req-9"))
    [applied] = [record for record in caplog.records if record.message == "event applied"]
    assert applied.request_id == "req-9"


def test_a_periodic_job_runs_on_one_replica_per_turn():
    runs = []
    job = PeriodicJob(name="probe.tick", every=60, run=lambda: runs.append(1))
    assert run_due_jobs([job]) == ["probe.tick"]
    assert run_due_jobs([job]) == []  # another replica, same turn
    JobSchedule.objects.filter(name="probe.tick").update(due_at=timezone.now())
    assert run_due_jobs([job]) == ["probe.tick"]
    assert runs == [1, 1]


def test_a_job_not_yet_due_costs_one_read():
    job = PeriodicJob(name="probe.tick", every=60, run=lambda: None)
    run_due_jobs([job])

    # The consumer asks twice a second for every job: a write each time would add up.
    with CaptureQueriesContext(connection) as asked:
        assert run_due_jobs([job]) == []
    assert [query["sql"].split(" ")[0] for query in asked.captured_queries] == ["SELECT"]


def test_a_failing_periodic_job_does_not_stop_the_others():
    def boom():
        raise RuntimeError("boom")

    runs = []
    jobs = [
        PeriodicJob(name="probe.boom", every=60, run=boom),
        PeriodicJob(name="probe.ok", every=60, run=lambda: runs.append(1)),
    ]
    assert run_due_jobs(jobs) == ["probe.boom", "probe.ok"]
    assert runs == [1]


def test_handlers_and_subscriptions_agree():
    assert check_subscriptions() == []
    call_command("check", tags=["events"], fail_level="WARNING")


def test_staff_replay_dead_events_from_the_admin(client, django_user_model):
    dead = FailedEvent.objects.create(
        consumer="common", type="probe.sent", envelope=probe().envelope(), dead=True
    )
    staff = django_user_model.objects.create_superuser("ops", "ops@example.com", "x")
    client.force_login(staff)
    answer = client.post(
        "/admin/events/failedevent/", {"action": "replay", "_selected_action": [dead.pk]}
    )
    assert answer.status_code == 302
    dead.refresh_from_db()
    assert not dead.dead
    assert dead.next_attempt_at <= timezone.now()


def test_the_outbox_and_inbox_are_read_only_in_the_admin(client, django_user_model):
    staff = django_user_model.objects.create_superuser("ops", "ops@example.com", "x")
    client.force_login(staff)
    for model in ("outboxevent", "inboxevent", "failedevent"):
        assert client.get(f"/admin/events/{model}/").status_code == 200
        assert client.get(f"/admin/events/{model}/add/").status_code == 403
