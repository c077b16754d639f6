"""The URLs every service serves besides its own API: include it at the root."""

from django.urls import include, path

urlpatterns = [
    path("", include("shop_common.health")),
]
