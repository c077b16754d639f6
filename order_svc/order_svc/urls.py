from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("shop_common.urls")),
    path("api/v1/", include("orders.urls")),
    path("admin/", admin.site.urls),
    path("internal/v1/", include("orders.internal_urls")),
]
