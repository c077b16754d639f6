#!/usr/bin/env python
"""Benchmark of placing orders: many concurrent customers against the real services.

    USER_SVC_DATABASE_URL=... PRODUCT_SVC_DATABASE_URL=... ORDER_SVC_DATABASE_URL=... \\
    PAYMENT_SVC_DATABASE_URL=... REDIS_URL=... [AMQP_URL=...] \\
        .venv/bin/python bench/orders.py [--via both] [--clients 16] [--seconds 20] \\
        [--client {wrk,python}]

Starts every service as `make run` does (gunicorn, the event relays and consumers) on
fresh databases through the cross-service test harness (PostgreSQL when the
`*_DATABASE_URL` variables are set), with the gateway's rate limits raised. For each way
in (`--via`: order_svc directly, through the gateway, or both in turn in one run), it
creates a few hot products with little stock and many cold ones with plenty, then lets
every client place orders, each with an `Idempotency-Key` of its own, as fast as it can
for a while: one to three lines, often with a hot product, so stock runs short and
reservations contend on the same rows.

The clients (`--client`) are wrk's connections, running `bench/orders.lua`, when `wrk` is
on the PATH (Debian's `wrk` package), else a thread per customer in this process
(`customer_loop`, with requests), as before wrk. The Python client takes about 3 ms of CPU
an order from the two cores the services run on, wrk a fraction of that, so the figures
of the two clients are not comparable (docs/benchmarks.md, "Eighth round").

Prints, per way in, orders per second and p50/p99 latency (and wrk's socket errors), the
gateway's figures against the direct ones, the outbox lag of the orders' events (published
minus written, p50/p99), the CPU each process spent an order (the clients' apart: wrk's
process, or this one's), the load average before and after, the resident memory of every
process, and a consistency check: for every product the stock taken equals the
quantities of its confirmed orders, and no order is left pending. Exits 1 when the check
fails, and stops when most requests had no order's answer.

`--profile DIR` samples the workers of order_svc, product_svc and the gateway, order_svc's
relay and user_svc's consumer (the emails) with py-spy while the last way in runs, only
the thread holding the GIL (Python on the CPU, not waiting), and prints their top lines
(raw folded stacks in DIR).
"""

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from shop_testing.harness import ServiceProcess, System, close_on_sigterm
from shop_testing.processes import (
    cpu_seconds,
    load,
    memory_line,
    process_tree,
    processes_matching,
)
from shop_testing.shop import Shop, order_body

BENCH = Path(__file__).resolve().parent
SERVICES = ("gateway_svc", "user_svc", "product_svc", "order_svc", "payment_svc")
TAKEN_STATUSES = ("confirmed", "paid", "shipped", "delivered")
# What an order request may be answered: placed, or refused for short stock.
ORDER_ANSWERS = (201, 409)
# wrk's threads are event loops, each with its share of the connections. At the bench's
# hundred or so orders a second one would do; two, one per core here, keep one thread's
# being descheduled behind a busy worker from holding back every connection's answer.
WRK_THREADS = 2
PROFILED = ("order_svc", "product_svc", "gateway_svc")
PROFILED_EVENTS = (("order_svc", "relay"), ("user_svc", "consume"))
# Where the shop's own code lives, as py-spy names a frame's file.
SHOP_CODE = ("orders/", "inventory/", "catalog/", "gateway/", "notifications/", "shop_common/")
# The outbox lag of order_svc's events written in a time window, read in its own shell.
LAG_QUERY = """
import json
from shop_common.events.models import OutboxEvent
rows = OutboxEvent.objects.filter(occurred_at__gte="{start}", occurred_at__lt="{end}")
print(json.dumps({{
    "waiting": rows.filter(published_at=None).count(),
    "lags": [
        (published - occurred).total_seconds()
        for occurred, published in rows.exclude(published_at=None).values_list(
            "occurred_at", "published_at"
        )
    ],
}}))
"""


