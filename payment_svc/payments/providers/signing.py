"""Webhook signatures as Stripe makes them: HMAC-SHA256 over "<timestamp>.<raw body>"
with the provider's secret, sent as `Payment-Signature: t=<timestamp>,v1=<hex>`.

The raw bytes are signed, never re-serialized JSON; digests are compared in constant
time; a signature older (or newer) than the tolerance is refused, so a captured delivery
can't be replayed later. Replays within the tolerance are refused by the event's id
(`ProviderEvent`)."""

import hashlib
import hmac
import time

from payments.exceptions import InvalidWebhook

HEADER = "Payment-Signature"
SCHEME = "v1"


def digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for `body`, signed now (or at `timestamp`)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},{SCHEME}={digest(secret, timestamp, body)}"


def verify(secret: str, header: str | None, body: bytes, *, tolerance: int) -> None:
    """Raise `InvalidWebhook` unless `header` signs `body` with `secret` within `tolerance`
    seconds of now. Several `v1` entries may come (a secret being rolled): one must match."""
    if not header:
        raise InvalidWebhook(f"The {HEADER} header is missing.")
    timestamp, signatures = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) < 12:
            timestamp = int(value)
        elif name == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidWebhook(f"The {HEADER} header is malformed.")
    if abs(time.time() - timestamp) > tolerance:
        raise InvalidWebhook("The webhook's signature is too old (or from the future).")
    expected = digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise InvalidWebhook("The webhook's signature does not match.")
