#!/usr/bin/env python
"""Relay throughput: how many outbox events one `relay_events` process publishes per
second, on one core, to RabbitMQ and to the embedded filesystem transport.

    ORDER_SVC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/order_svc \\
    AMQP_URL=amqp://guest:guest@127.0.0.1:5672// \\
        .venv/bin/python bench/events.py [--events 20000] [--core 1]

For each broker: a fresh order_svc database (the test harness's, PostgreSQL), migrated,
with N `order.paid` rows of a realistic payload written straight into the outbox; then
order_svc's relay, pinned to one core with `taskset`, publishes them (batches of
EVENTS_RELAY_BATCH, each confirmed by the broker before it is marked). The rate is
measured from the first batch marked published (so start-up is left out) to the last,
in wall time on that core (shared with whatever else runs there) and in the relay's own
CPU time (what one core could do alone). Queues get a namespace of their own, deleted after.
Without AMQP_URL only the filesystem transport is measured.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from shop_common.service_table import SERVICES
from shop_testing.harness import ROOT, Database, delete_event_queues

PAYLOAD = """{"order_id": "%s", "user_id": 42, "status": "paid", "previous_status": "confirmed",
 "total": "59.97", "currency": "EUR", "note": "payment 7f0c"}"""


@dataclass
class Result:
    broker: str
    events: int
    seconds: float
    cpu_seconds: float

    def line(self) -> str:
        return (
            f"{self.broker:<11} {self.events:>7} events in {self.seconds:6.2f} s: "
            f"{self.events / self.seconds:7.0f} events/s; "
            f"{self.events / self.cpu_seconds:7.0f} per CPU-second of the relay"
        )


def cpu_seconds(pid: int) -> float:
    """The process's user and system time so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill_outbox(url: str, count: int) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            """
            INSERT INTO events_outboxevent
                (id, type, version, subject, request_id, payload, occurred_at)
            SELECT gen_random_uuid(), 'order.paid', 1, n::text, 'bench-' || n,
                   (%s)::jsonb, now() + n * interval '1 microsecond'
            FROM generate_series(1, %s) AS n
            """,
            (PAYLOAD % uuid.uuid4(), count),
        )


def counts(url: str) -> tuple[int, int]:
    """(rows published, rows waiting)."""
    with psycopg.connect(url) as connection:
        return connection.execute(
            "SELECT count(published_at), count(*) - count(published_at) FROM events_outboxevent"
        ).fetchone()


def run_relay(broker: str, env: dict[str, str], core: int, url: str) -> Result:
    """Run the relay until the outbox is empty, timing it from its first batch marked
    published (start-up left out) to the last."""
    relay = subprocess.Popen(
        ["taskset", "-c", str(core), sys.executable, "manage.py", "relay_events"],
        cwd=ROOT / "order_svc",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    start = None
    try:
        while relay.poll() is None:
            published, waiting = counts(url)
            now = (published, time.monotonic(), cpu_seconds(relay.pid))
            if start is None and published:
                start = now
            if not waiting:
                break
            time.sleep(0.05)
    finally:
        relay.terminate()
        relay.wait()
    if start is None or relay.returncode not in (None, 0, -15):
        raise SystemExit(f"the relay failed (exit {relay.returncode})")
    return Result(broker, now[0] - start[0], now[1] - start[1], now[2] - start[2])


def measure(broker: str, amqp_url: str, count: int, core: int, folder: Path) -> Result:
    database = Database(SERVICES["order_svc"], folder)
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "SHOP_VAR_DIR": str(folder / "var"),
        "ORDER_SVC_DATABASE_URL": database.url,
        "EVENTS_NAMESPACE": namespace,
        "AMQP_URL": amqp_url,
        "LOG_LEVEL": "WARNING",
    }
    try:
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT / "order_svc",
            env=env,
            capture_output=True,
            text=True,
        )
        if migrate.returncode:
            raise SystemExit(migrate.stderr)
        fill_outbox(database.url, count)
        return run_relay(broker, env, core, database.url)
    finally:
        if amqp_url:
            delete_event_queues(amqp_url, namespace)
        database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--core", type=int, default=1, help="the CPU the relay is pinned to")
    options = parser.parse_args()
    if not os.environ.get("ORDER_SVC_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set ORDER_SVC_DATABASE_URL to a PostgreSQL database")
    brokers = [("filesystem", "")]
    if os.environ.get("AMQP_URL"):
        brokers.insert(0, ("rabbitmq", os.environ["AMQP_URL"]))
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        for broker, url in brokers:
            print(measure(broker, url, options.events, options.core, Path(folder)).line())
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
