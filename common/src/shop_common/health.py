"""`/healthz` (the process runs: anyone may ask) and `/readyz` (its database and Redis
answer: operators only, since it names what is failing)."""

import logging

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from shop_common.errors import error_response
from shop_common.operators import operators_only

logger = logging.getLogger(__name__)


@csrf_exempt
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "service": settings.SERVICE_NAME})


@operators_only
@csrf_exempt
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    checks = {**database_checks(), **redis_checks()}
    failing = sorted(name for name, result in checks.items() if result != "ok")
    if failing:
        logger.warning("not ready", extra={"failing": failing})
        return error_response(
            503, f"not ready: {', '.join(failing)} unavailable", extra={"checks": checks}
        )
    return JsonResponse({"status": "ok", "checks": checks})


def database_checks() -> dict[str, str]:
    results = {}
    for alias, config in settings.DATABASES.items():
        if config["ENGINE"].endswith("dummy"):  # Django's stand-in when there is no database
            continue
        name = "database" if alias == "default" else f"database:{alias}"
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            results[name] = "ok"
        except Exception as exc:  # any driver error means "not ready", never a 500
            results[name] = f"error: {type(exc).__name__}"
    return results


def redis_checks() -> dict[str, str]:
    """One check per distinct Redis server behind the configured caches."""
    results = {}
    for alias, config in settings.CACHES.items():
        if "redis" not in config["BACKEND"].lower() or "redis" in results:
            continue
        try:
            caches[alias].client.get_client(write=True).ping()
            results["redis"] = "ok"
        except Exception as exc:  # a down Redis is a readiness answer, not an error page
            results["redis"] = f"error: {type(exc).__name__}"
    return results


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
