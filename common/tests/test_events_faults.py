"""Faults on real relay and consumer processes (common/'s test project and its probe
consumer). RabbitMQ is reached through a TCP proxy of the test's own, which is what gets
cut: the server others use keeps running. Tests that need RabbitMQ's redelivery run only
when AMQP_URL is set (CI); the embedded transport's limits are in docs/events.md."""

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection, transaction
from events_support import namespace  # noqa: F401  (a fixture)
from probes.models import ProbeHit

from shop_common.events import publish
from shop_common.events.broker import connect, declare_topology, exchange
from shop_common.events.models import FailedEvent, InboxEvent, OutboxEvent
from shop_common.launcher import ChildProcess
from shop_testing.shop import wait_for
from shop_testing.tcp_proxy import TCPProxy

HERE = Path(__file__).resolve().parent
AMQP_URL = os.environ.get("AMQP_URL", "")
needs_rabbitmq = pytest.mark.skipif(
    not AMQP_URL, reason="RabbitMQ's redelivery (the filesystem transport has none)"
)
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("namespace")]


def shared_database_url() -> str:
    """The test database, for the processes to share with this test."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    """Relays and consumers of the test project, run as `manage.py` would run them."""

    def __init__(self, folder: Path, amqp_url: str) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "PYTHONPATH": str(HERE),
            "COMMON_DATABASE_URL": shared_database_url(),
            "EVENTS_NAMESPACE": settings.EVENTS_NAMESPACE,
            "AMQP_URL": amqp_url,
            "EVENTS_MAX_ATTEMPTS": "3",
            "EVENTS_RETRY_BASE_SECONDS": "0.2",
        }
        self.started: list[ChildProcess] = []

    def start(self, command: str) -> ChildProcess:
        process = ChildProcess([sys.executable, "-m", "django", command], cwd=HERE, env=self.env)
        with (self.folder / f"{command}-{len(self.started)}.log").open("ab") as log:
            process.start(output=log)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.terminate()
        for process in self.started:
            process.wait()

    def logs(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in sorted(self.folder.glob("*.log")))


@pytest.fixture
def proxy() -> Iterator[TCPProxy | None]:
    """A proxy in front of RabbitMQ (None on the filesystem transport)."""
    if not AMQP_URL:
        yield None
        return
    target = urlsplit(AMQP_URL)
    with TCPProxy((target.hostname or "127.0.0.1", target.port or 5672)) as running:
        yield running


@pytest.fixture
def processes(tmp_path, proxy) -> Iterator[Processes]:
    amqp_url = ""
    if proxy is not None:
        parts = urlsplit(AMQP_URL)
        netloc = parts.netloc.rpartition("@")[0] + f"@127.0.0.1:{proxy.port}"
        amqp_url = urlunsplit(parts._replace(netloc=netloc))
    running = Processes(tmp_path, amqp_url)
    yield running
    running.stop_all()


def send_probes(count, prefix="p", **payload):
    with transaction.atomic():
        for number in range(count):
            publish("probe.sent", subject=f"{prefix}{number}", payload=payload)


def applied_once_each(prefix: str, count: int) -> bool:
    subjects = list(
        ProbeHit.objects.filter(subject__startswith=prefix).values_list("subject", flat=True)
    )
    return len(subjects) == count and len(set(subjects)) == count


@needs_rabbitmq
def test_events_written_while_the_broker_is_unreachable_arrive_once_it_is_back(processes, proxy):
    processes.start("consume_events")
    processes.start("relay_events")
    send_probes(3, prefix="before")
    assert wait_for(lambda: applied_once_each("before", 3), timeout=30), processes.logs()

    proxy.cut()
    send_probes(20, prefix="during")  # the service's own writes go on
    assert not wait_for(lambda: ProbeHit.objects.filter(subject__startswith="during"), 2)
    assert OutboxEvent.objects.filter(published_at=None).count() == 20

    proxy.restore()
    assert wait_for(lambda: applied_once_each("during", 20), timeout=60), processes.logs()
    assert wait_for(lambda: not OutboxEvent.objects.filter(published_at=None).exists())
    assert InboxEvent.objects.count() == 23


@needs_rabbitmq
def test_a_consumer_killed_in_the_middle_of_an_event_gets_it_again_and_applies_it_once(
    processes, tmp_path
):
    started = tmp_path / "started"
    consumer = processes.start("consume_events")
    processes.start("relay_events")
    send_probes(1, prefix="slow", sleep=3, started=str(started))
    assert wait_for(started.exists, timeout=30), processes.logs()

    os.kill(consumer.popen.pid, signal.SIGKILL)
    consumer.wait()
    assert not ProbeHit.objects.exists()  # its transaction never committed

    processes.start("consume_events")
    assert wait_for(lambda: applied_once_each("slow", 1), timeout=30), processes.logs()
    assert InboxEvent.objects.count() == 1


# The relay marks a batch in the statement that claims it, before publishing, and commits
# the marks once the broker confirmed the batch. A deferred trigger runs at COMMIT: this
# one makes the relay's commit wait for an advisory lock the test holds, which holds the
# relay after publishing and before its marks are committed.
HOLD_LOCK = 715023
HOLD_MARKS = f"""
CREATE FUNCTION hold_outbox_marks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_advisory_xact_lock({HOLD_LOCK}); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER hold_outbox_marks AFTER UPDATE ON events_outboxevent
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hold_outbox_marks();
"""
WAITING_FOR_THE_HOLD = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
"""


