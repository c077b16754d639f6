"""Service tokens for calls between services, obtained from user_svc with a client secret.

    credential = ServiceCredential("order_svc")  # once per process
    client.request("POST", "/internal/v1/reservations/", headers=credential.headers(), ...)

A calling service holds a client id (its own name) and a secret; user_svc exchanges them at
`POST /internal/v1/service-token/` for a short-lived service token, which only endpoints
guarded by `ServiceAuthentication` accept, each for the scopes user_svc grants that
client. Secrets come from the environment: `SERVICE_CLIENT_SECRET` in the caller, read
into its settings at start-up (`client_secret`), and `SERVICE_CLIENT_SECRETS` (a JSON
object client id -> secret) in user_svc, which keeps its registry of clients and their
scopes in `accounts.service_clients`. Locally (`DEBUG` on) each caller's secret is
generated once into `<var_dir>/secrets/`, where user_svc reads the same file.
"""

import logging
import threading
import time
from pathlib import Path
from typing import Any

import requests
from django.conf import settings

from shop_common.client import ServiceClient, UpstreamError, json_object
from shop_common.local_secrets import local_secret
from shop_common.service_table import SERVICES
from shop_common.settings import var_dir

CLIENT_SECRET_ENV = "SERVICE_CLIENT_SECRET"
logger = logging.getLogger(__name__)
TOKEN_PATH = "/internal/v1/service-token/"
ISSUER = "user_svc"


class ServiceCredentialError(Exception):
    """user_svc answered, but gave no service token (a wrong secret, a bad answer)."""


def client_secret(client_id: str, *, base_dir: Path, debug: bool) -> str:
    """A client's secret: `SERVICE_CLIENT_SECRET`, or locally the generated file that the
    calling service and user_svc (`accounts.service_clients`) both read. A caller reads it
    into its settings, so that without it the service refuses to start instead of failing
    every call."""
    path = var_dir(base_dir) / "secrets" / f"service-client.{client_id}.secret"
    return local_secret(env_name=CLIENT_SECRET_ENV, path=path, debug=debug)


class ServiceCredential:
    """One service's token, fetched on first use and renewed shortly before it expires.

    Thread-safe: threads share one token, and only one of them fetches a new one.
    """

    def __init__(
        self,
        client_id: str,
        *,
        client_secret: str | None = None,
        client: ServiceClient | None = None,
        renew_before: float = 30.0,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self._client = client
        self.renew_before = renew_before
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self._expires_at = 0.0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._renew()
            return self._token

    def _renew(self) -> None:
        asked_at = time.monotonic()
        try:
            token, lifetime = self._fetch()
        except (UpstreamError, ServiceCredentialError):
            # user_svc unreachable during the renewal window: the token in hand still
            # passes until it expires, so a short outage of user_svc stops nothing.
            if self._token is None or asked_at >= self._expires_at:
                raise
            logger.warning("service token renewal failed; using the current one", exc_info=True)
            return
        self._token = token
        self._expires_at = asked_at + lifetime
        # Renew early enough that a call started just before expiry still passes.
        self._renew_at = asked_at + max(lifetime - self.renew_before, lifetime / 2)

    def call(
        self, client: ServiceClient, method: str, path: str, **kwargs: Any
    ) -> requests.Response:
        """One call through `client` with this token; a refused token (401) is renewed
        once, since keys rotate. Raises what `client.request` and `token()` raise."""
        extra = kwargs.pop("headers", {})
        response = client.request(method, path, headers={**extra, **self.headers()}, **kwargs)
        if response.status_code == 401:
            self.invalidate()
            response = client.request(method, path, headers={**extra, **self.headers()}, **kwargs)
        return response

    def invalidate(self) -> None:
        """Forget the token (e.g. after a 401 from a service: keys may have rotated)."""
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        if self._client is None:
            # Made on first use and kept: each renewal reuses its pooled connection.
            self._client = ServiceClient(ISSUER, SERVICES[ISSUER].url)
        client = self._client
        secret = self._client_secret or settings.SERVICE_CLIENT_SECRET
        response = client.request(
            "POST", TOKEN_PATH, json={"client_id": self.client_id, "client_secret": secret}
        )
        body = json_object(response)
        if response.status_code != 200:
            raise ServiceCredentialError(
                f"{ISSUER} refused a service token to {self.client_id!r}: "
                f"{response.status_code} {body.get('detail', '')}".rstrip()
            )
        access, expires_in = body.get("access"), body.get("expires_in")
        if not isinstance(access, str) or not isinstance(expires_in, int | float):
            raise ServiceCredentialError(f"{ISSUER} answered without 'access' and 'expires_in'")
        return access, float(expires_in)
