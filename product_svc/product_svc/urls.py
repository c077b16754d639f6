from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views.static import serve


def media(request: HttpRequest, path: str) -> HttpResponse:
    """A stored product image from the local storage, read from MEDIA_ROOT as it is now."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    path("", include("shop_common.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.urls")),
    # Between services only: the gateway never routes /internal/.
    path("internal/v1/", include("inventory.urls")),
]
if settings.SERVE_MEDIA:
    # Product images from the local storage, in development only: in production the web
    # server in front serves MEDIA_ROOT, or the images are in S3.
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", media))
