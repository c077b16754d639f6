#!/usr/bin/env python
"""CPU of the order path's request threads, in-process, old code against new.

    ORDER_SVC_DATABASE_URL=... PRODUCT_SVC_DATABASE_URL=... \\
        .venv/bin/python bench/order_path_cpu.py [--base TREE] [--rounds 6] [--requests 100]

Measures, on the request thread's own CPU clock (`time.thread_time`), what placing an
order costs order_svc (Django's test client against PostgreSQL, the tests' fake
product_svc over real HTTP in another thread, two-line orders with an `Idempotency-Key`)
and what a two-line reservation costs product_svc. Each round runs every tree given (this
one, and `--base`, e.g. an unpacked `git archive` of the commit before) in a fresh
process, alternating which goes first, so the neighbours' load falls on both; it prints
each round's median and the median of the rounds. `--refused` measures orders and
reservations refused for short stock (409) instead: under load four in ten orders end so.
`--profile` prints cProfile's top lines of one process of this tree instead.

`--one SERVICE` is the worker: one process, one tree (the current directory's).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SERVICES = ("order_svc", "product_svc")


def order_svc_requests(count: int, refused: bool) -> list[float]:
    from orders import reservations
    from orders.tests.conftest import StubCredential, order_body
    from orders.tests.fake_product_svc import FakeProductService

    from shop_testing.tokens import client_for

    fake = FakeProductService()
    fake.add(1, "Teapot", "19.99", stock=10**9)
    fake.add(2, "Cup", "4.35", stock=0 if refused else 10**9)
    expected = 409 if refused else 201
    os.environ["PRODUCT_SVC_URL"] = fake.url
    reservations.credential = StubCredential()
    customer = client_for(7)
    body = order_body((1, 2), (2, 1))

    def one() -> float:
        key = uuid.uuid4().hex
        started = time.thread_time()
        response = customer.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        spent = time.thread_time() - started
        assert response.status_code == expected, response.content
        return spent

    return [one() for _ in range(count)]


def product_svc_requests(count: int, refused: bool) -> list[float]:
    from catalog.models import Product

    from shop_common.scopes import ServiceScope
    from shop_testing.tokens import bearer_client, make_service_token

    products = []
    for n in range(2):
        sku = f"bench-cpu-{n}"
        product, _ = Product.objects.get_or_create(
            sku=sku,
            defaults={"name": f"Bench {n}", "slug": sku, "price": "9.99", "stock": 10**9},
        )
        stock = 0 if refused and n == 1 else 10**9
        Product.objects.filter(pk=product.pk).update(stock=stock, is_active=True)
        products.append(product.pk)
    expected = 409 if refused else 201
    client = bearer_client(make_service_token("order_svc", ServiceScope.RESERVATIONS))

    def one() -> float:
        body = {
            "reservation_id": str(uuid.uuid4()),
            "items": [{"product_id": pid, "quantity": 1} for pid in products],
        }
        started = time.thread_time()
        response = client.post("/internal/v1/reservations/", body, format="json")
        spent = time.thread_time() - started
        assert response.status_code == expected, response.content
        return spent

    return [one() for _ in range(count)]


def worker(service: str, count: int, warmup: int, profile: bool, refused: bool) -> None:
    os.environ.setdefault("DEBUG", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = f"{service}.settings"
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # as served: no query log
    requests = order_svc_requests if service == "order_svc" else product_svc_requests

    def run(count: int) -> list[float]:
        return requests(count, refused)

    run(warmup)
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        run(count)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(45)
        return
    spent = run(count)
    print(statistics.median(spent) * 1000)


def measure(tree: Path, service: str, count: int, warmup: int, refused: bool) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": f"{tree}/common/src:{tree}/testing/src",
    }
    result = subprocess.run(
        [
            sys.executable,
            str(HERE / "bench" / "order_path_cpu.py"),
            "--one",
            service,
            "--requests",
            str(count),
            "--warmup",
            str(warmup),
            *(["--refused"] if refused else []),
        ],
        cwd=tree / service,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"{tree} {service} failed:\n{result.stderr[-3000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, help="the tree to measure this one against")
    parser.add_argument("--service", choices=SERVICES, action="append")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--refused", action="store_true", help="orders refused for short stock")
    parser.add_argument("--one", choices=SERVICES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        worker(args.one, args.requests, args.warmup, args.profile, args.refused)
        return
    services = args.service or list(SERVICES)
    if args.profile:
        for service in services:
            env = {**os.environ, "PYTHONPATH": f"{HERE}/common/src:{HERE}/testing/src"}
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    service,
                    "--profile",
                    "--requests",
                    str(args.requests),
                    "--warmup",
                    str(args.warmup),
                    *(["--refused"] if args.refused else []),
                ],
                cwd=HERE / service,
                env=env,
                check=True,
            )
        return
    trees = {"this": HERE, **({"base": args.base.resolve()} if args.base else {})}
    for service in services:
        figures: dict[str, list[float]] = {name: [] for name in trees}
        for n in range(args.rounds):
            names = list(trees) if n % 2 == 0 else list(reversed(trees))
            for name in names:
                figures[name].append(
                    measure(trees[name], service, args.requests, args.warmup, args.refused)
                )
            print(
                f"{service} round {n + 1}: "
                + ", ".join(f"{name} {figures[name][-1]:.2f} ms" for name in trees),
                flush=True,
            )
        print(
            f"{service} median of rounds: "
            + ", ".join(f"{name} {statistics.median(f):.2f} ms" for name, f in figures.items())
        )


if __name__ == "__main__":
    main()
