"""One id per request, accepted from the caller when sane, echoed, logged and passed on."""

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Read from the WSGI environ itself: `request.headers` builds a mapping of every header
# (about 14 us under gunicorn), which a request answered without it need not pay for.
META_KEY = "HTTP_X_REQUEST_ID"
_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def clean_request_id(value: str | None) -> str:
    """The caller's id if it is short and plain, otherwise a new one (ids end up in logs)."""
    if value and _VALID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIDMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = clean_request_id(request.META.get(META_KEY))
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request.request_id
        return response
