from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("shop_common.urls")),
    path("api/v1/", include("payments.urls")),
    path("admin/", admin.site.urls),
]
