"""A bare django-revproxy in front of one service: the peer `bench/gateway.py` measures
the gateway against. Every path goes to `UPSTREAM` as it came; no middleware, no
authentication, no limits, no cache, no metrics, no log line. Served as the gateway is:

    UPSTREAM=http://127.0.0.1:8002 .venv/bin/gunicorn --chdir bench \
        --worker-class gthread --workers 2 --threads 8 revproxy_peer:application
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import re_path
from revproxy.views import ProxyView

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only, never served to anyone",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["revproxy"],
    MIDDLEWARE=[],
    USE_TZ=True,
)

urlpatterns = [re_path(r"^(?P<path>.*)$", ProxyView.as_view(upstream=os.environ["UPSTREAM"]))]
application = get_wsgi_application()
