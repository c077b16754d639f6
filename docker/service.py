"""What a service's container asks about its service (SERVICE names it, from the image).

    python service.py bind               # the address gunicorn binds: all addresses, own port
    python service.py wait-for-database  # returns once the database answers (entrypoint)
    python service.py healthcheck        # exit 0 when /readyz answers 200 (compose)

The port comes from the one service table, so compose and the images never repeat it.
"""

import logging
import os
import sys
import time
import urllib.error
import urllib.request

from shop_common.service_table import Service, get_service

logger = logging.getLogger("shop.container")


def this_service() -> Service:
    return get_service(os.environ["SERVICE"])


def bind() -> str:
    return os.environ.get("BIND") or f"0.0.0.0:{this_service().port}"


def print_bind() -> int:
    sys.stdout.write(f"{bind()}\n")
    return 0


def wait_for_database() -> int:
    """Waits up to DATABASE_WAIT_TIMEOUT seconds (default 60) for the service's database."""
    import django
    from django.conf import settings
    from django.db import connections
    from django.db.utils import OperationalError

    from shop_common.launcher import use_settings

    use_settings(this_service().name)
    django.setup()  # the service's JSON logging is configured from here on
    if "default" not in settings.DATABASES:  # the gateway has none
        return 0
    deadline = time.monotonic() + float(os.environ.get("DATABASE_WAIT_TIMEOUT", "60"))
    while True:
        try:
            connections["default"].ensure_connection()
        except OperationalError as exc:
            if time.monotonic() >= deadline:
                logger.error("database unreachable, giving up", extra={"error": str(exc)})
                return 1
            logger.info("waiting for the database", extra={"error": str(exc)})
            time.sleep(1)
        else:
            return 0


def healthcheck() -> int:
    port = bind().rpartition(":")[2]
    try:
        # Host must be one of ALLOWED_HOSTS; localhost is in every environment's list.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/readyz")
        request.add_header("Host", "localhost")
        with urllib.request.urlopen(request, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


COMMANDS = {
    "bind": print_bind,
    "wait-for-database": wait_for_database,
    "healthcheck": healthcheck,
}

if __name__ == "__main__":
    sys.exit(COMMANDS[sys.argv[1]]())
