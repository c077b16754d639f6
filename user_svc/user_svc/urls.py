from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("shop_common.health")),
    path("admin/", admin.site.urls),
]
