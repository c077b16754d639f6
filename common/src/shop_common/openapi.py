"""What drf-spectacular needs to describe every service's public API the same way.

The settings (`SPECTACULAR_SETTINGS` in `shop_common.settings`) name the two hooks below;
spectacular imports this module through them before it looks at any view, which also
registers the authentication extension (spectacular finds extensions by subclassing).
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

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
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail"],
}


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer <access token>`, RS256 JWTs from user_svc."""

    target_class = "shop_common.auth.JWTAuthentication"
    name = BEARER

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


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
                answer = {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
                responses.setdefault(status, answer)
    return result


def error_statuses(path: str, operation: dict[str, Any]) -> list[tuple[str, str]]:
    statuses = []
    if "requestBody" in operation or operation.get("parameters"):
        statuses.append(("400", "Invalid input: the bad fields are named in `errors`."))
    security = operation.get("security", [])
    if any(BEARER in requirement for requirement in security):
        statuses.append(("401", "Missing, expired or invalid access token."))
        if {} not in security:  # a token is required, so permissions may refuse it
            statuses.append(("403", "Signed in, but not allowed (e.g. staff only)."))
    if "{" in path:
        statuses.append(("404", "No such object, or not yours."))
    return statuses
