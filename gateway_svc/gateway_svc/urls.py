from django.urls import path, re_path
from drf_spectacular.views import SpectacularSwaggerView

import shop_common.urls
from gateway import views

urlpatterns = [
    # The gateway's own readiness check says more than the shared one; it comes first.
    path("readyz", views.readyz, name="readyz"),
    # Spliced in, not included: every proxied request passes these patterns on its way
    # to the last one, and a nested resolver costs it more than its patterns do.
    *shop_common.urls.urlpatterns,
    # Swagger UI over every service's schema, each routed above (SPECTACULAR_SETTINGS).
    path("api/docs/", SpectacularSwaggerView.as_view(), name="api-docs"),
    re_path(r"", views.gateway, name="gateway"),
]
