"""The admin's middleware, run for the admin's paths only.

Sessions, users, messages and the frame-refusal header serve the Django admin alone:
the API authenticates a bearer token (DRF), the health, metrics and schema views need
none of it. Run for every request they cost a `/healthz` a third of its time (a session
store, a lazy user and a message storage with its cookie signer built and thrown away),
so each is a subclass that passes any other path straight on.

CSRF stays in force everywhere: `CsrfViewMiddleware` refuses in `process_view`, which
Django calls for every view whatever these do.
"""

from collections.abc import Callable

from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessages
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessions
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware as DjangoXFrameOptions

# Where every service serves its admin (the contract's `/admin/`).
ADMIN_PATH = "/admin/"


def is_admin_path(request: HttpRequest) -> bool:
    return request.path_info.startswith(ADMIN_PATH)


class AdminOnly:
    """Runs the middleware it is mixed into for the admin's paths; any other request goes
    straight to the next one."""

    get_response: Callable[[HttpRequest], HttpResponse]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_admin_path(request):
            return super().__call__(request)  # type: ignore[misc]
        return self.get_response(request)


class SessionMiddleware(AdminOnly, DjangoSessions):
    pass


class AuthenticationMiddleware(AdminOnly, DjangoAuthentication):
    pass


class MessageMiddleware(AdminOnly, DjangoMessages):
    pass


class XFrameOptionsMiddleware(AdminOnly, DjangoXFrameOptions):
    pass
