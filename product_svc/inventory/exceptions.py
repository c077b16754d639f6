"""What can stop a reservation; the internal API turns each into its HTTP answer."""

import uuid
from dataclasses import dataclass


class InventoryError(Exception):
    """Base of the reservation errors; nothing was taken when one is raised."""


class UnknownProducts(InventoryError):
    """Some products don't exist or are not on sale."""

    def __init__(self, product_ids: list[int]) -> None:
        super().__init__(f"unknown or inactive products: {product_ids}")
        self.product_ids = product_ids


@dataclass(frozen=True)
class Shortage:
    product_id: int
    requested: int
    available: int


class OutOfStock(InventoryError):
    """Some products don't have the quantity asked for."""

    def __init__(self, shortages: list[Shortage]) -> None:
        super().__init__(f"short stock: {shortages}")
        self.shortages = shortages


class ReservationReleased(InventoryError):
    """The id was released (maybe before it was ever reserved): it can't take stock now."""

    def __init__(self, reservation_id: uuid.UUID) -> None:
        super().__init__(f"reservation {reservation_id} was released")
        self.reservation_id = reservation_id


class InventoryBusy(InventoryError):
    """The database kept aborting the transaction (deadlocks); the caller may retry."""
