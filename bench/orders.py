#!/usr/bin/env python
"""Benchmark of placing orders: many concurrent customers against the real services.

    USER_SVC_DATABASE_URL=... PRODUCT_SVC_DATABASE_URL=... ORDER_SVC_DATABASE_URL=... \\
        .venv/bin/python bench/orders.py [--clients 32] [--seconds 30]

Starts user_svc, product_svc and order_svc under gunicorn on fresh databases (the
cross-service test harness does it; PostgreSQL when the `*_DATABASE_URL` variables are
set), creates a few hot products with little stock and many cold ones with plenty, then
lets every client place orders as fast as it can for a while: one to three lines, often
with a hot product, so stock runs short and reservations contend on the same rows.

Prints orders per second, p50/p99 latency and a consistency check: for every product the
stock taken equals the quantities of its confirmed orders, and no order is left pending.
Exits 1 when the check fails.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from shop_testing.harness import System
from shop_testing.shop import Shop

SERVICES = ("user_svc", "product_svc", "order_svc")
TAKEN_STATUSES = ("confirmed", "paid", "shipped", "delivered")


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(seconds)


def customer_loop(
    shop: Shop,
    customer: requests.Session,
    products: dict[str, list[int]],
    until: float,
    out: Results,
) -> None:
    rng = random.Random()
    while time.monotonic() < until:
        chosen = rng.sample(products["cold"], rng.randint(1, 2))
        if rng.random() < 0.5:
            chosen.append(rng.choice(products["hot"]))
        items = [(product_id, rng.randint(1, 3)) for product_id in chosen]
        started = time.monotonic()
        response = shop.place(customer, *items)
        out.add(response.status_code, time.monotonic() - started)


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


def report(results: Results, seconds: float, problems: list[str]) -> None:
    latencies = sorted(results.latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    confirmed = results.statuses[201]
    lines = [
        f"requests        {len(latencies)} in {seconds:.1f} s ({len(latencies) / seconds:.1f}/s)",
        f"orders placed   {confirmed} ({confirmed / seconds:.1f} orders/s)",
        f"answers         {dict(sorted(results.statuses.items()))}",
        f"latency         p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms",
        "consistency     "
        + (
            "OK: stock taken = confirmed quantities, nothing pending"
            if not problems
            else "FAILED\n  " + "\n  ".join(problems)
        ),
    ]
    sys.stdout.write("\n".join(lines) + "\n")


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--hot", type=int, default=3, help="products everyone wants")
    parser.add_argument("--hot-stock", type=int, default=300)
    parser.add_argument("--cold", type=int, default=200, help="products with plenty of stock")
    options = parser.parse_args()
    if not os.environ.get("ORDER_SVC_DATABASE_URL", "").startswith("postgres"):
        sys.stderr.write("note: no PostgreSQL URLs set, running on SQLite\n")
    with tempfile.TemporaryDirectory() as folder:
        system = System(Path(folder), names=SERVICES)
        try:
            system.start_all()
            shop = Shop(system)
            products, initial = setup(shop, options)
            with ThreadPoolExecutor(8) as pool:
                customers = list(pool.map(lambda _: shop.customer(), range(options.clients)))
            results = Results()
            started = time.monotonic()
            until = started + options.seconds
            with ThreadPoolExecutor(options.clients) as pool:
                loops = [
                    pool.submit(customer_loop, shop, customer, products, until, results)
                    for customer in customers
                ]
            for loop in loops:
                loop.result()
            elapsed = time.monotonic() - started
            problems = consistency(shop, initial)
            report(results, elapsed, problems)
        finally:
            system.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
