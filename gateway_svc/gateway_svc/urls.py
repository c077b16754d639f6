from django.urls import include, path, re_path

from gateway import views
from shop_common import metrics

urlpatterns = [
    # The gateway's own readiness check says more than the shared one; it comes first.
    path("readyz", views.readyz, name="readyz"),
    path("", include("shop_common.urls")),
    path("", include(metrics)),
    re_path(r"", views.gateway, name="gateway"),
]
