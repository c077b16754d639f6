from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("shop_common.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.urls")),
    # Between services only: the gateway never routes /internal/.
    path("internal/v1/", include("inventory.urls")),
]
