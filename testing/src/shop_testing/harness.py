"""Real service processes for cross-service tests.

`System` gives every service a fresh database (a new PostgreSQL database when the
service's `*_DATABASE_URL` is set, else SQLite in a temporary folder), migrates it, and
runs the service with gunicorn on a free port, exactly as `manage_all.py run` would,
with its event relay and consumer (`Service.event_commands`). The services share one
temporary var folder (generated keys and secrets, the embedded event broker) and find
each other through `<NAME>_URL`. Each system has an event namespace of its own
(`EVENTS_NAMESPACE`), so parallel runs on one RabbitMQ never share a queue; its queues
are deleted at close.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests
from kombu import Connection
from psycopg import sql

from shop_common.events.topology import SUBSCRIPTIONS, exchange_name, queue_name
from shop_common.launcher import ChildProcess, gunicorn_command, gunicorn_environment
from shop_common.service_table import SERVICES, Service
from shop_testing.ports import free_port

# The repository: this package is installed editable from testing/src/shop_testing.
ROOT = Path(__file__).resolve().parents[3]
# Five services start at once, each importing Django and its apps in two workers: on a
# busy two-core machine that takes longer than one service alone.
START_TIMEOUT = 60.0


def close_on_sigterm() -> None:
    """End this process on SIGTERM as Ctrl-C does, by an exception, so that a script's
    `finally: system.close()` still stops its services and drops its databases: by
    default SIGTERM (`kill`, `timeout`) ends it at once and leaves its gunicorn masters,
    relays and consumers running, orphaned."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def wait_until_healthy(url: str, *, timeout: float = START_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


class Database:
    """A throw-away database for one service: PostgreSQL beside the configured one, or SQLite."""

    def __init__(self, service: Service, folder: Path) -> None:
        configured = os.environ.get(f"{service.env_prefix}_DATABASE_URL", "")
        base = configured.rpartition("/")[0] if configured.startswith("postgres") else ""
        # Databases are created and dropped from the server's maintenance database.
        self.server_url = f"{base}/postgres" if base else ""
        if self.server_url:
            self.name = f"xs_{service.name}_{uuid.uuid4().hex[:8]}"
            self.url = f"{base}/{self.name}"
            self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        else:
            self.url = f"sqlite:///{folder / f'{service.name}.sqlite3'}"

    def _execute(self, statement: sql.Composed) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as connection:
            connection.execute(statement)

    def drop(self) -> None:
        if self.server_url:
            self._execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


def delete_event_queues(amqp_url: str, namespace: str) -> None:
    """Delete a namespace's exchange and queues from RabbitMQ."""
    with Connection(amqp_url, connect_timeout=5) as broker:
        channel = broker.default_channel
        for service in SUBSCRIPTIONS:
            channel.queue_delete(queue_name(service, namespace))
        channel.exchange_delete(exchange_name(namespace))


class ServiceProcess:
    """One service under gunicorn, started as `manage_all.py run` starts it; its output
    goes to a log file shown when it fails."""

    def __init__(self, service: Service, port: int, env: dict[str, str], folder: Path) -> None:
        self.service = service
        self.port = port
        # Decided once, as the system is laid out: a restart may only add variables.
        self.env = gunicorn_environment(service, env, bind=f"127.0.0.1:{port}")
        self.folder = folder
        self.log_path = folder / f"{service.name}.log"
        self.process: ChildProcess | None = None
        self.event_processes: list[ChildProcess] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT / self.service.name,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=300,
        )

    def start(self, **extra_env: str) -> None:
        self.process = ChildProcess(
            gunicorn_command(self.service),
            cwd=ROOT / self.service.name,
            env={**self.env, **extra_env},
        )
        with self.log_path.open("ab") as log:
            self.process.start(output=log)
        if not wait_until_healthy(self.url):
            self.stop()
            raise RuntimeError(f"{self.service.name} did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process:
            self.process.stop()
        self.process = None

    def start_events(self, **extra_env: str) -> None:
        """Its event relay and consumer, each logging to `<service>-<command>.log`."""
        for command in self.service.event_commands:
            process = ChildProcess(
                [sys.executable, "manage.py", command],
                cwd=ROOT / self.service.name,
                env={**self.env, **extra_env},
            )
            with (self.folder / f"{self.service.name}-{command}.log").open("ab") as log:
                process.start(output=log)
            self.event_processes.append(process)

    def stop_events(self) -> None:
        for process in self.event_processes:
            process.terminate()
        for process in self.event_processes:
            process.wait()
        self.event_processes = []

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class System:
    """All (or some) services running together, each on its own fresh database."""

    def __init__(self, folder: Path, names: Iterable[str] = tuple(SERVICES)) -> None:
        services = [SERVICES[name] for name in names]
        ports = {service.name: free_port() for service in services}
        env = {
            **os.environ,
            # Development mode: the services generate their keys and secrets in the folder.
            "DEBUG": "1",
            "SHOP_VAR_DIR": str(folder / "var"),
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "8",
            "EVENTS_NAMESPACE": f"xs-{uuid.uuid4().hex[:8]}",
        }
        # Its own keys in Redis too: counters an earlier run left within a limit's window
        # would count against this one.
        env["CACHE_KEY_PREFIX"] = f"{env['EVENTS_NAMESPACE']}:"
        self.env = env
        for name, port in ports.items():
            env[f"{name.upper()}_PORT"] = str(port)
            env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
        self.databases = {s.name: Database(s, folder) for s in services if s.has_database}
        for name, database in self.databases.items():
            env[f"{name.upper()}_DATABASE_URL"] = database.url
        self.processes = {}
        for service in services:
            self.processes[service.name] = ServiceProcess(service, ports[service.name], env, folder)

    def url(self, name: str) -> str:
        return self.processes[name].url

    def manage(self, name: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return self.processes[name].manage(*args, **extra_env)

    def start(self, name: str, **extra_env: str) -> None:
        self.processes[name].start(**extra_env)

    def stop(self, name: str) -> None:
        self.processes[name].stop()

    def start_all(self) -> None:
        with ThreadPoolExecutor() as pool:
            migrations = list(
                pool.map(lambda n: self.manage(n, "migrate", "--noinput"), self.databases)
            )
        for name, result in zip(self.databases, migrations, strict=True):
            if result.returncode != 0:
                raise RuntimeError(f"migrate failed in {name}:\n{result.stdout}{result.stderr}")
        with ThreadPoolExecutor() as pool:
            list(pool.map(lambda process: process.start(), self.processes.values()))
        for process in self.processes.values():
            process.start_events()

    def close(self) -> None:
        for process in self.processes.values():
            process.stop_events()
            process.stop()
        if self.env.get("AMQP_URL"):
            delete_event_queues(self.env["AMQP_URL"], self.env["EVENTS_NAMESPACE"])
        for database in self.databases.values():
            database.drop()
