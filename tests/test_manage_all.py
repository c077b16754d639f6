"""manage_all.py as operators use it: commands in every service, and `run`."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from shop_common.service_table import SERVICES
from shop_testing.harness import wait_until_healthy
from shop_testing.ports import free_port
from shop_testing.shop import wait_for

ROOT = Path(__file__).resolve().parent.parent


def manage_all(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage_all.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_an_unknown_command_fails_the_run_and_names_the_service():
    result = manage_all("--service", "user_svc", "no_such_command")

    assert result.returncode == 1
    assert "no_such_command failed in: user_svc" in result.stderr


def test_a_command_failing_in_some_services_fails_the_run_and_names_each():
    # The accounts app exists only in user_svc: everywhere else the command fails.
    result = manage_all("showmigrations", "accounts")

    assert result.returncode == 1
    assert "showmigrations failed in: product_svc, order_svc" in result.stderr
    assert "== user_svc: showmigrations accounts" in result.stdout
    assert "gateway_svc: showmigrations (skipped" in result.stdout


def test_service_runs_the_command_in_that_service_only():
    result = manage_all("--service", "product_svc", "check")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "== product_svc: check" in result.stdout
    assert "user_svc" not in result.stdout


def test_commands_run_in_development_mode_when_debug_is_unset(tmp_path: Path):
    # The contract's `python manage_all.py --service user_svc createsuperuser ...` is typed
    # on a fresh clone with no secrets: the launcher must not ask for production's.
    env = {key: value for key, value in os.environ.items() if key != "DEBUG"}
    result = manage_all(
        "--service", "user_svc", "check", env={**env, "SHOP_VAR_DIR": str(tmp_path)}
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_off_still_asks_for_production_secrets(tmp_path: Path):
    env = {**os.environ, "DEBUG": "0", "SHOP_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = manage_all("--service", "user_svc", "check", env=env)

    assert result.returncode == 1
    assert "SECRET_KEY" in result.stdout + result.stderr


@pytest.fixture
def run_env(tmp_path: Path) -> dict[str, str]:
    """The whole system on free ports, its local files (the embedded event broker's too:
    no queues on a shared RabbitMQ) in a temporary folder."""
    env = {**os.environ, "SHOP_VAR_DIR": str(tmp_path), "WEB_CONCURRENCY": "1"}
    env.pop("AMQP_URL", None)
    for name in SERVICES:
        env[f"{name.upper()}_PORT"] = str(free_port())
    return env


def start_run(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage_all.py", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def port_answers(port: str) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok
    except requests.RequestException:
        return False


def saying(lines: list[str], text: str) -> set[str]:
    """The processes (by their prefix in `run`'s output) that said `text`."""
    return {line.partition("|")[0].strip() for line in list(lines) if text in line}


def test_run_serves_every_service_and_sigterm_stops_them_all(run_env):
    ports = [run_env[f"{name.upper()}_PORT"] for name in SERVICES]
    roles = {"relay_events": "relay", "consume_events": "consumer"}
    event_processes = [
        f"{name.removesuffix('_svc')}-{roles[command]}"
        for name, service in SERVICES.items()
        for command in service.event_commands
    ]
    runner = start_run(run_env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(runner.stdout), daemon=True)
    reader.start()
    try:
        assert all(wait_until_healthy(f"http://127.0.0.1:{port}") for port in ports)
        # (Not migrated here: they find no tables, and keep trying.)
        assert wait_for(
            lambda: saying(lines, "connected to the event broker") >= set(event_processes),
            timeout=60,
        ), "".join(lines)
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=30)
        reader.join(timeout=5)
    finally:
        runner.kill()
    output = "".join(lines)

    assert runner.returncode == 0
    assert "all services stopped" in output
    assert not any(port_answers(port) for port in ports)
    for name in SERVICES:
        assert f"{name:<12}|" in output
    for process in event_processes:
        assert f"{process:<12}|" in output
    for name in ("user_svc", "product_svc", "order_svc", "payment_svc"):
        port = run_env[f"{name.upper()}_PORT"]
        assert f"== admin: http://127.0.0.1:{port}/admin/" in output


def test_when_one_service_dies_run_reports_it_and_stops_the_others(run_env):
    user_port = run_env["USER_SVC_PORT"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(run_env["PRODUCT_SVC_PORT"])))
        taken.listen()
        runner = start_run(run_env)
        try:
            output, _ = runner.communicate(timeout=60)
        finally:
            runner.kill()

    assert runner.returncode == 1
    assert "product_svc exited with code" in output
    assert "stopping the other services" in output
    time.sleep(0.5)
    assert not port_answers(user_port)
