#!/usr/bin/env python
"""How fast product_svc answers a page of the product list: p50 and p95 per query.

Runs the real view in-process (Django's test client, no network) against the database
the environment names, so load it first:

    export PRODUCT_SVC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/product_svc
    (cd product_svc && ../.venv/bin/python manage.py seed &&
     ../.venv/bin/python manage.py generate_products 100000)
    .venv/bin/python bench/product_list.py --runs 200
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "product_svc"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "product_svc.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # one JSON line per request would be noise
# Each page is rendered: what a page costs to make, not the page cache's answer
# (bench/gateway.py measures that).
os.environ.setdefault("CATALOG_PAGE_CACHE_SECONDS", "0")

import django

django.setup()

from catalog.models import Product  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

# The four (each goal: p50 <= 15 ms with 100,000 products), then the older ones.
GOAL_MS = 15.0
WITH_GOAL = 4
QUERIES = {
    "ordered by price, descending": "/api/v1/products/?ordering=-price",
    "a category, min price, by price": (
        "/api/v1/products/?category=electronics&min_price=10&ordering=-price"
    ),
    "in stock, newest first, page 200": (
        "/api/v1/products/?in_stock=true&ordering=-created_at&page=200"
    ),
    "search laptop, by price": "/api/v1/products/?search=laptop&ordering=price",
    "filtered, ordered by price": (
        "/api/v1/products/?category=books&min_price=10&max_price=500&in_stock=true&ordering=price"
    ),
    "search, ordered by name": "/api/v1/products/?search=steel%20kettle&ordering=name",
    "everything, default order": "/api/v1/products/",
}


def measure(client: Client, url: str, runs: int) -> list[float]:
    client.get(url)  # warm the connection and the caches first
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    options = parser.parse_args()
    client = Client()
    out = sys.stdout
    out.write(f"{Product.objects.count()} products on {connection.vendor}, {options.runs} runs\n")
    out.write(f"load average before: {load()}\n")
    for number, (label, url) in enumerate(QUERIES.items()):
        timings = sorted(measure(client, url, options.runs))
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        with CaptureQueriesContext(connection) as queries:
            count = client.get(url).json()["count"]
        verdict = ""
        if number < WITH_GOAL:
            verdict = f"  goal <= {GOAL_MS:.0f} ms: {'ok' if p50 <= GOAL_MS else 'MISSED'}"
        out.write(
            f"{label:<34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({count} matches, "
            f"{len(queries)} queries){verdict}\n"
        )
    out.write(f"load average after: {load()}; RSS of this process {rss_mib():.0f} MiB\n")


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def rss_mib() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024


if __name__ == "__main__":
    main()
