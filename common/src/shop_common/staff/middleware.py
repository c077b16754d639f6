"""A signed-in staff session stays valid only while user_svc still says so."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from shop_common.admin_only import is_admin_path
from shop_common.staff.directory import DirectoryUnavailable, look_up
from shop_common.staff.models import StaffAccount
from shop_common.staff.services import update_local_user

STAFF_BACKEND = "shop_common.staff.backends.StaffBackend"
CHECKED_AT = "staff_checked_at"
# What the admin's login page says to someone a re-check signed out, and only to them:
# an ordinary logout or an expired session never comes through `withdraw`.
ACCESS_WITHDRAWN = (
    "Your staff access was withdrawn, so you were signed out. "
    "Sign in again, or ask an administrator."
)


def mark_checked(request: HttpRequest) -> None:
    """user_svc vouched for this session's staff member just now (wall-clock time: the
    session is read by every worker process)."""
    request.session[CHECKED_AT] = time.time()


class StaffRecheckMiddleware:
    """Asks user_svc about a session's staff member at most every `STAFF_RECHECK_SECONDS`.

    A deactivated, demoted or deleted account is signed out at that request, and the
    login page says why; a change of `is_superuser` applies from it. While user_svc
    cannot be asked, the admin fails closed: the request is served as anonymous (the
    login page), and the next request asks again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only the admin's requests have a session (`shop_common.admin_only`), and only
        # one with a session cookie is looked at: reading the session marks the answer
        # `Vary: Cookie`, and the gateway would no longer cache the API's answers.
        if (
            is_admin_path(request)
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and request.session.get(BACKEND_SESSION_KEY) == STAFF_BACKEND
        ):
            self.recheck(request)
        return self.get_response(request)

    def recheck(self, request: HttpRequest) -> None:
        checked_at = request.session.get(CHECKED_AT, 0.0)
        if time.time() - checked_at < settings.STAFF_RECHECK_SECONDS:
            return
        user = request.user
        link = StaffAccount.objects.filter(user_id=user.pk).first()
        if link is None:
            withdraw(request)
            return
        try:
            identity = look_up(link.user_svc_id)
        except DirectoryUnavailable:
            request.user = AnonymousUser()
            return
        if identity is not None:
            update_local_user(user, identity)
        if identity is None or not identity.may_use_admin:
            withdraw(request)
            return
        mark_checked(request)


def withdraw(request: HttpRequest) -> None:
    """Signs out a session whose staff access user_svc no longer vouches for, leaving the
    reason for the login page (the message outlives the flushed session: it is stored
    after `logout`, by the messages middleware that runs outside this one)."""
    logout(request)
    messages.warning(request, ACCESS_WITHDRAWN)
