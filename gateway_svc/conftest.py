"""pytest runs each service on its own settings: `cd gateway_svc && pytest`."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_svc.settings")
django.setup()
