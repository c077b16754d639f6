"""The URLs every service serves besides its own API: include it at the root."""

from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("", include("shop_common.health")),
    path("", include("shop_common.metrics")),
    # The service's OpenAPI schema; the gateway routes this path to the service.
    path(f"api/v1/{settings.SERVICE_NAME}/schema/", SpectacularAPIView.as_view(), name="schema"),
]
