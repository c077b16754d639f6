#!/usr/bin/env python
"""What an order email costs user_svc's event consumer, in-process: CPU per message and
statements per message, from the broker's body to the acknowledgement.

    USER_SVC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/user_svc \\
        .venv/bin/python bench/order_emails.py [--emails 300] [--rounds 5] [--profile] 2>/dev/null

Migrates the database the environment names, keeps one customer, and hands the consumer
loop's own `_on_message` (parse, failed-event check, the inbox and the email in one
transaction, the send after commit, the acknowledgement, the log lines) `order.confirmed`
bodies of a two-line order, as `consume_events` receives them. Mail goes to the file
backend in a temporary folder, as in `make run`. The time is the process's CPU clock
(`time.process_time`, every thread: the log writer's too); the statements are counted
with Django's `CaptureQueriesContext` (transactions' BEGIN, COMMIT and ROLLBACK
included: each is a round trip). `--profile` prints cProfile's top functions of one
round, on the same CPU clock. `--debug` keeps `DEBUG` on, as `make run` and
bench/orders.py run the consumer (Django's debug cursor then logs every statement).

`--compare DIR` is an A/B: DIR is a worktree of other code (`git worktree add --detach
DIR <commit>`); the benchmark runs `--pairs` times on each code in turn, each run a
process of its own (`--code`), which goes first alternating, and prints each run's
median, the medians of both, and the median of the pairs' differences.
"""

import argparse
import cProfile
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:
    from accounts.models import User


class Message:
    """What kombu hands the consumer's callback: a body, and `ack`."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.acknowledged = False

    def ack(self) -> None:
        self.acknowledged = True


def order_bodies(count: int, user: "User") -> list[bytes]:
    """`order.confirmed` bodies of a two-line order (the tests' payload), one order each."""
    from notifications.tests.orders import order_payload

    from shop_common.events import Event

    bodies = []
    for _ in range(count):
        payload = order_payload(
            user, "confirmed", order_id=str(uuid.uuid4()), previous_status="pending"
        )
        event = Event(
            type="order.confirmed",
            subject=payload["order_id"],
            payload=payload,
            source="order_svc",
            request_id=uuid.uuid4().hex,
        )
        bodies.append(event.encode())
    return bodies


def compare(other: Path, options: argparse.Namespace) -> None:
    """Run the benchmark on `other`'s code and this tree's in turn, and compare."""
    passed = ["--emails", str(options.emails), "--rounds", str(options.rounds)]
    passed += ["--debug"] if options.debug else []
    medians: dict[Path, list[float]] = {other: [], ROOT: []}
    for pair in range(options.pairs):
        for code in (other, ROOT) if pair % 2 == 0 else (ROOT, other):
            env = {**os.environ, "PYTHONPATH": f"{code}/common/src:{code}/testing/src"}
            run = subprocess.run(
                [sys.executable, __file__, "--code", str(code), *passed],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            ms = float(re.search(r"CPU per email: median ([0-9.]+) ms", run.stdout)[1])
            medians[code].append(ms)
            print(f"pair {pair + 1}: {code}: {ms:.2f} ms", flush=True)
    for code, runs in medians.items():
        listed = ", ".join(f"{ms:.2f}" for ms in runs)
        print(f"{code}: median {statistics.median(runs):.2f} ms of CPU per email ({listed})")
    differences = [a - b for a, b in zip(medians[other], medians[ROOT], strict=True)]
    print(f"{other} minus {ROOT}, median of the pairs: {statistics.median(differences):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=300, help="messages a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one more round")
    parser.add_argument("--profile-out", help="where to keep that profile (pstats)")
    parser.add_argument("--debug", action="store_true", help="DEBUG on, as `make run`")
    parser.add_argument("--code", type=Path, default=ROOT, help="the tree whose code runs")
    parser.add_argument("--compare", type=Path, help="A/B against this tree's code")
    parser.add_argument("--pairs", type=int, default=5, help="runs of each code (A/B)")
    options = parser.parse_args()
    if not os.environ.get("USER_SVC_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set USER_SVC_DATABASE_URL to a PostgreSQL database")
    if options.compare:
        compare(options.compare.resolve(), options)
        return

    mail_dir = tempfile.mkdtemp(prefix="order-emails-")
    os.environ.setdefault("DEBUG", "1")
    os.environ["EMAIL_FILE_PATH"] = mail_dir
    os.environ.pop("EMAIL_HOST", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "user_svc.settings"
    sys.path.insert(0, str(options.code / "user_svc"))
    import django

    django.setup()
    from accounts.models import User
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from notifications.models import Email

    from shop_common.events.consumer import Consumer

    call_command("migrate", verbosity=0)
    settings.DEBUG = options.debug  # off as in production: no query log kept per statement
    user, _ = User.objects.get_or_create(
        email="bench-emails@example.com", defaults={"first_name": "Ada"}
    )
    consumer = Consumer(stop=threading.Event(), service="user_svc")

    def deliver(bodies: list[bytes]) -> None:
        for body in bodies:
            message = Message(body)
            consumer._on_message(message)
            assert message.acknowledged

    deliver(order_bodies(20, user))  # warm: imports, templates, the connection
    [body] = order_bodies(1, user)
    with CaptureQueriesContext(connection) as captured:
        deliver([body])
    statements = [query["sql"] for query in captured.captured_queries]
    print(f"statements (round trips) per email: {len(statements)}")
    for sql in statements:
        print(f"  {sql[:110]}")

    print(f"load average before: {os.getloadavg()[0]:.2f}")
    per_email = []
    for _ in range(options.rounds):
        bodies = order_bodies(options.emails, user)
        start = time.process_time()
        deliver(bodies)
        per_email.append((time.process_time() - start) / options.emails * 1000)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    rounds = ", ".join(f"{ms:.2f}" for ms in per_email)
    print(
        f"CPU per email: median {statistics.median(per_email):.2f} ms "
        f"({options.rounds} x {options.emails}: {rounds})"
    )
    unsent = Email.objects.filter(user_id=user.pk, sent_at__isnull=True).count()
    print(f"emails of the benchmark's customer left unsent: {unsent}")

    if options.profile:
        bodies = order_bodies(options.emails, user)
        profile = cProfile.Profile(time.process_time)
        profile.runcall(deliver, bodies)
        if options.profile_out:
            profile.dump_stats(options.profile_out)
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
    shutil.rmtree(mail_dir)


if __name__ == "__main__":
    main()
