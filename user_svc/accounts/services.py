"""What user_svc does: register users, sign them in, rotate and revoke refresh tokens.

Every refresh token issued is recorded in simplejwt's OutstandingToken table; revoking
one adds its BlacklistedToken row, which is unique per token. Operations on one user's
tokens lock that user's row first, so two refreshes of one token, or a refresh racing a
password change, happen one after the other and only one of them can win.
"""

import hmac
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.exceptions import (
    EmailTaken,
    InvalidClient,
    InvalidCredentials,
    NotStaff,
    NotYourToken,
    TokenRejected,
    WrongOldPassword,
)
from accounts.models import User
from accounts.throttling import begin_password_check, password_check_succeeded
from accounts.tokens import (
    MintedToken,
    mint_access_token,
    mint_refresh_token,
    mint_service_token,
    read_refresh_token,
)
from shop_common.log import user_id_var

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@contextmanager
def _unique_email(email: str) -> Iterator[None]:
    """Turn the database's verdict on a taken email into the same 400 the serializer gives."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        if User.objects.with_email(email).exists():
            raise EmailTaken from None
        raise


def register_user(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    with _unique_email(email):
        user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name)
    logger.info("user registered", extra={"registered_user_id": user.pk})
    return user


def update_profile(*, user: User, **changes: str) -> User:
    """Change the user's own profile fields; a new email has to be verified again."""
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
        if changes["email"].lower() != user.email.lower():
            changes["email_verified"] = False
    for name, value in changes.items():
        setattr(user, name, value)
    with _unique_email(user.email):
        user.save(update_fields=list(changes))
    return user


def check_password(*, request: HttpRequest, email: str, password: str) -> User:
    """The active account with this email and password, counted against the failed-login
    limits like every password check (`accounts.throttling`)."""
    attempt = begin_password_check(request, email)
    user = authenticate(request, email=email, password=password)
    if user is None:
        logger.info("login failed")
        raise InvalidCredentials
    password_check_succeeded(attempt)
    user_id_var.set(user.pk)
    return user


def log_in(*, request: HttpRequest, email: str, password: str) -> TokenPair:
    user = check_password(request=request, email=email, password=password)
    update_last_login(None, user)
    with transaction.atomic():
        return issue_token_pair(user)


def sign_in_staff(*, request: HttpRequest, email: str, password: str) -> User:
    """Another service's admin signing a staff member in: the same password check and
    failed-login limits as the API's login, so no admin is a way around them."""
    user = check_password(request=request, email=email, password=password)
    if not user.is_staff:
        logger.info("admin sign-in refused: not staff")
        raise NotStaff
    update_last_login(None, user)
    return user


def issue_token_pair(user: User) -> TokenPair:
    refresh = mint_refresh_token(user)
    OutstandingToken.objects.create(
        user=user,
        jti=refresh.claims["jti"],
        # The token itself is not kept: a copy of the database must not hold live tokens.
        token="",
        created_at=refresh.issued_at,
        expires_at=refresh.expires_at,
    )
    return TokenPair(access=mint_access_token(user).token, refresh=refresh.token)


def rotate_refresh_token(*, refresh: str) -> TokenPair:
    """A new pair for a valid refresh token, which is revoked: each one works only once."""
    claims = read_refresh_token(refresh)
    with transaction.atomic():
        user = _lock_user(claims["user_id"])
        if not user.is_active:
            raise TokenRejected("User not found or inactive.")
        if not _revoke(user, claims["jti"]):
            logger.warning("revoked refresh token presented", extra={"jti": claims["jti"]})
            raise TokenRejected("Token has been revoked.")
        return issue_token_pair(user)


def log_out(*, user_id: int, refresh: str) -> None:
    """Revoke the caller's refresh token; revoking it again changes nothing."""
    claims = read_refresh_token(refresh)
    if claims["user_id"] != user_id:
        raise NotYourToken
    with transaction.atomic():
        _revoke(_lock_user(user_id), claims["jti"])


def change_password(
    *, request: HttpRequest, user: User, old_password: str, new_password: str
) -> None:
    """Set a new password and revoke every refresh token the user holds. A wrong old
    password counts as a failed login: a stolen access token must not guess it quickly."""
    attempt = begin_password_check(request, user.email)
    if not user.check_password(old_password):
        raise WrongOldPassword
    password_check_succeeded(attempt)
    with transaction.atomic():
        user = _lock_user(user.pk)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoked = _revoke_all(user)
    logger.info("password changed", extra={"revoked_refresh_tokens": revoked})


def issue_service_token(*, client_id: str, client_secret: str) -> MintedToken:
    expected = settings.SERVICE_CLIENT_SECRETS.get(client_id, "")
    # Compared even for an unknown client, so timing does not tell which clients exist.
    matches = hmac.compare_digest(expected.encode(), client_secret.encode())
    if not (expected and matches):
        logger.warning("service token refused", extra={"client_id": client_id})
        raise InvalidClient
    return mint_service_token(client_id)


def _lock_user(user_id: int) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise TokenRejected("User not found or inactive.")
    return user


def _revoke(user: User, jti: str) -> bool:
    """Blacklist one refresh token; False when it already was (or was never issued)."""
    outstanding = OutstandingToken.objects.filter(user=user, jti=jti).first()
    if outstanding is None:
        return False
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def _revoke_all(user: User) -> int:
    live = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    rows = [BlacklistedToken(token=token) for token in live]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
