"""Starting and stopping service processes, as `manage_all.py run` and the test harness do."""

import signal
import subprocess
import sys
from pathlib import Path

from shop_common.launcher import ChildProcess, gunicorn_environment
from shop_common.service_table import SERVICES

BIND = "127.0.0.1:9000"


def test_the_gateway_runs_as_one_process_while_its_cache_is_in_process():
    env = gunicorn_environment(SERVICES["gateway_svc"], {"WEB_CONCURRENCY": "4"}, bind=BIND)

    assert env["WEB_CONCURRENCY"] == "1"
    assert env["BIND"] == BIND


def test_the_gateway_runs_as_configured_once_redis_shares_its_cache():
    given = {"WEB_CONCURRENCY": "4", "REDIS_URL": "redis://127.0.0.1:6379/0"}

    env = gunicorn_environment(SERVICES["gateway_svc"], given, bind=BIND)

    assert env["WEB_CONCURRENCY"] == "4"


def test_other_services_run_as_configured_without_redis():
    env = gunicorn_environment(SERVICES["product_svc"], {"WEB_CONCURRENCY": "4"}, bind=BIND)

    assert env["WEB_CONCURRENCY"] == "4"


def started(code: str) -> ChildProcess:
    """A Python child running `code`, once it has printed that it is ready."""
    child = ChildProcess([sys.executable, "-c", code], cwd=Path.cwd(), env={})
    child.start(output=subprocess.PIPE)
    assert child.popen is not None
    assert child.popen.stdout is not None
    assert child.popen.stdout.readline() == b"ready\n"
    return child


def test_stop_ends_a_child_with_sigterm():
    child = started("import time; print('ready', flush=True); time.sleep(60)")

    child.stop(timeout=10)

    assert child.exit_code() == -signal.SIGTERM


def test_stop_kills_a_child_that_ignores_sigterm_once_the_timeout_is_up():
    child = started(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " print('ready', flush=True); time.sleep(60)"
    )

    child.stop(timeout=0.5)

    assert child.exit_code() == -signal.SIGKILL


def test_a_child_that_never_started_stops_without_error():
    child = ChildProcess([sys.executable, "-c", "pass"], cwd=Path.cwd(), env={})

    child.stop()

    assert child.exit_code() is None
