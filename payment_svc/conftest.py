"""pytest runs each service on its own settings: `cd payment_svc && pytest`."""

import os

import django

os.environ.setdefault("DEBUG", "1")  # development mode: local secrets and keys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "payment_svc.settings")
django.setup()
