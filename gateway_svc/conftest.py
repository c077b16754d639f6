"""pytest runs each service on its own settings: `cd gateway_svc && pytest`."""

import os

import django

os.environ.setdefault("DEBUG", "1")  # development mode: local secrets and keys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_svc.settings")
django.setup()
