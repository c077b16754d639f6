"""order_svc's internal orders API as payment_svc uses it: what an order costs and whose
it is, read before every charge, so the amount never comes from the client."""

import functools
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from payments.exceptions import OrdersUnavailable
from shop_common.client import ServiceClient, UpstreamError, json_object
from shop_common.service_credentials import ServiceCredential, ServiceCredentialError
from shop_common.service_table import SERVICES

logger = logging.getLogger(__name__)

ORDERS = "/internal/v1/orders/{order_id}/"
credential = ServiceCredential("payment_svc")
# The order status that takes a payment.
AWAITING_PAYMENT = "confirmed"


@dataclass(frozen=True)
class Order:
    id: uuid.UUID
    user_id: int
    status: str
    total: Decimal
    currency: str


@functools.cache
def _client(base_url: str, connect: float, read: float) -> ServiceClient:
    return ServiceClient(
        "order_svc", base_url, connect_timeout=connect, read_timeout=read, budget=read
    )


def client() -> ServiceClient:
    """The client for order_svc at its current address (tests move it)."""
    return _client(
        SERVICES["order_svc"].url, settings.ORDERS_CONNECT_TIMEOUT, settings.ORDERS_READ_TIMEOUT
    )


def find_order(order_id: uuid.UUID) -> Order | None:
    """The order as order_svc knows it now; None when there is no such order."""
    try:
        response = credential.call(client(), "GET", ORDERS.format(order_id=order_id))
    except (UpstreamError, ServiceCredentialError) as exc:
        logger.warning("order_svc unreachable", extra={"reason": str(exc), "order": str(order_id)})
        raise OrdersUnavailable() from exc
    if response.status_code == 404:
        return None
    body = json_object(response)
    try:
        if response.status_code != 200:
            raise ValueError(f"status {response.status_code}")
        return Order(
            id=uuid.UUID(str(body["id"])),
            user_id=int(body["user_id"]),
            status=str(body["status"]),
            total=Decimal(str(body["total"])),
            currency=str(body["currency"]),
        )
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        logger.error(
            "unexpected answer from order_svc",
            extra={"status": response.status_code, "body": response.text[:500]},
        )
        raise OrdersUnavailable() from exc
