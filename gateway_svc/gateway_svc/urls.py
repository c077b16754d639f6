from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from gateway import views

urlpatterns = [
    # The gateway's own readiness check says more than the shared one; it comes first.
    path("readyz", views.readyz, name="readyz"),
    path("", include("shop_common.urls")),
    # Swagger UI over every service's schema, each routed above (SPECTACULAR_SETTINGS).
    path("api/docs/", SpectacularSwaggerView.as_view(), name="api-docs"),
    re_path(r"", views.gateway, name="gateway"),
]
