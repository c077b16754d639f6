"""A small product_svc for unit tests: the reservations contract over real HTTP (a
`shop_testing.fake_service.FakeService`), in memory.

It keeps stock and reservations like the real one (all lines or none, a repeated id
answers the first result, a release before the reserve leaves a tombstone) and can be
told to misbehave: hang, answer 500, or do the work and then drop the answer.
"""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from shop_testing.fake_service import FakeService, Received, Reply

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


class FakeProductService(FakeService):
    """Started at once; `url` is its address; `mode` changes how it answers."""

    TOKEN = "Bearer test-service-token"

    def __init__(self) -> None:
        self.inventory = Inventory()
        self.mode = "ok"  # "ok", "hang", "error", "drop-answer-once"
        self.hang_seconds = 10.0
        super().__init__(answer=self._reply_to)

    @property
    def calls(self) -> list[tuple[str, str]]:
        """(method, path) of every request received, in order."""
        return [(request.method, request.path) for request in self.received]

    def add(self, product_id: int, name: str, price: str, stock: int, **extra: str) -> None:
        self.inventory.products[product_id] = Product(name, price, stock, **extra)

    def answer(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """What product_svc would answer, and what it would do to the stock."""
        if path == PREFIX and method == "POST":
            return self.inventory.reserve(body)
        reservation_id = path.removeprefix(PREFIX).split("/")[0]
        if method == "POST" and path.endswith("/release/"):
            return 200, self.inventory.release(reservation_id)
        if reservation_id in self.inventory.reservations:
            return 200, self.inventory.reservations[reservation_id]
        return 404, {"detail": "Not found."}

    def _reply_to(self, request: Received) -> Reply:
        if self.mode == "hang":
            time.sleep(self.hang_seconds)
        if request.header("Authorization") != self.TOKEN:
            return Reply(401, {"detail": "Service token required."})
        if self.mode == "error":
            return Reply(500, {"detail": "Boom."})
        status, body = self.answer(request.method, request.path, request.json())
        if self.mode == "drop-answer-once":
            self.mode = "ok"
            return Reply(status, body, drop=True)
        return Reply(status, body)
