#!/usr/bin/env python
"""How fast the gateway serves the product list, against product_svc alone and two peers.

In one run, on gunicorn, PostgreSQL and Redis with the rate limits raised, wrk measures
requests/second and p50/p99 latency of the first page of the product list
(`?page_size=20`) served
  (a) by product_svc directly,
  (b) through nginx as a plain reverse proxy in front of product_svc,
  (c) through the gateway with `Cache-Control: no-cache` (to the service every time),
  (d) through the gateway from its cache,
  (e) the gateway's `/healthz`,
  (f) through a bare django-revproxy 0.13 (`bench/revproxy_peer.py`, gunicorn gthread
      2 x 8 like the gateway) in front of product_svc,
  (g) product_svc's own `/healthz`,
and prints the ratios against the goals, the CPU each request cost every process that
served it (the target's server, the service behind it, Redis and PostgreSQL: the ratios
of requests/second move with whatever else the machine does, the CPU a request costs
much less), the load average before and after, and the resident memory (RSS) of every
process of each server. The targets are measured in
turn, for several rounds, and the median round counts: the machine may be shared. The
services run as the cross-service tests run them (shop_testing.harness: fresh
database, free ports, `manage_all.py run`'s gunicorn settings); nginx is Debian's,
started here on loopback with its own configuration; django-revproxy comes with the
development requirements.

    apt-get install nginx-light wrk
    export PRODUCT_SVC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/product_svc
    export REDIS_URL=redis://127.0.0.1:6379/3
    .venv/bin/python bench/gateway.py --seconds 5 --rounds 3 --connections 16
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from shop_common.launcher import ChildProcess
from shop_testing.harness import System, close_on_sigterm, wait_until_healthy
from shop_testing.ports import free_port
from shop_testing.processes import (
    cpu_seconds,
    load,
    memory_line,
    process_tree,
    processes_matching,
)

BENCH = Path(__file__).resolve().parent
PRODUCT_LIST = "/api/v1/products/?page_size=20"
NGINX_CONF = """
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    upstream product_svc {{ server 127.0.0.1:{upstream_port}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://product_svc;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""
# (top, bottom, goal): the goals for top/bottom; (g)/(e): a service's request
# stack about as lean as the gateway's.
GOALS = (
    ("d", "a", 2.0),
    ("c", "b", 0.8),
    ("c", "f", 1.0),
    ("d", "e", 0.8),
    ("g", "e", 0.9),
)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    # Milliseconds of CPU per request, by part (`Parts`).
    cpu: dict[str, float] = field(default_factory=dict)


Parts = Callable[[], dict[str, list[int]]]


def start_nginx(folder: Path, upstream_port: int) -> tuple[subprocess.Popen[bytes], str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    (folder / "tmp").mkdir(parents=True)
    (folder / "tmp").chmod(0o777)  # nginx's workers drop root
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=folder, upstream_port=upstream_port, port=port))
    process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"])
    url = f"http://127.0.0.1:{port}"
    for _ in range(50):
        try:
            requests.get(f"{url}/healthz", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"nginx did not start: {(folder / 'error.log').read_text()}")


def start_revproxy(upstream_url: str) -> tuple[ChildProcess, str]:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "2"]
    argv += ["--threads", "8", "--bind", f"127.0.0.1:{port}", "revproxy_peer:application"]
    process = ChildProcess(argv, cwd=BENCH, env={**os.environ, "UPSTREAM": upstream_url})
    process.start(output=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    if not wait_until_healthy(url):
        process.stop()
        raise RuntimeError("django-revproxy did not start")
    return process, url


def redis_servers() -> list[int]:
    """The Redis server the run uses, which other work on the machine may share."""
    return processes_matching("redis-server")["redis-server"]


def report_memory(masters: dict[str, int]) -> None:
    for name, master in masters.items():
        print(memory_line(name, process_tree(master)))


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * UNITS[unit]


def wrk(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> Result:
    flags = [item for name, value in headers.items() for item in ("-H", f"{name}: {value}")]
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *flags, url]
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"errors while measuring {url}:\n{output}")
    latency = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.MULTILINE))
    if len(latency) != 2:
        raise RuntimeError(f"no latency distribution from wrk for {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests_done = int(re.search(r"(\d+) requests in", output).group(1))
    return Result(rps, milliseconds(latency["50"]), milliseconds(latency["99"]), requests_done)


def cpu_by_part(parts: Parts) -> Counter[str]:
    return Counter({name: sum(cpu_seconds(pid) for pid in pids) for name, pids in parts().items()})


def measured(parts: Parts, url: str, **options: object) -> Result:
    """One wrk run, with the CPU each part used during it, per request."""
    before = cpu_by_part(parts)
    result = wrk(url, **options)
    used = cpu_by_part(parts)
    used.subtract(before)
    result.cpu = {name: s * 1000 / result.requests for name, s in used.items() if s > 0}
    return result


def check_answer(url: str, headers: dict[str, str], x_cache: str | None) -> None:
    """Every target must answer the same list (and the cache must do what it says)."""
    requests.get(url, headers=headers, timeout=10)  # fills the gateway's cache, if it may
    response = requests.get(url, headers=headers, timeout=10)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    assert PRODUCT_LIST not in url or response.json()["count"] > 0
    assert response.headers.get("X-Cache") == x_cache, (url, response.headers)


def measure(
    targets: dict, parts: Parts, *, seconds: int, connections: int, rounds: int
) -> dict[str, Result]:
    """Each target `rounds` times, in turn, so that a neighbour's burst of work on the
    shared machine weighs on every target alike; the median round of each counts."""
    runs: dict[str, list[Result]] = {name: [] for name in targets}
    for _, url, headers, x_cache in targets.values():
        check_answer(url, headers, x_cache)
        wrk(url, seconds=2, connections=connections, headers=headers)  # warm up
    for _ in range(rounds):
        for name, (_, url, headers, _) in targets.items():
            run = measured(parts, url, seconds=seconds, connections=connections, headers=headers)
            runs[name].append(run)
    results = {}
    for name, (label, *_) in targets.items():
        results[name] = result = Result(
            statistics.median(r.rps for r in runs[name]),
            statistics.median(r.p50_ms for r in runs[name]),
            statistics.median(r.p99_ms for r in runs[name]),
            sum(r.requests for r in runs[name]),
            median_cpu(runs[name]),
        )
        each = " ".join(f"{run.rps:.0f}" for run in runs[name])
        print(
            f"({name}) {label:<31} {result.rps:>7.0f} req/s   p50 {result.p50_ms:>7.2f} ms"
            f"   p99 {result.p99_ms:>7.2f} ms   (rounds: {each})",
            flush=True,
        )
    return results


def median_cpu(runs: list[Result]) -> dict[str, float]:
    names = {name for run in runs for name in run.cpu}
    return {name: statistics.median(run.cpu.get(name, 0.0) for run in runs) for name in names}


def report_cpu(results: dict[str, Result]) -> None:
    """Milliseconds of CPU per request, median round, by part (parts under 0.01 ms left out)."""
    for name, result in results.items():
        spent = {part: ms for part, ms in sorted(result.cpu.items()) if ms >= 0.01}
        each = ", ".join(f"{part} {ms:.2f}" for part, ms in spent.items())
        print(f"({name}) CPU per request {sum(spent.values()):5.2f} ms ({each})")


def report(results: dict[str, Result]) -> bool:
    met = True
    for top, bottom, goal in GOALS:
        ratio = results[top].rps / results[bottom].rps
        verdict = "ok" if ratio >= goal else "MISSED"
        met &= ratio >= goal
        print(f"({top})/({bottom}) = {ratio:5.2f}   goal >= {goal:.1f}   {verdict}")
    # Beside the goals: the gateway and the peers against the service alone.
    for top in ("b", "c", "f"):
        ratio = results[top].rps / results["a"].rps
        print(f"({top})/(a) = {ratio:5.2f}   (for information)")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    close_on_sigterm()
    for name in ("PRODUCT_SVC_DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            parser.error(f"{name} must be set: the benchmark runs on PostgreSQL and Redis")
    os.environ.update(RATE_LIMIT_ANON="1000000000/m", RATE_LIMIT_USER="1000000000/m")
    print(f"load average before: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        system = System(Path(folder), names=("product_svc", "gateway_svc"))
        nginx = revproxy = None
        try:
            system.start_all()
            seeded = system.manage("product_svc", "seed")
            assert seeded.returncode == 0, seeded.stderr
            service = system.url("product_svc")
            nginx, nginx_url = start_nginx(
                Path(folder) / "nginx", system.processes["product_svc"].port
            )
            revproxy, revproxy_url = start_revproxy(service)
            gateway, fresh = system.url("gateway_svc"), {"Cache-Control": "no-cache"}
            targets = {
                "a": ("product_svc directly", service + PRODUCT_LIST, {}, None),
                "b": ("nginx -> product_svc", nginx_url + PRODUCT_LIST, {}, None),
                "c": ("gateway, no-cache", gateway + PRODUCT_LIST, fresh, "MISS"),
                "d": ("gateway, from its cache", gateway + PRODUCT_LIST, {}, "HIT"),
                "e": ("gateway /healthz", gateway + "/healthz", {}, None),
                "f": ("django-revproxy -> product_svc", revproxy_url + PRODUCT_LIST, {}, None),
                "g": ("product_svc /healthz", service + "/healthz", {}, None),
            }
            servers = {
                "product_svc": system.processes["product_svc"].process.popen.pid,
                "gateway_svc": system.processes["gateway_svc"].process.popen.pid,
                "revproxy": revproxy.popen.pid,
                "nginx": nginx.pid,
            }
            database = system.databases["product_svc"].name

            def parts() -> dict[str, list[int]]:
                found = {name: process_tree(pid) for name, pid in servers.items()}
                found["redis (shared)"] = redis_servers()
                found["postgresql"] = processes_matching(database)[database]
                return found

            results = measure(
                targets,
                parts,
                seconds=options.seconds,
                connections=options.connections,
                rounds=options.rounds,
            )
            print(f"load average after: {load()}")
            report_cpu(results)
            report_memory(servers)
        finally:
            if revproxy is not None:
                revproxy.stop()
            if nginx is not None:
                nginx.terminate()
                nginx.wait(10)
            system.close()
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
