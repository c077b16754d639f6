#!/usr/bin/env python
"""What the relay's CPU costs per event at the order path's pace, in-process: its whole
loop (LISTEN, batches, publisher confirms, keep-alive) in a thread, fed a few events at a
time by another thread, as order_svc's workers feed it while orders are placed.

    ORDER_SVC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/order_svc \\
    AMQP_URL=amqp://guest:guest@127.0.0.1:5672// \\
        .venv/bin/python bench/relay_cpu.py [--seconds 8] [--per 2] [--every 0.04] 2>/dev/null

Migrates the database the environment names and empties its outbox, starts order_svc's
`Relay` in a thread on a queue namespace of its own (deleted after), waits until it is
idle, then commits `--per` `order.confirmed` events every `--every` seconds for
`--seconds` (2 every 40 ms: 50 orders/s) and waits until all are published. The time is
the relay thread's own CPU clock (`pthread_getcpuclockid`), so the feeding thread's work
is left out; `bench/events.py` measures the relay's throughput on a full outbox instead.
"""

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = {
    "order_id": "0a1b2c3d-0000-4000-8000-000000000001",
    "user_id": 42,
    "status": "confirmed",
    "previous_status": "pending",
    "total": "59.97",
    "currency": "EUR",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--per", type=int, default=2, help="events a commit")
    parser.add_argument("--every", type=float, default=0.04, help="seconds between commits")
    options = parser.parse_args()
    if not os.environ.get("ORDER_SVC_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set ORDER_SVC_DATABASE_URL to a PostgreSQL database")
    namespace = f"bench-relay-{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("DEBUG", "1")
    os.environ["EVENTS_NAMESPACE"] = namespace
    os.environ["DJANGO_SETTINGS_MODULE"] = "order_svc.settings"
    sys.path.insert(0, str(ROOT / "order_svc"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from shop_common.events import publish
    from shop_common.events.models import OutboxEvent
    from shop_common.events.relay import Relay
    from shop_testing.harness import delete_event_queues

    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # as in production: no query log kept per statement
    OutboxEvent.objects.all().delete()
    stop = threading.Event()
    relay = threading.Thread(target=Relay(stop=stop).run)
    relay.start()
    try:
        time.sleep(3)  # connected, topology declared, idle on LISTEN
        clock = time.pthread_getcpuclockid(relay.ident)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        start, sent = time.clock_gettime(clock), 0
        end = time.monotonic() + options.seconds
        while time.monotonic() < end:
            with transaction.atomic():
                for _ in range(options.per):
                    publish("order.confirmed", subject=uuid.uuid4(), payload=PAYLOAD)
            sent += options.per
            time.sleep(options.every)
        while OutboxEvent.objects.filter(published_at=None).exists():
            time.sleep(0.01)
        spent = time.clock_gettime(clock) - start
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        print(f"relay CPU per event: {spent / sent * 1000:.3f} ms ({sent} events)")
    finally:
        stop.set()
        relay.join()
        if settings.AMQP_URL:
            delete_event_queues(settings.AMQP_URL, namespace)


if __name__ == "__main__":
    main()