@contextmanager
def marks_held() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(HOLD_MARKS)
        cursor.execute("SELECT pg_advisory_lock(%s)", [HOLD_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [HOLD_LOCK])
            cursor.execute("DROP TRIGGER hold_outbox_marks ON events_outboxevent")
            cursor.execute("DROP FUNCTION hold_outbox_marks()")


def sessions_waiting_for_the_hold() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(WAITING_FOR_THE_HOLD)
        return [pid for (pid,) in cursor.fetchall()]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="holds the relay's commit with a deferred trigger and an advisory lock",
)
def test_a_relay_killed_after_publishing_before_marking_sends_a_duplicate_that_changes_nothing(
    processes,
):
    processes.start("consume_events")
    send_probes(1, prefix="twice")
    with marks_held():
        relay = processes.start("relay_events")
        assert wait_for(lambda: applied_once_each("twice", 1), timeout=30), processes.logs()
        assert wait_for(sessions_waiting_for_the_hold, timeout=30), processes.logs()
        os.kill(relay.popen.pid, signal.SIGKILL)
        relay.wait()
        # Its session, still waiting in COMMIT, ends with it: the marks roll back.
        with connection.cursor() as cursor:
            for pid in sessions_waiting_for_the_hold():
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert wait_for(lambda: not sessions_waiting_for_the_hold(), timeout=30)
    assert OutboxEvent.objects.filter(published_at=None).count() == 1

    processes.start("relay_events")
    assert wait_for(lambda: InboxEvent.objects.filter(duplicates=1).exists(), timeout=30)
    assert applied_once_each("twice", 1)
    assert wait_for(lambda: not OutboxEvent.objects.filter(published_at=None).exists())


def test_a_poison_event_is_dead_lettered_and_the_rest_flows(processes):
    processes.start("consume_events")
    processes.start("relay_events")
    send_probes(1, prefix="poison", poison=True)
    with connect() as broker:
        declare_topology(broker)  # the consumer may not have bound its queue yet
        broker.Producer().publish(
            b"{not an envelope", exchange=exchange(), routing_key="probe.sent", retry=False
        )
    send_probes(10, prefix="fine")
    assert wait_for(lambda: applied_once_each("fine", 10), timeout=30), processes.logs()
    assert wait_for(lambda: FailedEvent.objects.filter(dead=True).count() == 2, timeout=30), (
        list(FailedEvent.objects.values()),
        processes.logs(),
    )
    poisoned = FailedEvent.objects.get(type="probe.sent")
    assert poisoned.attempts == 3
    assert "is poisoned" in poisoned.last_error
    assert FailedEvent.objects.get(event_id=None).body == "{not an envelope"
