"""A signed-in shop on the harness's real services, for cross-service tests and benchmarks.

Users sign up and log in through user_svc, staff is made with
`createsuperuser`, products are created through product_svc's API, orders are placed
on order_svc directly, and `StockProxy` stands between order_svc and product_svc to lose
answers or hang on purpose.
"""

import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from shop_testing.fake_service import FakeService, Received, Reply
from shop_testing.harness import System

PASSWORD = "correct-Horse-battery-9"
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def order_body(*items: tuple[int, int]) -> dict[str, Any]:
    return {
        "items": [{"product_id": pid, "quantity": qty} for pid, qty in items],
        "shipping_address": ADDRESS,
    }


class Shop:
    """The running system seen by its users: sign-ups, staff, products and orders."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.staff = self.session(self._staff_token())

    def session(self, token: str | None = None) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        return session

    def customer(self) -> requests.Session:
        """A new customer, signed up and logged in."""
        email = f"{uuid.uuid4().hex[:12]}@example.com"
        users = self.system.url("user_svc")
        answer = requests.post(
            f"{users}/api/v1/auth/register/",
            json={"email": email, "password": PASSWORD},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return self.session(self._token(email))

    def _token(self, email: str) -> str:
        users = self.system.url("user_svc")
        answer = requests.post(
            f"{users}/api/v1/auth/token/", json={"email": email, "password": PASSWORD}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["access"]

    def _staff_token(self) -> str:
        return self._token(new_superuser(self.system))

    def product(self, *, price: str, stock: int) -> int:
        sku = uuid.uuid4().hex[:10]
        answer = self.staff.post(
            f"{self.system.url('product_svc')}/api/v1/products/",
            json={
                "sku": sku,
                "name": f"Tea {sku}",
                "price": price,
                "currency": "EUR",
                "stock": stock,
            },
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    def stock(self, product_id: int) -> int:
        url = f"{self.system.url('product_svc')}/api/v1/products/{product_id}/"
        return self.staff.get(url, timeout=10).json()["stock"]

    def orders(self, path: str = "") -> str:
        return f"{self.system.url('order_svc')}/api/v1/orders/{path}"

    def place(self, user: requests.Session, *items: tuple[int, int], **headers: str) -> Any:
        return user.post(self.orders(), json=order_body(*items), headers=headers, timeout=30)

    def reconcile(self) -> str:
        result = self.system.manage("order_svc", "reconcile_orders", "--older-than", "0")
        assert result.returncode == 0, result.stderr
        return result.stdout


def new_superuser(system: System) -> str:
    """A new user_svc superuser signing in with `PASSWORD`, made the way operators do."""
    email = f"staff-{uuid.uuid4().hex[:8]}@example.com"
    created = system.manage(
        "user_svc",
        "createsuperuser",
        "--noinput",
        "--email",
        email,
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    assert created.returncode == 0, created.stderr
    return email


class StockProxy:
    """Forwards order_svc's calls to product_svc, unless told to lose or hang them.

    `mode`: "forward"; "drop-reserve-once" forwards the next reserve and then closes the
    connection without its answer; "drop-reserves" does that to every reserve; "late"
    holds every call for `delay` seconds (longer than order_svc waits), then forwards it.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.mode = "forward"
        self.delay = 5.0
        self.reserves = 0
        self.forwarded = 0
        self.server = FakeService(answer=self._relay)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def received(self) -> int:
        return len(self.server.received)

    def close(self) -> None:
        self.server.close()

    def _relay(self, request: Received) -> Reply:
        if self.mode == "late":
            time.sleep(self.delay)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        answer = requests.request(
            request.method,
            self.target + request.path,
            data=request.body,
            headers=headers,
            timeout=10,
        )
        is_reserve = request.method == "POST" and request.path == "/internal/v1/reservations/"
        self.reserves += is_reserve
        self.forwarded += 1
        content_type = {"Content-Type": answer.headers["Content-Type"]}
        if is_reserve and self.mode.startswith("drop-reserve"):
            if self.mode == "drop-reserve-once":
                self.mode = "forward"
            return Reply(answer.status_code, answer.content, headers=content_type, drop=True)
        return Reply(answer.status_code, answer.content, headers=content_type)


def crash(system: System, name: str) -> None:
    """Kill a service's gunicorn master and workers at once, as a crash would: no request
    in flight gets to finish. Only the processes the harness started, by their ids."""
    process = system.processes[name].process
    assert process is not None
    assert process.popen is not None
    for pid in [*_children(process.popen.pid), process.popen.pid]:
        os.kill(pid, signal.SIGKILL)
    process.popen.wait()


def _children(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after it.
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def as_json(response: requests.Response) -> Any:
    """The body as JSON, failing the test with the raw text when it is not."""
    try:
        return response.json()
    except json.JSONDecodeError:
        pytest.fail(f"not JSON ({response.status_code}): {response.text[:300]}")
