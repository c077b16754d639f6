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

    code = "unknown_products"

    def __init__(self, product_ids: list[int]) -> None:
        detail = f"Unknown or inactive product(s): {', '.join(map(str, product_ids))}."
        super().__init__(
            detail, extra={"errors": {"items": [detail]}, "unknown_products": product_ids}
        )
        self.product_ids = product_ids


class OrderTooLarge(InventoryError):
    """The items are worth more than an order may be (`MAX_ORDER_TOTAL`)."""

    code = "order_too_large"

    def __init__(self, max_total: Decimal) -> None:
        detail = f"The items are worth more than an order may be ({max_total})."
        super().__init__(detail, extra={"errors": {"items": [detail]}, "max_total": str(max_total)})


@dataclass(frozen=True)
class Shortage:
    product_id: int
    requested: int
    available: int


class OutOfStock(InventoryError):
    """Some products don't have the quantity asked for."""

    status_code = 409
    code = "out_of_stock"

    def __init__(self, shortages: list[Shortage]) -> None:
        ids = ", ".join(str(shortage.product_id) for shortage in shortages)
        super().__init__(
            f"Not enough stock for product(s): {ids}.",
            extra={"short": [asdict(shortage) for shortage in shortages]},
        )
        self.shortages = shortages


class ReservationReleased(InventoryError):
    """The id was released (maybe before it was ever reserved): it can't take stock now."""

    status_code = 410
    code = "reservation_released"

    def __init__(self, reservation_id: uuid.UUID) -> None:
        super().__init__(
            f"Reservation {reservation_id} was released; it takes no stock.",
            extra={"state": "released"},
        )


class InventoryBusy(InventoryError):
    """The database kept aborting the transaction (deadlocks); the caller may retry."""

    status_code = 503
    code = "inventory_busy"
    default_detail = "The stock is busy; try again shortly."
    retry_after = 1
