"""One JSON shape for every error: `{"detail": "..."}`, plus `errors` per field for 400s.

A business rule that refuses raises a `DomainError` (each service subclasses it with its
own status and code), and `error_response` is the one place any error becomes an answer.
DRF views reach it through `exception_handler`; plain Django views (the gateway) call
`domain_error_response`; everything else (Django's own 404, 405, 500 and 400 pages, CSRF
failures, oversized bodies) is turned into the same shape by `JSONErrorMiddleware`,
whatever `DEBUG` says. Only the HTML admin keeps its pages.
"""

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/admin/"


class DomainError(Exception):
    """A refusal in the shop's own words, raised by services and answered in one place.

    A subclass names its answer's status among its bases (`class OutOfStock(DomainError,
    status=409)`), and sets `retry_after` (seconds) when trying again later may succeed.
    Its `code` names the refusal in the request log: its name in snake case unless it sets
    one. An instance carries its `detail` (else `default_detail`), the fields its answer
    has beside it (`extra`), and headers of its own (`Allow`, `WWW-Authenticate`).
    """

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "domain_error"
    default_detail: ClassVar[str] = "The request could not be carried out."
    retry_after: ClassVar[int | None] = None

    def __init_subclass__(cls, *, status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status
        if "code" not in vars(cls):
            cls.code = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower()

    def __init__(
        self,
        detail: str | None = None,
        *,
        extra: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        if self.retry_after is not None:
            self.headers.setdefault("Retry-After", str(self.retry_after))


class InvalidFields(DomainError):
    """A 400 naming the bad fields the way a serializer does, for what only the service can
    see (a unique value taken by a concurrent write, a wrong old password)."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        body = validation_body(dict(errors))
        super().__init__(body["detail"], extra={"errors": body["errors"]})


class PayloadTooLarge(DomainError, status=413):
    default_detail = "Request body is too large."


class DatabaseUnavailable(DomainError, status=503):
    """The service's database refused or dropped a connection (too many clients, a
    restart, a lock timeout): the request may well succeed a moment later, so it is a 503
    the gateway and clients may retry, not a 500 that reads as a bug."""

    default_detail = "The service's database is unavailable; try again shortly."
    retry_after = 1


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, OperationalError):
        logger.warning("database unavailable", exc_info=exc)
        return domain_error_response(DatabaseUnavailable())
    if isinstance(exc, RequestDataTooBig):
        return domain_error_response(PayloadTooLarge())
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    # Imported here, not above: rest_framework.views loads the parser classes on import,
    # and the shop's parser (shop_common.parsers) raises DomainErrors defined here.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("unhandled error", exc_info=exc)
        return error_response(500, "Internal server error.")
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(response.data)
    return response


def validation_body(errors: Any) -> dict[str, Any]:
    """`{"detail": <first message>, "errors": {field: [messages]}}`."""
    if not isinstance(errors, dict):
        errors = {"non_field_errors": errors if isinstance(errors, list) else [errors]}
    return {"detail": _first_message(errors) or "Invalid input.", "errors": errors}


def _first_message(errors: Any) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            if message:
                prefix = "" if field == "non_field_errors" else f"{field}: "
                return prefix + message
        return ""
    if isinstance(errors, list):
        return next(filter(None, map(_first_message, errors)), "")
    return str(errors)


def error_body(detail: str, extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """What an error answers: `{"detail": ..., **extra}`."""
    return {"detail": detail, **(extra or {})}


def error_response(
    status_code: int,
    detail: str,
    extra: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`{"detail": ..., **extra}` as JSON: the one place an error becomes an answer.

    Rendered at once, so that middleware and plain Django views can return it as they
    return any response, and DRF views as they return any `Response`.
    """
    response = Response(error_body(detail, extra), status=status_code, headers=headers)
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = JSONRenderer.media_type
    response.renderer_context = {}
    return response.render()


def domain_error_response(exc: DomainError) -> Response:
    """The answer to a refusal; the request log names it by its `code`."""
    response = error_response(exc.status_code, exc.detail, exc.extra, exc.headers)
    response.error_code = exc.code
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> Response:
    return error_response(403, f"CSRF verification failed: {reason}")


def body_limit(path: str) -> int | None:
    """The most bytes a request to `path` may send: `DATA_UPLOAD_MAX_MEMORY_SIZE`, unless
    `LARGER_BODY_PATHS` (a path regex, a size and the upload's field) names the path."""
    for pattern, limit, _field in settings.LARGER_BODY_PATHS:
        if re.fullmatch(pattern, path):
            return limit
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def body_too_large(path: str) -> DomainError:
    """The refusal of a body over `body_limit(path)`: 413, or on an upload path a 400
    naming its field, as the contract answers a file that is too large."""
    limit = body_limit(path)
    for pattern, _limit, field in settings.LARGER_BODY_PATHS:
        if re.fullmatch(pattern, path):
            return InvalidFields({field: [f"The upload is larger than {limit} bytes."]})
    return PayloadTooLarge(f"Request body is larger than {limit} bytes.")


class JSONErrorMiddleware:
    """Refuses oversized bodies (`body_too_large`) and turns HTML error pages into JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return error_response(400, "Content-Length must be a whole number.")
        limit = body_limit(request.path_info)
        if limit is not None and int(length) > limit:
            return domain_error_response(body_too_large(request.path_info))
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(ADMIN_PREFIX)
        ):
            json_response = error_response(response.status_code, response.reason_phrase)
            if response.has_header("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response
