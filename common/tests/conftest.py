"""common/'s tests run on a small project of their own, built on the shared settings."""

import os

import django

os.environ.setdefault("DEBUG", "1")  # development mode: local secrets and keys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
django.setup()
