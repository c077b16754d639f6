"""What can go wrong with an order, in the shop's words; the views turn these into HTTP."""


class OrderError(Exception):
    """Base of the order domain's errors; `detail` is a sentence fit for the caller."""

    detail = "The order could not be processed."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail

    def extra(self) -> dict[str, object]:
        """Fields the answer carries beside `detail`."""
        return {}


class InvalidMove(OrderError):
    def __init__(self, *, current: str, target: str) -> None:
        super().__init__(f"An order cannot move from {current} to {target}.")
        self.current = current
        self.target = target

    def extra(self) -> dict[str, object]:
        return {"status": self.current}


class OutOfStock(OrderError):
    """product_svc took nothing: `short` is `[{product_id, requested, available}]`."""

    def __init__(self, short: list[dict[str, int]]) -> None:
        ids = ", ".join(str(item["product_id"]) for item in short)
        super().__init__(f"Not enough stock for product(s) {ids}; nothing was reserved.")
        self.short = short

    def extra(self) -> dict[str, object]:
        return {"short": self.short}


class UnknownProducts(OrderError):
    """Products that do not exist or are not for sale; `errors` names them per item."""

    def __init__(self, product_ids: list[int], errors: dict[str, object]) -> None:
        ids = ", ".join(map(str, product_ids))
        super().__init__(f"Unknown or inactive product(s): {ids}.")
        self.product_ids = product_ids
        self.errors = errors

    def extra(self) -> dict[str, object]:
        return {"errors": self.errors, "unknown_products": self.product_ids}


class MixedCurrencies(OrderError):
    detail = "The products are priced in different currencies; order them separately."


class StockUnavailable(OrderError):
    """product_svc could not be reached or gave no usable answer; nothing was sold."""

    detail = (
        "Stock could not be reserved: the product service is unavailable. "
        "The order was not placed; try again shortly."
    )


class IdempotencyKeyReused(OrderError):
    detail = "This Idempotency-Key was already used with a different request body."


class IdempotencyKeyInProgress(OrderError):
    detail = "A request with this Idempotency-Key is still being processed; retry shortly."


class InvalidIdempotencyKey(OrderError):
    detail = "Idempotency-Key must be 1 to 255 printable ASCII characters."

    def extra(self) -> dict[str, object]:
        return {"errors": {"Idempotency-Key": [self.detail]}}
