"""gunicorn settings shared by every service; each reads its numbers from the environment.

Use: `gunicorn -c python:shop_common.gunicorn_conf <service>.wsgi`.
"""

import json
import os
import socket

from gunicorn import util

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
# One worker per core, each with 8 threads for the time a request waits on PostgreSQL,
# Redis or another service. Measured with wrk (16 connections, the product list on
# product_svc, 2 cores, 3 rounds side by side, docs/benchmarks.md): 2 x 8 gave 141
# requests/s, 2 x 4 122, 2 x 2 115, 3 x 4 132 (medians; the rounds overlap on a shared
# machine, but nothing beat 2 x 8). The gateway's threads wait on the services for most
# of a request, so it keeps at least as many: four gateways side by side, its cached list
# and a `no-cache` one, 5 interleaved rounds of 3 s each (2 cores shared with a neighbour's
# tests): 2 x 8 1,182 and 356 requests/s, 2 x 4 939 and 361, 2 x 2 1,130 and 352, 4 x 4
# 926 and 244, 1.0-1.3 and 2.3-3.4 ms of CPU a request; nothing beat 2 x 8. order_svc,
# measured with bench/orders.py (`--shape`, placing orders directly, 16 clients, one run
# each on a quiet machine):
# 2 x 8 52.5 and 58.0 orders/s, 1 x 16 57.5, 2 x 4 55.8, 4 x 4 55.7, with 10-13 ms of
# its CPU an order whatever the shape; identical runs differ by 10%, so no shape won.
# It keeps 2 x 8: one process would save 87 MiB but hold the service to one core of
# Python, about 90 orders/s at 11 ms an order, below the 150/s the shop aims for.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Every upstream timeout and retry budget ends well inside this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "10"))
keepalive = 5
# Our own middleware writes one JSON line per request; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
# Several services run side by side; gunicorn's default control socket path is shared.
control_socket_disable = True


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own refusals, given before Django sees the request (a request line over
    4094 bytes: 414; too many or too large headers: 431; a malformed request: 400), in the
    shop's one error shape instead of gunicorn's HTML page."""
    body = json.dumps({"detail": f"{reason}: {mesg}" if mesg else reason}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


# The workers answer those refusals through `gunicorn.util.write_error`, which has no setting.
util.write_error = write_json_error
