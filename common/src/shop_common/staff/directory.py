"""user_svc's staff directory, asked over HTTP with this service's service token.

Only what the admin needs crosses: who a staff member is and whether they may still sign
in. Passwords are checked by user_svc and never kept here.
"""

import functools
import logging
from dataclasses import dataclass, fields
from typing import Any

import requests
from django.conf import settings

from shop_common.client import ServiceClient, UpstreamError, json_object
from shop_common.service_credentials import ServiceCredential, ServiceCredentialError
from shop_common.service_table import SERVICES

logger = logging.getLogger(__name__)

DIRECTORY = "user_svc"
SIGN_IN_PATH = "/internal/v1/staff/sign-in/"
IDENTITY_PATH = "/internal/v1/staff/{user_id}/"


class DirectoryUnavailable(Exception):
    """user_svc could not be asked, or gave an answer that cannot be used."""


class SignInThrottled(Exception):
    """user_svc refuses further password checks of this email for `wait` seconds."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"too many failed sign-ins; wait {wait} s")
        self.wait = wait


@dataclass(frozen=True)
class StaffIdentity:
    id: int
    email: str
    first_name: str
    last_name: str
    is_active: bool
    is_staff: bool
    is_superuser: bool

    @property
    def may_use_admin(self) -> bool:
        return self.is_active and self.is_staff

    @classmethod
    def from_answer(cls, body: dict[str, Any]) -> "StaffIdentity":
        for field in fields(cls):
            if type(body.get(field.name)) is not field.type:
                raise DirectoryUnavailable(f"{DIRECTORY} answered without a valid {field.name!r}")
        return cls(**{field.name: body[field.name] for field in fields(cls)})


@functools.cache
def _credential() -> ServiceCredential:
    return ServiceCredential(settings.SERVICE_NAME)


@functools.cache
def _client(base_url: str) -> ServiceClient:
    # Someone waits at a login form: a short budget, then "try again later".
    return ServiceClient(DIRECTORY, base_url, connect_timeout=1.0, read_timeout=3.0, budget=4.0)


def _send(method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {**kwargs.pop("headers", {}), **_credential().headers()}
    return _client(SERVICES[DIRECTORY].url).request(method, path, headers=headers, **kwargs)


def _call(method: str, path: str, **kwargs: Any) -> requests.Response:
    """One call with the service token; a refused token is renewed once (keys rotate)."""
    try:
        response = _send(method, path, **kwargs)
        # A refused token says so in WWW-Authenticate; a refused password does not.
        if response.status_code == 401 and "WWW-Authenticate" in response.headers:
            _credential().invalidate()
            response = _send(method, path, **kwargs)
    except (UpstreamError, ServiceCredentialError) as exc:
        logger.warning("staff directory unreachable", extra={"reason": str(exc)})
        raise DirectoryUnavailable(str(exc)) from exc
    return response


def _unexpected(response: requests.Response) -> DirectoryUnavailable:
    logger.error(
        "unexpected answer from the staff directory",
        extra={"status": response.status_code, "body": response.text[:500]},
    )
    return DirectoryUnavailable(f"{DIRECTORY} answered {response.status_code}")


def sign_in(*, email: str, password: str, address: str) -> StaffIdentity | None:
    """The staff member with this email and password, or None when user_svc refuses them
    (a wrong password, an inactive or non-staff account, a malformed email)."""
    response = _call(
        "POST",
        SIGN_IN_PATH,
        json={"email": email, "password": password},
        # user_svc counts failed sign-ins per email and this address, as for the API.
        headers={"X-Forwarded-For": address},
    )
    if response.status_code == 200:
        return StaffIdentity.from_answer(json_object(response))
    if response.status_code in (400, 401, 403):
        return None
    if response.status_code == 429:
        wait = response.headers.get("Retry-After", "")
        raise SignInThrottled(int(wait) if wait.isdigit() else 60)
    raise _unexpected(response)


def look_up(user_id: int) -> StaffIdentity | None:
    """The account as user_svc knows it now; None when it is gone."""
    response = _call("GET", IDENTITY_PATH.format(user_id=user_id))
    if response.status_code == 200:
        return StaffIdentity.from_answer(json_object(response))
    if response.status_code == 404:
        return None
    raise _unexpected(response)
