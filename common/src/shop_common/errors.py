"""One JSON shape for every error: `{"detail": "..."}`, plus `errors` per field for 400s.

DRF views answer through `exception_handler`; everything else (Django's own 404, 405,
500 and 400 pages, CSRF failures, oversized bodies) is turned into the same shape by
`JSONErrorMiddleware`, whatever `DEBUG` says. Only the HTML admin keeps its pages.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/admin/"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("unhandled error", exc_info=exc)
        return Response({"detail": "Internal server error."}, status=500)
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


def error_response(status_code: int, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status_code)


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return error_response(403, f"CSRF verification failed: {reason}")


class JSONErrorMiddleware:
    """Refuses oversized bodies with 413 and turns HTML error pages into JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return error_response(400, "Content-Length must be a whole number.")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and int(length) > limit:
            return error_response(413, f"Request body is larger than {limit} bytes.")
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
