"""Payment providers behind one small interface: charge, refund, verify a webhook.

The flow (`payments.services`) only talks to `Provider`; which one is used is the
`PAYMENT_PROVIDER` setting. The built-in `simulated` provider is the default; a real one
(Stripe's API is the model for the names here) is a class of its own in `PROVIDERS`.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from payments.providers.base import Charge, Provider, WebhookEvent

__all__ = ["PROVIDERS", "Charge", "Provider", "WebhookEvent", "configured", "provider_named"]

PROVIDERS = {"simulated": "payments.providers.simulated.SimulatedProvider"}


def configured() -> Provider:
    """The provider payments are made with (`PAYMENT_PROVIDER`)."""
    provider = provider_named(settings.PAYMENT_PROVIDER)
    if provider is None:
        raise LookupError(f"PAYMENT_PROVIDER names no provider: {settings.PAYMENT_PROVIDER!r}")
    return provider


def provider_named(name: str) -> Provider | None:
    """The provider of this name when it is the configured one: only it sends webhooks."""
    if name != settings.PAYMENT_PROVIDER or name not in PROVIDERS:
        return None
    return import_string(PROVIDERS[name])()
