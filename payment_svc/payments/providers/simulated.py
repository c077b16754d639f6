"""The built-in `simulated` provider: the contract's test card tokens, no network, and
webhooks signed and delivered like a real provider's.

    tok_visa                             succeeds
    tok_chargeDeclined                   fails: card_declined
    tok_chargeDeclinedInsufficientFunds  fails: insufficient_funds
    tok_async                            pending, then succeeds by a webhook a moment later
    tok_timeout                          succeeds, but the answer is lost (a timeout)

References are derived from the idempotency key, so a retried charge or refund answers
what the first one did, as a real provider's idempotency keys make it. Every charge is
kept (`SimulatedCharge`), the provider's own record, which `retrieve_charge` reads. A
`tok_async` charge stores its webhook (`ScheduledWebhook`); `deliver_due_webhooks`, a
periodic job of the consumer process, posts it, signed, to the public webhook URL once
due.
"""

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from payments.exceptions import InvalidPaymentMethod, InvalidWebhook, ProviderUnavailable
from payments.models import ScheduledWebhook, SimulatedCharge
from payments.providers import signing
from payments.providers.base import Charge, Provider, WebhookEvent
from shop_common.parsers import UnreadableInput, parse_json

logger = logging.getLogger(__name__)

SUCCEEDED, FAILED, PENDING = "succeeded", "failed", "pending"
TOKENS: dict[str, tuple[str, str | None]] = {
    "tok_visa": (SUCCEEDED, None),
    "tok_chargeDeclined": (FAILED, "card_declined"),
    "tok_chargeDeclinedInsufficientFunds": (FAILED, "insufficient_funds"),
    "tok_async": (PENDING, None),
    "tok_timeout": (SUCCEEDED, None),
}
# Tokens whose charge is taken but whose answer never comes back.
LOST_ANSWERS = frozenset({"tok_timeout"})
# Stripe's names for a PaymentIntent's outcome.
WEBHOOK_TYPES = {SUCCEEDED: "payment_intent.succeeded", FAILED: "payment_intent.payment_failed"}
OUTCOMES = {event_type: status for status, event_type in WEBHOOK_TYPES.items()}
# A delivery in progress holds its webhook this long; a failed one waits 2^attempts s.
LEASE = timedelta(seconds=30)
MAX_BACKOFF_SECONDS = 300
BATCH = 50


def _derived(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class SimulatedProvider(Provider):
    name = "simulated"

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> Charge:
        if token not in TOKENS:
            raise InvalidPaymentMethod()
        reference = _derived("pi", idempotency_key)
        status, failure_reason = TOKENS[token]
        outcome, settles_at = status, timezone.now()
        if status == PENDING:
            settles_at = self._schedule(reference, amount, currency, metadata, key=idempotency_key)
            outcome = SUCCEEDED  # what its webhook will say
        SimulatedCharge.objects.get_or_create(
            reference=reference,
            defaults={
                "status": outcome,
                "failure_reason": failure_reason or "",
                "settles_at": settles_at,
            },
        )
        if token in LOST_ANSWERS:
            raise ProviderUnavailable()
        return Charge(reference=reference, status=status, failure_reason=failure_reason)

    def retrieve_charge(self, *, reference: str, idempotency_key: str) -> Charge | None:
        reference = reference or _derived("pi", idempotency_key)
        charge = SimulatedCharge.objects.filter(reference=reference).first()
        return None if charge is None else self._answer(charge)

    @staticmethod
    def _answer(charge: SimulatedCharge) -> Charge:
        if charge.settles_at > timezone.now():
            return Charge(reference=charge.reference, status=PENDING)
        return Charge(
            reference=charge.reference,
            status=charge.status,
            failure_reason=charge.failure_reason or None,
        )

    def _schedule(
        self,
        reference: str,
        amount: Decimal,
        currency: str,
        metadata: Mapping[str, str],
        *,
        key: str,
    ) -> datetime:
        """Store the charge's webhook; when it is due."""
        event_id = _derived("evt", key)
        event = {
            "id": event_id,
            "type": WEBHOOK_TYPES[SUCCEEDED],
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": reference,
                    "object": "payment_intent",
                    "amount": str(amount),
                    "currency": currency.lower(),
                    "status": SUCCEEDED,
                    "metadata": dict(metadata),
                }
            },
        }
        due = timezone.now() + timedelta(seconds=settings.SIMULATED_WEBHOOK_DELAY_SECONDS)
        webhook, _ = ScheduledWebhook.objects.get_or_create(
            event_id=event_id, defaults={"body": json.dumps(event), "due_at": due}
        )
        return webhook.due_at

    def refund(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> str:
        return _derived("re", idempotency_key)

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signing.verify(
            settings.PAYMENT_WEBHOOK_SECRET,
            headers.get(signing.HEADER),
            body,
            tolerance=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
        )
        try:
            event = parse_json(body)
            intent = event["data"]["object"]
            metadata = intent.get("metadata") or {}
            fields = (event["id"], event["type"], intent["id"])
            if not all(isinstance(value, str) and value for value in fields):
                raise TypeError("id, type and data.object.id must be strings")
            return WebhookEvent(
                id=event["id"],
                type=event["type"],
                reference=intent["id"],
                status=OUTCOMES.get(event["type"]),
                failure_reason=(intent.get("last_payment_error") or {}).get("code"),
                payment_id=uuid.UUID(str(metadata["payment_id"]))
                if "payment_id" in metadata
                else None,
                payload=event,
            )
        except (UnreadableInput, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidWebhook(f"The webhook's event is malformed: {exc}") from None


def deliver_due_webhooks(*, limit: int = BATCH) -> int:
    """Post every webhook that is due; how many were delivered. Safe with several
    processes: each webhook is leased (its `due_at` moved on) before it is sent."""
    delivered = 0
    now = timezone.now()
    due = ScheduledWebhook.objects.filter(delivered_at__isnull=True, due_at__lte=now)
    for webhook in due[:limit]:
        leased = ScheduledWebhook.objects.filter(
            pk=webhook.pk, due_at=webhook.due_at, delivered_at__isnull=True
        ).update(due_at=now + LEASE, attempts=F("attempts") + 1)
        if leased:
            delivered += _deliver(webhook, attempt=webhook.attempts + 1)
    return delivered


def _deliver(webhook: ScheduledWebhook, *, attempt: int) -> bool:
    body = webhook.body.encode()
    headers = {
        signing.HEADER: signing.sign(settings.PAYMENT_WEBHOOK_SECRET, body),
        "Content-Type": "application/json",
    }
    error = ""
    try:
        response = requests.post(
            settings.SIMULATED_WEBHOOK_URL, data=body, headers=headers, timeout=(1.0, 5.0)
        )
        answer: Any = response.json() if response.content else {}
    except (requests.RequestException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    else:
        # A replay refused means an earlier delivery got through before we marked it.
        replayed = isinstance(answer, dict) and answer.get("replayed") is True
        if response.status_code == 200 or replayed:
            ScheduledWebhook.objects.filter(pk=webhook.pk).update(delivered_at=timezone.now())
            return True
        error = f"{response.status_code}: {response.text[:200]}"
    retry_at = timezone.now() + timedelta(seconds=min(2**attempt, MAX_BACKOFF_SECONDS))
    ScheduledWebhook.objects.filter(pk=webhook.pk).update(due_at=retry_at, last_error=error[:500])
    logger.warning("webhook not delivered", extra={"event": webhook.event_id, "error": error})
    return False
