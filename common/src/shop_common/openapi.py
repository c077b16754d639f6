"""What drf-spectacular needs to describe every service's public API the same way.

The settings (`SPECTACULAR_SETTINGS` in `shop_common.settings`) name the schema class and
the two hooks below; spectacular imports this module through them before it looks at any
view, which also registers the authentication extension (spectacular finds extensions by
subclassing). A view documents its own answers with `extend_schema`; the answers the
shared code and the gateway give every operation are added by `add_error_answers`.
"""

from types import SimpleNamespace
from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

PUBLIC_PREFIX = "/api/"
BEARER = "bearerAuth"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer: a `detail` sentence; validation errors also name "
    "each bad field with its messages.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "The messages for each bad field: a list of sentences, or for a "
            "nested object or list the same shape nested (DRF's field-keyed form).",
            "additionalProperties": {},
        },
    },
    "required": ["detail"],
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
# What the gateway (its gunicorn and the shared middleware behind it) may answer to any
# request, whatever the operation: a bad Host or Content-Length, a URL or headers too
# large, the rate limit, a service down.
ANY_OPERATION = (
    ("400", "Invalid input: the bad fields are named in `errors`."),
    ("414", "The URL is longer than the servers take (4094 bytes for the request line)."),
    ("429", "Too many requests from this caller; try again after Retry-After."),
    ("431", "Too many request headers, or one too large."),
    ("502", "The service broke off its answer."),
    ("503", "The service is unavailable or busy; try again after Retry-After."),
    ("504", "The service did not answer in time."),
)
WITH_BODY = (
    ("413", "The request body is too large."),
    ("415", "The request body is not JSON."),
)
WITH_RETRY_AFTER = frozenset({"429", "503"})
# Who a permission sees when no token came: what `request.user` holds for an anonymous
# caller, without needing django.contrib.auth (the gateway has none).
ANONYMOUS = SimpleNamespace(is_authenticated=False, is_staff=False, pk=None, id=None)


def error_answer(description: str) -> OpenApiResponse:
    """An operation's own error answer, in the one error shape."""
    return OpenApiResponse(ERROR_REF, description=description)


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer <access token>`, RS256 JWTs from user_svc."""

    target_class = "shop_common.auth.JWTAuthentication"
    name = BEARER

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class DecimalStringScheme(OpenApiSerializerFieldExtension):
    """A decimal that travels as a string ("19.99"). Spectacular's own pattern admits a
    sign the field's `min_value` refuses, and "" or "."; this one admits what the field
    takes: at least one digit, no more whole digits or places than the column holds."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if "pattern" in schema and field.max_whole_digits:
            sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
            places = field.decimal_places
            fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
            schema["pattern"] = rf"^{sign}\d{{1,{field.max_whole_digits}}}{fraction}$"
        return schema


class BoundedListScheme(OpenApiSerializerFieldExtension):
    """A nested list (`many=True`) with the bounds its serializer enforces: spectacular
    leaves out `allow_empty=False`, `min_length` and `max_length`."""

    target_class = "rest_framework.serializers.ListSerializer"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        fewest = max(field.min_length or 0, 0 if field.allow_empty else 1)
        if fewest:
            schema["minItems"] = fewest
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        return schema


class PermissionAwareAutoSchema(AutoSchema):
    """Marks the token optional (`{}` among the requirements) wherever the view's own
    permissions let an anonymous caller in, e.g. the catalog reads of `IsStaffOrReadOnly`:
    spectacular only knows DRF's built-in permission classes."""

    def get_auth(self) -> list[dict[str, list[str]]]:
        requirements = super().get_auth()
        anonymous = SimpleNamespace(method=self.method, user=ANONYMOUS)
        permissions = self.view.get_permissions()
        if {} not in requirements and all(
            permission.has_permission(anonymous, self.view) for permission in permissions
        ):
            requirements.append({})
        return requirements


def public_endpoints_only(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Preprocessing hook: only `/api/` paths. `/internal/` is between services, and the
    gateway never routes it, so it is no part of the published contract."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(PUBLIC_PREFIX)]


def add_error_answers(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the error answers the shared code gives every operation, in
    the one error shape, unless a view already documents that status itself."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in error_statuses(path, operation):
                answer: dict[str, Any] = {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
                if status in WITH_RETRY_AFTER:
                    answer["headers"] = RETRY_AFTER_HEADER
                responses.setdefault(status, answer)
    return result


def error_statuses(path: str, operation: dict[str, Any]) -> list[tuple[str, str]]:
    statuses = list(ANY_OPERATION)
    if "requestBody" in operation:
        statuses.extend(WITH_BODY)
    security = operation.get("security", [])
    if any(BEARER in requirement for requirement in security):
        statuses.append(("401", "Missing, expired or invalid access token."))
        if {} not in security:  # a token is required, so permissions may refuse it
            statuses.append(("403", "Signed in, but not allowed (e.g. staff only)."))
    parameters = {parameter["name"] for parameter in operation.get("parameters", [])}
    if "{" in path:
        statuses.append(("404", "No such object, or not yours."))
    elif "page" in parameters:
        statuses.append(("404", "No such page (`page` past the last one, or below 1)."))
    return sorted(statuses)
