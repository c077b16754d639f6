"""pytest runs each service on its own settings: `cd product_svc && pytest`."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "product_svc.settings")
django.setup()
