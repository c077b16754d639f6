"""What can go wrong with an order, in the shop's words. Each says its own HTTP status;
the shared exception handler (`shop_common.errors`) turns it into the answer."""

from decimal import Decimal

from shop_common.errors import DomainError


class OrderError(DomainError):
    """Base of the order domain's errors; `detail` is a sentence fit for the caller."""

    default_detail = "The order could not be processed."


class InvalidMove(OrderError, status=409):
    def __init__(self, *, current: str, target: str) -> None:
        super().__init__(
            f"An order cannot move from {current} to {target}.", extra={"status": current}
        )


class OutOfStock(OrderError, status=409):
    """product_svc took nothing: `short` is `[{product_id, requested, available}]`."""

    def __init__(self, short: list[dict[str, int]]) -> None:
        ids = ", ".join(str(item["product_id"]) for item in short)
        super().__init__(
            f"Not enough stock for product(s) {ids}; nothing was reserved.",
            extra={"short": short},
        )


class UnknownProducts(OrderError):
    """Products that do not exist or are not for sale; `errors` names them per item."""

    def __init__(self, product_ids: list[int], errors: dict[str, object]) -> None:
        ids = ", ".join(map(str, product_ids))
        super().__init__(
            f"Unknown or inactive product(s): {ids}.",
            extra={"errors": errors, "unknown_products": product_ids},
        )


class Unconfirmable(OrderError):
    """The order cannot be confirmed with what was reserved for it: it fails, and its
    reservation is given back, when placing and when reconciling alike."""


class OrderTooLarge(Unconfirmable):
    """The items are worth more than an order may be (`MAX_ORDER_TOTAL`)."""

    def __init__(self, max_total: Decimal) -> None:
        detail = f"The items are worth more than an order may be ({max_total})."
        super().__init__(detail, extra={"errors": {"items": [detail]}, "max_total": str(max_total)})


class MixedCurrencies(Unconfirmable, status=409):
    default_detail = "The products are priced in different currencies; order them separately."


class StockUnavailable(OrderError, status=503):
    """product_svc could not be reached or gave no usable answer; nothing was sold."""

    default_detail = (
        "Stock could not be reserved: the product service is unavailable. "
        "The order was not placed; try again shortly."
    )
    retry_after = 2
