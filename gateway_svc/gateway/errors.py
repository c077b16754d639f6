"""The gateway's own refusals, turned into JSON answers in one place (`views.gateway`)."""

from django.http import JsonResponse

from shop_common.errors import error_response


class GatewayError(Exception):
    """An answer the gateway gives itself: 401, 403, 404, 405, 429, 502, 503, 504."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        response = error_response(self.status, self.detail)
        for name, value in self.headers.items():
            response[name] = value
        return response
