"""Hands a service over to Django with its own settings module (manage.py, wsgi.py)."""

import os
import sys

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

from shop_common.service_table import get_service


def use_settings(service: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{get_service(service).name}.settings")


def manage(service: str) -> None:
    """The whole of a service's manage.py."""
    use_settings(service)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def wsgi_application(service: str) -> WSGIHandler:
    """The whole of a service's wsgi.py."""
    use_settings(service)
    return get_wsgi_application()
