"""Reads of payments that need thought: who may see which payment."""

import uuid

from django.http import Http404

from payments.models import Payment, PaymentQuerySet
from shop_common.auth import TokenUser


def payments_visible_to(user: TokenUser, *, order_id: uuid.UUID | None = None) -> PaymentQuerySet:
    """The caller's own payments (staff: everyone's), newest first, for one order if named."""
    payments = Payment.objects.visible_to(user_id=user.id, is_staff=user.is_staff)
    if order_id is not None:
        payments = payments.filter(order_id=order_id)
    return payments


def payment_visible_to(user: TokenUser, payment_id: uuid.UUID) -> Payment:
    """One payment, or 404 when it is not the caller's: never 403, so ids don't leak."""
    try:
        return Payment.objects.visible_to(user_id=user.id, is_staff=user.is_staff).get(
            pk=payment_id
        )
    except Payment.DoesNotExist:
        raise Http404("No payment with this id.") from None
