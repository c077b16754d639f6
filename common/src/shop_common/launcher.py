"""Hands a service over to Django with its own settings module (manage.py, wsgi.py), or
to gunicorn as a child process (`manage_all.py run`, the cross-service test harness)."""

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

from shop_common.service_table import Service, get_service

# How long a child may take to finish after SIGTERM before it is killed; gunicorn's own
# graceful timeout (gunicorn_conf) ends inside it.
STOP_TIMEOUT = 15.0


def use_settings(service: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{get_service(service).name}.settings")


def manage(service: str) -> None:
    """The whole of a service's manage.py."""
    use_settings(service)
    try:
        settings.INSTALLED_APPS  # noqa: B018  (loads the settings now)
    except ImproperlyConfigured as exc:
        # A missing or bad setting is the operator's to fix: one line naming it, not a
        # traceback of Django's internals.
        sys.exit(f"{service}: {exc}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def wsgi_application(service: str) -> WSGIHandler:
    """The whole of a service's wsgi.py."""
    use_settings(service)
    return get_wsgi_application()


def gunicorn_command(service: Service) -> list[str]:
    """The command that serves a service with the shared gunicorn settings, run from the
    service's own folder (where its `<name>.wsgi` module is)."""
    config = "python:shop_common.gunicorn_conf"
    return [sys.executable, "-m", "gunicorn", "-c", config, f"{service.name}.wsgi:application"]


def gunicorn_environment(service: Service, env: Mapping[str, str], *, bind: str) -> dict[str, str]:
    """`env` with the address gunicorn binds, and one process (with threads) for a service
    whose counters and cache are in-process because `REDIS_URL` is unset: several
    processes would each count and cache on their own."""
    result = {**env, "BIND": bind}
    if service.needs_shared_cache and not env.get("REDIS_URL"):
        result["WEB_CONCURRENCY"] = "1"
    return result


class ChildProcess:
    """A command run as a child process, stopped politely and then firmly: SIGTERM, a
    wait, SIGKILL. Several children stop together with `terminate()` on each, then
    `wait()` on each, so their graceful shutdowns overlap."""

    def __init__(self, argv: list[str], *, cwd: Path, env: Mapping[str, str]) -> None:
        self.argv = argv
        self.cwd = cwd
        self.env = dict(env)
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self, *, output: IO[bytes] | int, own_session: bool = False) -> None:
        """Start it with stdout and stderr going to `output` (a file or `subprocess.PIPE`);
        `own_session` keeps a Ctrl-C in the terminal from reaching it directly."""
        self.popen = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=own_session,
        )

    def exit_code(self) -> int | None:
        """None while it runs (or before it started), else how it ended."""
        return self.popen.poll() if self.popen else None

    def terminate(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()

    def wait(self, timeout: float = STOP_TIMEOUT) -> None:
        """Wait until it has ended, killing it when it takes longer than `timeout`."""
        if not self.popen:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        self.terminate()
        self.wait(timeout)


def gunicorn_process(
    service: Service, *, folder: Path, env: Mapping[str, str], bind: str
) -> ChildProcess:
    """A service under gunicorn, not yet started: `folder` is the service's project folder."""
    return ChildProcess(
        gunicorn_command(service), cwd=folder, env=gunicorn_environment(service, env, bind=bind)
    )
