"""A small product_svc for unit tests: the reservations contract over real HTTP, in memory.

It keeps stock and reservations like the real one (all lines or none, a repeated id
answers the first result, a release before the reserve leaves a tombstone) and can be
told to misbehave: hang, answer 500, or do the work and then drop the answer.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/internal/v1/reservations/"


@dataclass
class Product:
    name: str
    price: str
    stock: int
    currency: str = "EUR"


@dataclass
class Inventory:
    products: dict[int, Product] = field(default_factory=dict)
    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reserve(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        reservation_id, items = body["reservation_id"], body["items"]
        with self.lock:
            if reservation_id in self.reservations:
                found = self.reservations[reservation_id]
                if found["state"] == "released":
                    return 410, {"detail": "Released.", "state": "released"}
                return 200, found
            unknown = [i["product_id"] for i in items if i["product_id"] not in self.products]
            if unknown:
                return 400, {"detail": "Unknown.", "errors": {}, "unknown_products": unknown}
            short = [
                {"product_id": i["product_id"], "requested": i["quantity"], "available": stock}
                for i in items
                if (stock := self.products[i["product_id"]].stock) < i["quantity"]
            ]
            if short:
                return 409, {"detail": "Short.", "short": short}
            for item in items:
                self.products[item["product_id"]].stock -= item["quantity"]
            self.reservations[reservation_id] = {
                "reservation_id": reservation_id,
                "state": "reserved",
                "items": [self._line(item) for item in items],
                "created_at": "2026-01-01T00:00:00Z",
            }
            return 201, self.reservations[reservation_id]

    def _line(self, item: dict[str, int]) -> dict[str, Any]:
        product = self.products[item["product_id"]]
        return {
            "product_id": item["product_id"],
            "name": product.name,
            "unit_price": product.price,
            "currency": product.currency,
            "quantity": item["quantity"],
        }

    def release(self, reservation_id: str) -> dict[str, Any]:
        with self.lock:
            found = self.reservations.setdefault(
                reservation_id, {"reservation_id": reservation_id, "state": "released", "items": []}
            )
            if found["state"] == "reserved":
                for item in found["items"]:
                    self.products[item["product_id"]].stock += item["quantity"]
                found["state"] = "released"
            return {"reservation_id": reservation_id, "state": "released"}

    def stock(self, product_id: int) -> int:
        return self.products[product_id].stock

    def held(self) -> int:
        """Units held by live reservations."""
        live = [r for r in self.reservations.values() if r["state"] == "reserved"]
        return sum(item["quantity"] for r in live for item in r["items"])


class FakeProductService:
    """Start with `start()`; `url` is its address; `mode` changes how it answers."""

    TOKEN = "Bearer test-service-token"

    def __init__(self) -> None:
        self.inventory = Inventory()
        self.mode = "ok"  # "ok", "hang", "error", "drop-answer-once"
        self.hang_seconds = 10.0
        self.calls: list[tuple[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeProductService":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, product_id: int, name: str, price: str, stock: int, **extra: str) -> None:
        self.inventory.products[product_id] = Product(name, price, stock, **extra)

    def answer(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path == PREFIX and method == "POST":
            return self.inventory.reserve(body)
        reservation_id = path.removeprefix(PREFIX).split("/")[0]
        if method == "POST" and path.endswith("/release/"):
            return 200, self.inventory.release(reservation_id)
        if reservation_id in self.inventory.reservations:
            return 200, self.inventory.reservations[reservation_id]
        return 404, {"detail": "Not found."}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.calls.append((method, self.path))
                if fake.mode == "hang":
                    time.sleep(fake.hang_seconds)
                if self.headers.get("Authorization") != fake.TOKEN:
                    return self._send(401, {"detail": "Service token required."})
                if fake.mode == "error":
                    return self._send(500, {"detail": "Boom."})
                status, answer = fake.answer(method, self.path, body)
                if fake.mode == "drop-answer-once":
                    fake.mode = "ok"
                    self.close_connection = True
                    return None
                return self._send(status, answer)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
