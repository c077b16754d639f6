#!/usr/bin/env python
"""CPU of the gateway's request thread on the order path, in-process, old code against new.

    REDIS_URL=... .venv/bin/python bench/gateway_order_cpu.py [--base TREE] [--rounds 6]

Measures, on the request thread's own CPU clock (`time.thread_time`), what one
`POST /api/v1/orders/` costs the gateway: Django's WSGI handler called as gunicorn calls
it (the headers `requests` sends, a bearer token, an `Idempotency-Key`, a two-line JSON
body), the rate limits counted in Redis (`REDIS_URL`, raised so none refuses), the call
sent over real HTTP to a stand-in order_svc in another thread (`FakeService`, whose CPU
is not counted) that answers with order_svc's headers, 201 or, with `--refused`, 409 (under
load four in ten orders end so). `--list hit` and `--list miss` measure instead an
anonymous `GET /api/v1/products/?page_size=20` answered from the gateway's cache, or
fetched with `Cache-Control: no-cache` from a stand-in product_svc (twenty products) and
stored again. Each round runs every tree given (this one, and
`--base`, e.g. a worktree of the commit before) in a fresh process, alternating which goes
first, so the neighbours' load falls on both; it prints each round's median and the
median of the rounds.

`--one` is the worker: one process, one tree (the current directory's).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ORDER_HEADERS = {
    "Vary": "Accept, Authorization",
    "Allow": "GET, POST, HEAD, OPTIONS",
    "Location": "/api/v1/orders/1234/",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


PRODUCT_HEADERS = {key: ORDER_HEADERS[key] for key in ("Vary", "X-Content-Type-Options")}
PRODUCTS = {
    "count": 500,
    "next": "http://localhost:8000/api/v1/products/?page=2&page_size=20",
    "previous": None,
    "results": [
        {"id": n, "name": f"Product {n}", "price": "19.99", "stock": 40, "category": 3}
        for n in range(1, 21)
    ],
}


def gateway_requests(count: int, refused: bool, listed: str | None = None) -> list[float]:
    from django.core.handlers.wsgi import WSGIHandler

    from shop_testing import wsgi
    from shop_testing.fake_service import FakeService, Reply
    from shop_testing.tokens import make_access_token

    status = 409 if refused else 201
    body = {"detail": "Not enough stock."} if refused else {"id": 1234, "status": "confirmed"}
    order_svc = FakeService()
    order_svc.default = Reply(status, body, headers=ORDER_HEADERS)
    os.environ["ORDER_SVC_URL"] = order_svc.url
    product_svc = FakeService()
    product_svc.default = Reply(200, PRODUCTS, headers=PRODUCT_HEADERS)
    os.environ["PRODUCT_SVC_URL"] = product_svc.url
    handler = WSGIHandler()
    token = make_access_token(7)
    payload = json.dumps({"lines": [{"product_id": 1, "quantity": 2}]}).encode()

    def one() -> float:
        headers = {
            "Host": "localhost:8000",
            "Content-Type": "application/json",
            "User-Agent": "python-requests/2.32.3",
            "Accept-Encoding": "gzip, deflate",
            "Accept": "*/*",
            "Connection": "keep-alive",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        if listed:
            for name in ("Content-Type", "Authorization", "Idempotency-Key"):
                del headers[name]
            if listed == "miss":
                headers["Cache-Control"] = "no-cache"
            environ = wsgi.environ("GET", "/api/v1/products/", headers=headers)
            environ["QUERY_STRING"] = "page_size=20"
        else:
            environ = wsgi.environ("POST", "/api/v1/orders/", body=payload, headers=headers)
        answered = []
        started = time.thread_time()
        chunks = handler(environ, lambda code, headers: answered.append(code))
        b"".join(chunks)
        chunks.close()
        spent = time.thread_time() - started
        assert answered[0].startswith("200" if listed else str(status)), answered
        return spent

    for _ in range(50):  # connections, caches, metric series
        one()
    spent = [one() for _ in range(count)]
    order_svc.close()
    product_svc.close()
    return spent


def worker(options: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path.cwd() / "gateway_svc"))
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_svc.settings")
    unlimited = "1000000000/m"
    os.environ.update(
        RATE_LIMIT_ANON=unlimited, RATE_LIMIT_USER=unlimited, RATE_LIMIT_ADDRESS=unlimited
    )
    import django

    django.setup()
    spent = gateway_requests(options.requests, options.refused, options.list)
    print(json.dumps(statistics.median(spent) * 1e6))


def run_tree(tree: Path, options: argparse.Namespace) -> float:
    env = {**os.environ, "PYTHONPATH": f"{tree}/common/src:{tree}/testing/src"}
    command = [sys.executable, str(HERE / "bench/gateway_order_cpu.py"), "--one"]
    command += ["--requests", str(options.requests)] + (["--refused"] if options.refused else [])
    command += ["--list", options.list] if options.list else []
    out = subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, help="the tree to compare with")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--refused", action="store_true")
    parser.add_argument("--list", choices=["hit", "miss"], help="the product list instead")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.one:
        worker(options)
        return
    trees = {"new": HERE} | ({"base": options.base.resolve()} if options.base else {})
    rounds: dict[str, list[float]] = {name: [] for name in trees}
    for n in range(options.rounds):
        order = list(trees) if n % 2 == 0 else list(reversed(trees))
        for name in order:
            rounds[name].append(run_tree(trees[name], options))
        print(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.0f} µs" for k, v in rounds.items()))
    for name, values in rounds.items():
        print(f"{name}: median of {len(values)} rounds {statistics.median(values):.0f} µs")


if __name__ == "__main__":
    main()