@dataclass
class Results:
    """What one client's run was answered, by status, and how fast (latencies in seconds).
    `errors` are wrk's socket errors (the Python client raises instead); `cpu` the seconds
    each part used, the clients' from the client itself."""

    statuses: Counter[int]
    requests: int
    seconds: float
    p50: float
    p99: float
    errors: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    window: tuple[str, str] = ("", "")

    @property
    def orders_per_second(self) -> float:
        return self.statuses[201] / self.seconds


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def customer_loop(
    orders_url: str, customer: requests.Session, products: dict[str, list[int]], until: float
) -> list[tuple[int, float]]:
    """(status, seconds) of each order one customer placed, one after another."""
    rng = random.Random()
    answers = []
    while time.monotonic() < until:
        chosen = rng.sample(products["cold"], rng.randint(1, 2))
        if rng.random() < 0.5:
            chosen.append(rng.choice(products["hot"]))
        items = [(product_id, rng.randint(1, 3)) for product_id in chosen]
        started = time.monotonic()
        response = customer.post(
            orders_url,
            json=order_body(*items),
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        answers.append((response.status_code, time.monotonic() - started))
    return answers


def python_client(
    orders_url: str, customers: list[requests.Session], products: dict[str, list[int]], seconds: int
) -> Results:
    """A thread per customer in this process, so the clients' CPU is this process's."""
    cpu = time.process_time()
    started = time.monotonic()
    with ThreadPoolExecutor(len(customers)) as pool:
        loops = [
            pool.submit(customer_loop, orders_url, customer, products, started + seconds)
            for customer in customers
        ]
    answers = [answer for loop in loops for answer in loop.result()]
    latencies = sorted(latency for _, latency in answers)
    return Results(
        statuses=Counter(status for status, _ in answers),
        requests=len(answers),
        seconds=time.monotonic() - started,
        p50=statistics.median(latencies),
        p99=percentile(latencies, 0.99),
        cpu={"clients": time.process_time() - cpu},
    )


def wrk_orders(customers: list[requests.Session], products: dict[str, list[int]]) -> str:
    """What bench/orders.lua reads: the shipping address, the products, the customers."""
    lines = [f"address {json.dumps(order_body()['shipping_address'])}"]
    lines += [f"{kind} {' '.join(map(str, ids))}" for kind, ids in products.items()]
    lines += [f"customer {customer.headers['Authorization']}" for customer in customers]
    return "\n".join(lines) + "\n"


def wrk_client(
    orders_url: str, customers: list[requests.Session], products: dict[str, list[int]], seconds: int
) -> Results:
    """wrk running bench/orders.lua, a connection per customer. The clients' CPU is wrk's:
    the only child this process reaps while it runs."""
    # wrk gives each thread connections // threads of them.
    threads = WRK_THREADS if len(customers) % WRK_THREADS == 0 else 1
    with tempfile.NamedTemporaryFile("w", prefix="bench-orders-", suffix=".txt") as orders:
        orders.write(wrk_orders(customers, products))
        orders.flush()
        argv = ["wrk", f"--threads={threads}", f"--connections={len(customers)}"]
        argv += [f"--duration={seconds}s", "--timeout=30s", "--latency"]
        argv += [f"--script={BENCH / 'orders.lua'}", orders_url, "--", orders.name, str(threads)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        ran = subprocess.run(argv, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        summary = json.loads(ran.stdout.splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"no summary from wrk:\n{ran.stdout}{ran.stderr}") from None
    return Results(
        statuses=Counter({int(status): n for status, n in summary["statuses"].items()}),
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        p50=summary["latency_us"]["p50"] / 1e6,
        p99=summary["latency_us"]["p99"] / 1e6,
        errors=summary["errors"],
        cpu={"clients": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime},
    )


CLIENTS = {"wrk": wrk_client, "python": python_client}


def check_answered(results: Results) -> None:
    """Fails the run when most requests had no order's answer: socket errors, or statuses
    the bench does not cause (a wrong token, a refused body, a service down)."""
    attempts = results.requests + sum(results.errors.values())
    answered = sum(results.statuses[status] for status in ORDER_ANSWERS)
    if answered * 2 < attempts:
        raise RuntimeError(
            f"most requests failed: answers {dict(results.statuses)}, "
            f"socket errors {results.errors}"
        )


def all_pages(shop: Shop, url: str) -> list[dict]:
    results, next_url = [], f"{url}{'&' if '?' in url else '?'}page_size=100"
    while next_url:
        page = shop.staff.get(next_url, timeout=30).json()
        results.extend(page["results"])
        next_url = page["next"]
    return results


def consistency(shop: Shop, initial: dict[int, int]) -> list[str]:
    """Problems found: stock taken that no confirmed order explains, and pending orders."""
    sold: Counter[int] = Counter()
    for status in TAKEN_STATUSES:
        for order in all_pages(shop, shop.orders(f"?status={status}")):
            for line in order["items"]:
                sold[line["product_id"]] += line["quantity"]
    problems = [
        f"product {pid}: {initial[pid] - stock} taken, {sold[pid]} in confirmed orders"
        for pid in initial
        if initial[pid] - (stock := shop.stock(pid)) != sold[pid]
    ]
    pending = shop.staff.get(shop.orders("?status=pending"), timeout=30).json()["count"]
    if pending:
        problems.append(f"{pending} order(s) left pending")
    return problems


def outbox_lag(system: System, window: tuple[str, str], *, drain: float = 60) -> str:
    """p50/p99/max of published - written for order_svc's events of the window, once the
    relay has published them all (or `drain` seconds have passed)."""
    deadline = time.monotonic() + drain
    while True:
        query = LAG_QUERY.format(start=window[0], end=window[1])
        result = system.manage("order_svc", "shell", "-c", query)
        if result.returncode != 0:
            return f"unreadable: {result.stderr[-300:]}"
        found = json.loads(result.stdout.strip().splitlines()[-1])
        if not found["waiting"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    lags = sorted(found["lags"])
    if not lags:
        return "no events"
    p99 = percentile(lags, 0.99)
    return (
        f"{len(lags)} events, p50 {statistics.median(lags) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms, {found['waiting']} unpublished"
    )


def report(name: str, results: Results, lag: str) -> None:
    count = results.requests
    lines = [
        f"[{name}]",
        f"  requests      {count} in {results.seconds:.1f} s ({count / results.seconds:.1f}/s)",
        f"  orders placed {results.statuses[201]} ({results.orders_per_second:.1f} orders/s)",
        f"  answers       {dict(sorted(results.statuses.items()))}",
        f"  latency       p50 {results.p50 * 1000:.0f} ms, p99 {results.p99 * 1000:.0f} ms",
    ]
    if results.errors:
        errors = ", ".join(f"{kind} {count}" for kind, count in results.errors.items())
        lines.append(f"  socket errors {errors}")
    lines.append(f"  outbox lag    {lag}")
    print("\n".join(lines))


def report_ratios(runs: dict[str, Results]) -> None:
    if set(runs) != {"direct", "gateway"}:
        return
    gateway, direct = runs["gateway"], runs["direct"]
    print(
        "gateway / direct: orders/s "
        f"{gateway.orders_per_second / direct.orders_per_second:.2f}, "
        f"p50 {gateway.p50 / direct.p50:.2f}, p99 {gateway.p99 / direct.p99:.2f}"
    )


def event_processes(service: ServiceProcess) -> list[tuple[str, int]]:
    """(command, pid) of each of a service's event processes: relay, consume."""
    commands = [command.removesuffix("_events") for command in service.service.event_commands]
    pids = [child.popen.pid for child in service.event_processes]
    return list(zip(commands, pids, strict=True))


def report_memory(system: System) -> None:
    for name, service in system.processes.items():
        if service.process and service.process.popen:
            print(memory_line(name, process_tree(service.process.popen.pid)))
        for command, pid in event_processes(service):
            print(memory_line(f"{name} {command}", [pid]))


def processes_by_part(system: System) -> dict[str, list[int]]:
    """Each service's gunicorn master and workers, each of its event processes, and the
    PostgreSQL backends of each service's database; the clients tell their own CPU."""
    parts = {}
    for name, service in system.processes.items():
        parts[name] = process_tree(service.process.popen.pid) if service.process else []
        for command, pid in event_processes(service):
            parts[f"{name} {command}"] = [pid]
    backends = processes_matching(*(database.name for database in system.databases.values()))
    for name, database in system.databases.items():
        parts[f"postgresql {name}"] = backends[database.name]
    return parts


class CpuMeter:
    """The CPU each part uses while a run lasts. Processes are looked at every second, so a
    PostgreSQL backend that ends meanwhile (connections are recycled) still counts."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.part_of: dict[int, str] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "CpuMeter":
        self._look(at_start=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._look(at_start=False)

    def _watch(self) -> None:
        while not self.stop.wait(1):
            self._look(at_start=False)

    def _look(self, *, at_start: bool) -> None:
        for part, pids in processes_by_part(self.system).items():
            for pid in pids:
                used = cpu_seconds(pid)
                if not used:
                    continue
                # A process first seen after the start began during the run.
                self.first.setdefault(pid, used if at_start else 0.0)
                self.last[pid] = used
                self.part_of[pid] = part

    def seconds(self) -> dict[str, float]:
        parts: Counter[str] = Counter()
        for pid, used in self.last.items():
            parts[self.part_of[pid]] += used - self.first[pid]
        return dict(parts)


def report_cpu(results: Results) -> None:
    orders = max(results.statuses[201], 1)
    each = ", ".join(
        f"{name} {seconds * 1000 / orders:.1f}" for name, seconds in results.cpu.items()
    )
    total = sum(seconds for name, seconds in results.cpu.items() if name != "clients")
    database = sum(
        seconds for name, seconds in results.cpu.items() if name.startswith("postgresql")
    )
    print(f"  CPU per order {total * 1000 / orders:.1f} ms without the clients ({each})")
    print(f"  of which PostgreSQL {database * 1000 / orders:.1f} ms")


def setup(shop: Shop, options: argparse.Namespace) -> tuple[dict[str, list[int]], dict[int, int]]:
    with ThreadPoolExecutor(8) as pool:
        hot = list(
            pool.map(
                lambda _: shop.product(price="9.99", stock=options.hot_stock), range(options.hot)
            )
        )
        cold = list(
            pool.map(
                lambda i: shop.product(price=f"{1 + i % 50}.25", stock=10**6), range(options.cold)
            )
        )
    initial = dict.fromkeys(hot, options.hot_stock) | dict.fromkeys(cold, 10**6)
    return {"hot": hot, "cold": cold}, initial


def start_profiles(system: System, folder: Path, seconds: float) -> list[subprocess.Popen]:
    """py-spy on every worker of each profiled service, for the whole run: keep-alive
    connections from the gateway may all land on one worker."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    folder.mkdir(parents=True, exist_ok=True)
    spies = []
    for part, pids in profiled_processes(system):
        for pid in pids:
            # --gil: only the thread holding the GIL, so a sample is Python using the CPU,
            # not a thread waiting on a socket.
            argv = [py_spy, "record", "--format", "raw", "--function", "--rate", "200", "--gil"]
            argv += ["--nonblocking", "--duration", str(int(seconds)), "--pid", str(pid)]
            argv += ["--output", str(folder / f"{part}-{pid}.txt")]
            spies.append(
                subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
    return spies


def profiled_processes(system: System) -> list[tuple[str, list[int]]]:
    """(part, pids) of what --profile samples: each service's workers, and the event
    processes of the services an order's event goes through."""
    parts = []
    for name, service in system.processes.items():
        if name in PROFILED:
            parts.append((name, process_tree(service.process.popen.pid)[1:]))
        parts += [
            (f"{name}-{command}", [pid])
            for command, pid in event_processes(service)
            if (name, command) in PROFILED_EVENTS
        ]
    return parts


def top_lines(folder: Path, service: str, count: int = 10) -> str:
    """The functions most often at the top of a sampled stack of the part's processes
    (own), and the shop's own functions most often anywhere on it (inclusive)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for path in folder.glob(f"{service}-[0-9]*.txt"):
        for line in path.read_text().splitlines():
            stack, _, samples = line.rpartition(" ")
            frames = [frame for frame in stack.split(";") if frame]
            if not frames:
                continue
            own[frames[-1]] += int(samples)
            shop = [frame for frame in frames if frame.partition("(")[2].startswith(SHOP_CODE)]
            inclusive.update(dict.fromkeys(shop, int(samples)))
    total = sum(own.values())
    if not total:
        return f"{service}: no samples"
    lines = [f"{service}: {total} samples"]
    lines += [f"  own {n / total:6.1%}  {frame}" for frame, n in own.most_common(count)]
    lines += [f"  all {n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(count * 2)]
    return "\n".join(lines)


def run(
    system: System,
    shop: Shop,
    orders_url: str,
    options: argparse.Namespace,
    *,
    profile: Path | None = None,
) -> tuple[Results, dict[int, int], list[subprocess.Popen]]:
    products, initial = setup(shop, options)
    with ThreadPoolExecutor(8) as pool:
        customers = list(pool.map(lambda _: shop.customer(), range(options.clients)))
    client = CLIENTS[options.client]
    # Each worker thread's first order opens its connections and fetches its tokens.
    warm_up = client(orders_url, customers, products, 2)
    check_answered(warm_up)
    # wrk stops with each connection's last order in flight (the Python client waits for
    # its own), which the services finish about a latency later: not in the run measured.
    time.sleep(2 * warm_up.p99)
    spies = start_profiles(system, profile, options.seconds) if profile else []
    begun = datetime.now(UTC)
    with CpuMeter(system) as meter:
        results = client(orders_url, customers, products, options.seconds)
    check_answered(results)
    results.cpu = meter.seconds() | results.cpu
    # The client's run: with wrk, not the orders it left in flight, which it did not count.
    ended = begun + timedelta(seconds=results.seconds)
    results.window = (begun.isoformat(), ended.isoformat())
    return results, initial, spies


def shape(text: str) -> tuple[str, str, str]:
    """`order_svc=2x4` as (service, workers, threads)."""
    name, _, numbers = text.partition("=")
    workers, _, threads = numbers.partition("x")
    if name not in SERVICES or not workers.isdigit() or not threads.isdigit():
        raise argparse.ArgumentTypeError(f"not SERVICE=WORKERSxTHREADS: {text}")
    return name, workers, threads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--via", choices=("direct", "gateway", "both"), default="both")
    parser.add_argument(
        "--client",
        choices=tuple(CLIENTS),
        help="wrk running bench/orders.lua (the default when wrk is on the PATH), or Python",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--hot", type=int, default=3, help="products everyone wants")
    parser.add_argument("--hot-stock", type=int, default=300)
    parser.add_argument("--cold", type=int, default=200, help="products with plenty of stock")
    parser.add_argument("--profile", type=Path, help="py-spy's raw stacks go to this folder")
    parser.add_argument(
        "--shape",
        action="append",
        default=[],
        type=shape,
        metavar="SERVICE=WORKERSxTHREADS",
        help="gunicorn workers and threads of one service (e.g. order_svc=2x4), repeatable",
    )
    options = parser.parse_args()
    close_on_sigterm()
    wrk_found = shutil.which("wrk") is not None
    if options.client == "wrk" and not wrk_found:
        parser.error("--client wrk: wrk is not on the PATH (apt-get install wrk)")
    options.client = options.client or ("wrk" if wrk_found else "python")
    print(
        f"client: {options.client}, {options.clients} customers"
        + ("" if wrk_found else " (wrk is not on the PATH)")
    )
    if not os.environ.get("ORDER_SVC_DATABASE_URL", "").startswith("postgres"):
        sys.stderr.write("note: no PostgreSQL URLs set, running on SQLite\n")
    # Every client comes from 127.0.0.1: the per-address limit would answer 429 too.
    unlimited = "1000000000/m"
    os.environ.update(
        RATE_LIMIT_ANON=unlimited, RATE_LIMIT_USER=unlimited, RATE_LIMIT_ADDRESS=unlimited
    )
    ways = ("direct", "gateway") if options.via == "both" else (options.via,)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-orders-") as folder:
        system = System(Path(folder), names=SERVICES)
        for name, workers, threads in options.shape:
            system.processes[name].env.update(WEB_CONCURRENCY=workers, GUNICORN_THREADS=threads)
            print(f"{name}: gunicorn {workers} workers x {threads} threads")
        try:
            system.start_all()
            shop = Shop(system)
            entries = {
                "direct": shop.orders(),
                "gateway": f"{system.url('gateway_svc')}/api/v1/orders/",
            }
            print(f"load average before: {load()}", flush=True)
            runs: dict[str, Results] = {}
            initial: dict[int, int] = {}
            spies: list[subprocess.Popen] = []
            for way in ways:
                profile = options.profile if way == ways[-1] else None
                runs[way], stock, spies = run(system, shop, entries[way], options, profile=profile)
                initial |= stock
            print(f"load average after: {load()}")
            report_memory(system)
            for way, results in runs.items():
                report(way, results, outbox_lag(system, results.window))
                report_cpu(results)
            report_ratios(runs)
            problems = consistency(shop, initial)
            print(
                "consistency: "
                + (
                    "OK: stock taken = confirmed quantities, nothing pending"
                    if not problems
                    else "FAILED\n  " + "\n  ".join(problems)
                )
            )
            if options.profile:
                for spy in spies:
                    spy.wait(60)
                for part, _ in profiled_processes(system):
                    print(top_lines(options.profile, part))
        finally:
            system.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
