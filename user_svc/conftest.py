"""pytest runs each service on its own settings: `cd user_svc && pytest`."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "user_svc.settings")
django.setup()
