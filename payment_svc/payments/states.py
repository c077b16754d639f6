"""A payment's states and the moves between them, in one table (as orders.states is).

Every status change goes through `check_move`: a webhook that comes late or twice, a
refund of a payment that never succeeded, are refused here and nowhere else.
"""

from django.db import models

from payments.exceptions import InvalidPaymentMove


class PaymentStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


S = PaymentStatus
MOVES = frozenset(
    {
        (S.PENDING, S.SUCCEEDED),
        (S.PENDING, S.FAILED),
        (S.SUCCEEDED, S.REFUNDED),
    }
)
# The moves other services learn of, as events of these types. Written out (not built
# from the status) so that the catalogue test finds every type published.
EVENT_TYPES: dict[PaymentStatus, str] = {
    S.SUCCEEDED: "payment.succeeded",
    S.FAILED: "payment.failed",
    S.REFUNDED: "payment.refunded",
}
# At most one payment per order in these: one that may still take the money, or took it.
ACTIVE = frozenset({S.PENDING, S.SUCCEEDED})


def check_move(current: str, target: str) -> None:
    if (PaymentStatus(current), PaymentStatus(target)) not in MOVES:
        raise InvalidPaymentMove(current=current, target=target)
