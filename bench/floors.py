#!/usr/bin/env python
"""What the steps every request is made of cost at the least on this machine: the floor
under the figures of docs/benchmarks.md, and what bounds an order's CPU.

    export PRODUCT_SVC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/product_svc
    .venv/bin/python bench/floors.py [--rounds 5] [--calls 1000] 2>/dev/null

In product_svc's process (its settings, `DEBUG=1` as `make run`, its migrated database),
the CPU per call of the client (this process, user and system) and of its PostgreSQL
backend (read from /proc), median of the rounds:
  (1) a round trip through psycopg alone (`SELECT 1`);
  (2) the ORM reading one product by primary key;
  (3) the ORM taking one unit of a product's stock (`UPDATE ... SET stock = stock - 1`,
      autocommit: the statement is its own transaction);
  (4) the same update in `transaction.atomic()` (BEGIN, UPDATE, COMMIT: three round trips);
  (5) product_svc's `/healthz` through Django's WSGI handler and the shop's middleware,
      called in-process (no socket), the least a service's request costs above the HTTP server;
then (6) a request through gunicorn (gthread, 2 workers x 8 threads, as every service
runs) to a WSGI callable that only answers, measured with wrk (16 connections), the CPU
of gunicorn's processes per request: the least an HTTP hop costs. The product these
calls read and write is made for the run and deleted after it.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTHING_APP = """
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
"""


def per_call(
    call: Callable[[], object], *, rounds: int, calls: int, backend: int
) -> tuple[float, float]:
    """Median microseconds of CPU per call: this process's, and the PostgreSQL backend's."""
    from shop_testing.processes import cpu_seconds

    for _ in range(calls // 10):
        call()
    client, server = [], []
    for _ in range(rounds):
        started, server_started = os.times(), cpu_seconds(backend)
        for _ in range(calls):
            call()
        ended = os.times()
        client.append((ended.user - started.user + ended.system - started.system) / calls)
        server.append((cpu_seconds(backend) - server_started) / calls)
    return statistics.median(client) * 1e6, statistics.median(server) * 1e6


def in_process(rounds: int, calls: int) -> None:
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the request log line is measured by (5)'s
    os.environ["DJANGO_SETTINGS_MODULE"] = "product_svc.settings"
    sys.path.insert(0, str(ROOT / "product_svc"))
    import django

    django.setup()
    from catalog.models import Category, Product
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection, reset_queries, transaction
    from django.db.models import F

    from shop_testing import wsgi

    call_command("migrate", verbosity=0)
    category, _ = Category.objects.get_or_create(slug="bench-floors", defaults={"name": "Floors"})
    product = Product.objects.create(
        sku=f"BENCH-FLOORS-{os.getpid()}",
        name="Floors",
        slug=f"bench-floors-{os.getpid()}",
        price="1.00",
        category=category,
        stock=10**9,
    )
    connection.ensure_connection()
    backend = connection.connection.execute("SELECT pg_backend_pid()").fetchone()[0]
    raw = connection.connection
    handler = WSGIHandler()

    def take_one() -> None:
        Product.objects.filter(pk=product.pk).update(stock=F("stock") - 1)

    def take_one_atomically() -> None:
        with transaction.atomic():
            take_one()

    def healthz() -> None:
        answer = handler(wsgi.environ("GET", "/healthz"), lambda status, headers: None)
        b"".join(answer)
        answer.close()
        reset_queries()  # DEBUG keeps every query of the process otherwise

    steps = {
        "(1) psycopg round trip (SELECT 1)": lambda: raw.execute("SELECT 1").fetchall(),
        "(2) ORM: one product by primary key": lambda: Product.objects.get(pk=product.pk),
        "(3) ORM: take one unit of stock": take_one,
        "(4) the same in atomic(): BEGIN, UPDATE, COMMIT": take_one_atomically,
        "(5) /healthz through Django and the middleware": healthz,
    }
    print(f"DEBUG={int(settings.DEBUG)}, {rounds} rounds of {calls} calls, median round")
    print(f"{'':52} {'client':>9} {'PostgreSQL':>11}")
    try:
        for label, step in steps.items():
            mine, its = per_call(step, rounds=rounds, calls=calls, backend=backend)
            print(f"{label:52} {mine:6.0f} us {its:8.0f} us", flush=True)
    finally:
        product.delete()


def through_gunicorn(seconds: int) -> None:
    from shop_common.launcher import ChildProcess
    from shop_testing.harness import wait_until_healthy
    from shop_testing.ports import free_port
    from shop_testing.processes import cpu_seconds, process_tree

    with tempfile.TemporaryDirectory(prefix="bench-floors-") as folder:
        Path(folder, "nothing.py").write_text(NOTHING_APP)
        port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "2"]
        argv += ["--threads", "8", "--bind", f"127.0.0.1:{port}", "nothing:application"]
        server = ChildProcess(argv, cwd=Path(folder), env=dict(os.environ))
        server.start(output=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            if not wait_until_healthy(url):
                raise RuntimeError("gunicorn did not start")
            pids = process_tree(server.popen.pid)
            before = sum(cpu_seconds(pid) for pid in pids)
            argv = ["wrk", "-t2", "-c16", f"-d{seconds}s", f"{url}/"]
            output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
            used = sum(cpu_seconds(pid) for pid in pids) - before
        finally:
            server.stop()
    done = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    label = "(6) a request through gunicorn, answered by nothing"
    print(f"{label:52} {used / done * 1e6:6.0f} us  ({rate:.0f} requests/s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=5, help="wrk's run for (6)")
    options = parser.parse_args()
    if not os.environ.get("PRODUCT_SVC_DATABASE_URL", "").startswith("postgres"):
        parser.error("set PRODUCT_SVC_DATABASE_URL to a PostgreSQL database")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    started = time.monotonic()
    in_process(options.rounds, options.calls)
    through_gunicorn(options.seconds)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
