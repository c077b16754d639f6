"""What every payment provider offers the payment flow, and what it answers."""

import abc
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Charge:
    """A charge's outcome: `status` is `succeeded`, `failed` (with `failure_reason`, the
    provider's code, e.g. `card_declined`) or `pending` (a webhook tells the rest)."""

    reference: str
    status: str
    failure_reason: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook event. `status` is the outcome it reports for the charge
    `reference` (and `payment_id`, when the provider echoes our metadata), or None for
    an event that says nothing about a charge's outcome."""

    id: str
    type: str
    reference: str
    status: str | None
    failure_reason: str | None = None
    payment_id: uuid.UUID | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class Provider(abc.ABC):
    """One payment provider. Every call that moves money carries an idempotency key, so a
    call retried after a lost answer never charges or refunds twice; a charge whose
    answer was lost is looked up afterwards (`retrieve_charge`)."""

    name: str

    @abc.abstractmethod
    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> Charge:
        """Charge the card the token stands for. Raises `InvalidPaymentMethod` for a
        token it does not know, `ProviderUnavailable` when it cannot be asked."""

    @abc.abstractmethod
    def refund(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> str:
        """Refund the whole charge `reference`; the refund's own reference."""

    @abc.abstractmethod
    def retrieve_charge(self, *, reference: str, idempotency_key: str) -> Charge | None:
        """The charge made with `idempotency_key` (or known as `reference`, when its
        answer came back) as the provider sees it now, None when it never reached the
        provider; `ProviderUnavailable` when it cannot be asked. Stripe's model: retrieve
        the PaymentIntent, or search them by our payment id in their metadata."""

    @abc.abstractmethod
    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event a webhook delivers, once its signature and age are checked over the
        raw body; `InvalidWebhook` otherwise."""
