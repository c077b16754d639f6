"""What can stop a reservation. Each says its own HTTP status; the shared exception handler
(`shop_common.errors`) turns it into the internal API's answer."""

import uuid
from dataclasses import asdict, dataclass
from decimal import Decimal

from shop_common.errors import DomainError


class InventoryError(DomainError):
    """Base of the reservation errors; nothing was taken when one is raised."""


class UnknownProducts(InventoryError):
    """Some products don't exist or are not on sale."""

    def __init__(self, product_ids: list[int]) -> None:
        detail = f"Unknown or inactive product(s): {', '.join(map(str, product_ids))}."
        super().__init__(
            detail, extra={"errors": {"items": [detail]}, "unknown_products": product_ids}
        )
        self.product_ids = product_ids


class OrderTooLarge(InventoryError):
    """The items are worth more than an order may be (`MAX_ORDER_TOTAL`)."""

    def __init__(self, max_total: Decimal) -> None:
        detail = f"The items are worth more than an order may be ({max_total})."
        super().__init__(detail, extra={"errors": {"items": [detail]}, "max_total": str(max_total)})


@dataclass(frozen=True)
class Shortage:
    product_id: int
    requested: int
    available: int


class OutOfStock(InventoryError, status=409):
    """Some products don't have the quantity asked for."""

    def __init__(self, shortages: list[Shortage]) -> None:
        ids = ", ".join(str(shortage.product_id) for shortage in shortages)
        super().__init__(
            f"Not enough stock for product(s): {ids}.",
            extra={"short": [asdict(shortage) for shortage in shortages]},
        )
        self.shortages = shortages


class ReservationReleased(InventoryError, status=410):
    """The id was released (maybe before it was ever reserved): it can't take stock now."""

    def __init__(self, reservation_id: uuid.UUID) -> None:
        super().__init__(
            f"Reservation {reservation_id} was released; it takes no stock.",
            extra={"state": "released"},
        )


class InventoryBusy(InventoryError, status=503):
    """The database kept aborting the transaction (deadlocks); the caller may retry."""

    default_detail = "The stock is busy; try again shortly."
    retry_after = 1
