"""user_svc's registry of service clients: which services may buy a service token, with
which secret, and which internal APIs (scopes) their token opens. The callers' side
(`ServiceCredential`) lives in `shop_common.service_credentials`.

Imported by the settings, so nothing here touches models or settings at import.
"""

import json
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from shop_common.local_secrets import refuse_placeholder
from shop_common.scopes import ServiceScope
from shop_common.service_credentials import client_secret

CLIENT_SECRETS_ENV = "SERVICE_CLIENT_SECRETS"
# Which internal APIs each calling service may use: the scopes written into its service
# token. Only order_svc reserves and releases stock; only payment_svc reads orders (to
# charge their total); every service with an admin signs staff in against user_svc's
# staff directory (shop_common.staff).
CLIENT_SCOPES: dict[str, frozenset[ServiceScope]] = {
    "order_svc": frozenset({ServiceScope.RESERVATIONS, ServiceScope.STAFF_DIRECTORY}),
    "product_svc": frozenset({ServiceScope.STAFF_DIRECTORY}),
    "payment_svc": frozenset({ServiceScope.ORDERS_READ, ServiceScope.STAFF_DIRECTORY}),
}


def scopes_of(client_id: str) -> frozenset[ServiceScope]:
    """The scopes a client's token grants; none for a client the table does not name."""
    return CLIENT_SCOPES.get(client_id, frozenset())


def registered_client_secrets(*, debug: bool, base_dir: Path) -> dict[str, str]:
    """Every client id user_svc accepts, with its secret: `SERVICE_CLIENT_SECRETS`, or
    locally the secrets generated for every client of `CLIENT_SCOPES`."""
    raw = os.environ.get(CLIENT_SECRETS_ENV)
    if raw:
        try:
            secrets = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImproperlyConfigured(f"{CLIENT_SECRETS_ENV} is not valid JSON: {exc}") from None
        if not isinstance(secrets, dict) or not all(
            isinstance(value, str) and len(value) >= 32 for value in secrets.values()
        ):
            raise ImproperlyConfigured(
                f"{CLIENT_SECRETS_ENV} must be a JSON object of client id -> secret "
                "(at least 32 characters each)"
            )
        for client_id, secret in secrets.items():
            refuse_placeholder(f"{CLIENT_SECRETS_ENV}[{client_id!r}]", secret)
        if unknown := sorted(set(secrets) - set(CLIENT_SCOPES)):
            raise ImproperlyConfigured(
                f"{CLIENT_SECRETS_ENV} names {', '.join(unknown)}, which may call no internal "
                f"API; known clients: {', '.join(CLIENT_SCOPES)}"
            )
        return secrets
    if not debug:
        raise ImproperlyConfigured(f"{CLIENT_SECRETS_ENV} must be set when DEBUG is off")
    return {name: client_secret(name, base_dir=base_dir, debug=True) for name in CLIENT_SCOPES}
