"""What can go wrong with a payment, in the shop's words. Each says its own HTTP status;
the shared exception handler (`shop_common.errors`) turns it into the answer."""

from shop_common.errors import DomainError


class PaymentError(DomainError):
    """Base of the payment domain's errors; `detail` is a sentence fit for the caller."""

    default_detail = "The payment could not be processed."


class OrderNotFound(PaymentError, status=404):
    """No such order, or not the caller's: never 403, so order ids don't leak."""

    default_detail = "No order with this id."


class OrderNotAwaitingPayment(PaymentError, status=409):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"The order is {status}, not awaiting payment.", extra={"order_status": status}
        )


class PaymentInProgress(PaymentError, status=409):
    default_detail = "The order already has a payment that is pending or succeeded."


class OrdersUnavailable(PaymentError, status=503):
    """order_svc could not be reached or gave no usable answer; nothing was charged."""

    default_detail = (
        "The order could not be read: the order service is unavailable. "
        "Nothing was charged; try again shortly."
    )
    retry_after = 2


class InvalidPaymentMethod(PaymentError):
    """The provider does not know the card token: nothing was charged."""

    def __init__(self, detail: str = "Unknown card token.") -> None:
        super().__init__(detail, extra={"errors": {"payment_method": {"token": [detail]}}})


class ProviderUnavailable(PaymentError, status=503):
    """The provider did not answer; the payment stays pending until its webhook says."""

    default_detail = "The payment provider is unavailable; try again shortly."
    retry_after = 2


class InvalidPaymentMove(PaymentError, status=409):
    def __init__(self, *, current: str, target: str) -> None:
        super().__init__(
            f"A payment cannot move from {current} to {target}.", extra={"status": current}
        )


class InvalidWebhook(PaymentError):
    """A webhook that is not signed right, is stale, unreadable, or a replay: nothing changes."""

    default_detail = "The webhook could not be verified."


class UnknownProvider(PaymentError, status=404):
    default_detail = "No payment provider of this name sends webhooks here."
