"""product_svc's reservations API as order_svc uses it: reserve, release, look up.

Every call goes through the shared resilient client with the service credential. The
reservation id is the order id, so a reserve or release may be repeated safely: each is
sent with an `Idempotency-Key`, which lets the client retry it after a lost answer.
"""

import functools
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from orders.exceptions import OrderTooLarge, OutOfStock, StockUnavailable, UnknownProducts
from shop_common.client import (
    IDEMPOTENCY_HEADER,
    Answer,
    PooledServiceClient,
    UpstreamError,
    json_object,
)
from shop_common.service_credentials import ServiceCredential, ServiceCredentialError
from shop_common.service_table import SERVICES

logger = logging.getLogger(__name__)

RESERVATIONS = "/internal/v1/reservations/"
credential = ServiceCredential("order_svc")


@dataclass(frozen=True)
class ReservedItem:
    product_id: int
    name: str
    unit_price: Decimal
    currency: str
    quantity: int


@dataclass(frozen=True)
class Reservation:
    reservation_id: uuid.UUID
    state: str
    items: list[ReservedItem]

    @property
    def is_held(self) -> bool:
        return self.state == "reserved"


class ReservationReleased(StockUnavailable):
    """The reservation id was released before this reserve arrived: nothing was taken."""


@functools.cache
def _client(base_url: str, connect: float, read: float, retries: int) -> PooledServiceClient:
    # The budget is the read timeout: a hanging product_svc costs one read timeout, not
    # one per retry, while refused connections and 502-504 are still retried at once.
    # Pooled: a reservation is part of every order placed.
    return PooledServiceClient(
        "product_svc",
        base_url,
        connect_timeout=connect,
        read_timeout=read,
        budget=read,
        retries=retries,
    )


def client(*, quick: bool = False) -> PooledServiceClient:
    """The client for product_svc at its current address (tests move it).

    `quick` is one short attempt, for a release while the caller waits for its 503.
    """
    read = settings.INVENTORY_QUICK_TIMEOUT if quick else settings.INVENTORY_READ_TIMEOUT
    url = SERVICES["product_svc"].url
    return _client(url, settings.INVENTORY_CONNECT_TIMEOUT, read, 0 if quick else 2)


def _call(method: str, path: str, *, key: uuid.UUID, quick: bool = False, **kwargs: Any) -> Answer:
    """One call with the service token; a refused token is renewed once (keys rotate)."""
    try:
        response = _send(method, path, key=key, quick=quick, **kwargs)
        if response.status_code == 401:
            credential.invalidate()
            response = _send(method, path, key=key, quick=quick, **kwargs)
    except (UpstreamError, ServiceCredentialError) as exc:
        logger.warning("product_svc unreachable", extra={"reason": str(exc), "order": str(key)})
        raise StockUnavailable() from exc
    return response


def _send(method: str, path: str, *, key: uuid.UUID, quick: bool, **kwargs: Any) -> Answer:
    headers = {**credential.headers(), IDEMPOTENCY_HEADER: str(key)}
    return client(quick=quick).request(method, path, headers=headers, **kwargs)


def _unexpected(response: Answer, action: str) -> StockUnavailable:
    logger.error(
        "unexpected answer from product_svc",
        extra={"action": action, "status": response.status_code, "body": response.text[:500]},
    )
    return StockUnavailable()


def _parse(response: Answer, action: str) -> Reservation:
    try:
        body = response.json()
        return Reservation(
            reservation_id=uuid.UUID(str(body["reservation_id"])),
            state=body["state"],
            items=[
                ReservedItem(
                    product_id=int(item["product_id"]),
                    name=str(item["name"]),
                    unit_price=Decimal(str(item["unit_price"])),
                    currency=str(item["currency"]),
                    quantity=int(item["quantity"]),
                )
                for item in body.get("items", [])
            ],
        )
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise _unexpected(response, action) from exc


def _unknown_products(answer: dict[str, Any], items: list[dict[str, int]]) -> UnknownProducts:
    """Name the unknown products per item, as a validation error of `items` would."""
    unknown = [int(product_id) for product_id in answer["unknown_products"]]
    per_item = [
        {"product_id": ["Unknown or inactive product."]} if item["product_id"] in unknown else {}
        for item in items
    ]
    return UnknownProducts(unknown, {"items": per_item})


def reserve(order_id: uuid.UUID, items: list[dict[str, int]]) -> Reservation:
    """Take the stock for every line, or raise (`OutOfStock`, `UnknownProducts`, ...)."""
    body = {"reservation_id": str(order_id), "items": items}
    response = _call("POST", RESERVATIONS, key=order_id, json=body)
    answer = json_object(response)
    status = response.status_code
    if status in (200, 201):
        return _parse(response, "reserve")
    if status == 410:
        raise ReservationReleased()
    # A refusal that names no product is as unusable as any other unexpected answer.
    try:
        if status == 409 and isinstance(answer.get("short"), list):
            raise OutOfStock(answer["short"])
        if status == 400 and isinstance(answer.get("unknown_products"), list):
            raise _unknown_products(answer, items)
        if status == 400 and "max_total" in answer:
            raise OrderTooLarge(Decimal(str(answer["max_total"])))
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise _unexpected(response, "reserve") from exc
    raise _unexpected(response, "reserve")


def release(order_id: uuid.UUID, *, quick: bool = False) -> None:
    """Give the reservation back; harmless when it is already released or never existed."""
    path = f"{RESERVATIONS}{order_id}/release/"
    response = _call("POST", path, key=order_id, quick=quick, json={})
    if response.status_code != 200:
        raise _unexpected(response, "release")


def find_reservation(order_id: uuid.UUID) -> Reservation | None:
    response = _call("GET", f"{RESERVATIONS}{order_id}/", key=order_id)
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise _unexpected(response, "find")
    return _parse(response, "find")
