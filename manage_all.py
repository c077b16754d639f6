#!/usr/bin/env python
"""Run a Django management command in every service, or start them all together.

    python manage_all.py COMMAND [ARGS...]                  # in every service, in turn
    python manage_all.py --service user_svc COMMAND [ARGS]  # in one
    python manage_all.py seed                               # demo data, where a service has some
    python manage_all.py run                                # the services on gunicorn, their
                                                            # event relays and consumers, and
                                                            # order reconciliation

The services and their ports come from the one table in `shop_common.service_table`.
This is the development launcher: with `DEBUG` unset it runs in development mode (local
secrets and keys), so the commands above work on a fresh clone. Deployments run each
service's gunicorn or `manage.py` themselves, where `DEBUG` unset means production; set
`DEBUG=0` and the real secrets to use this launcher against production.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from shop_common.launcher import ChildProcess, gunicorn_process
from shop_common.service_table import SERVICES, Service

ROOT = Path(__file__).resolve().parent
# Commands that need a database; a service without one (the gateway) skips them.
DATABASE_COMMANDS = frozenset(
    {"migrate", "makemigrations", "showmigrations", "sqlmigrate", "createsuperuser", "flush"}
    | {"dbshell", "loaddata", "dumpdata", "changepassword", "seed"}
)
COLOURS = ("\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m")
RESET = "\033[0m"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
RECONCILE_EVERY_SECONDS = 30
# How `run` names an event process in its output: `order-relay`, `user-consumer`.
EVENT_ROLES = {"relay_events": "relay", "consume_events": "consumer"}


def service_dir(service: Service) -> Path:
    return ROOT / service.name


def has_command(service: Service, command: str) -> bool:
    """Whether the service defines this command itself (used for `seed`)."""
    return any(service_dir(service).glob(f"*/management/commands/{command}.py"))


def runs_command(service: Service, command: str) -> bool:
    if command == "seed":
        return has_command(service, command)
    return service.has_database or command not in DATABASE_COMMANDS


def run_command(services: list[Service], command: str, args: list[str]) -> int:
    failed = []
    for service in services:
        if not runs_command(service, command):
            print(f"== {service.name}: {command} (skipped: not used by this service)", flush=True)
            continue
        print(f"== {service.name}: {command} {' '.join(args)}".rstrip(), flush=True)
        result = subprocess.run(
            [sys.executable, "manage.py", command, *args], cwd=service_dir(service)
        )
        if result.returncode != 0:
            print(f"!! {service.name}: {command} failed (exit {result.returncode})", flush=True)
            failed.append(service.name)
    if failed:
        print(f"!! {command} failed in: {', '.join(failed)}", file=sys.stderr, flush=True)
        return 1
    return 0


@dataclass
class Child:
    """One process started by `run`, its output prefixed with its name."""

    name: str
    process: ChildProcess
    colour: str = ""

    def start(self) -> None:
        # Its own session: Ctrl-C reaches us, and we stop the children in order.
        self.process.start(output=subprocess.PIPE, own_session=True)
        threading.Thread(target=self._relay, daemon=True).start()

    def _relay(self) -> None:
        popen = self.process.popen
        assert popen is not None
        assert popen.stdout is not None
        prefix = f"{self.colour}{self.name:<12}{RESET if self.colour else ''}|"
        for line in popen.stdout:
            sys.stdout.write(f"{prefix} {line.decode(errors='replace')}")
            sys.stdout.flush()


def gunicorn_child(service: Service) -> Child:
    bind = f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{service.port}"
    folder = service_dir(service)
    return Child(service.name, gunicorn_process(service, folder=folder, env=os.environ, bind=bind))


def event_children(service: Service) -> list[Child]:
    """The service's event relay and consumer (`Service.event_commands`): processes of
    their own, as in compose and Kubernetes."""
    short = service.name.removesuffix("_svc")
    return [
        Child(
            f"{short}-{EVENT_ROLES[command]}",
            ChildProcess(
                [sys.executable, "manage.py", command], cwd=service_dir(service), env=os.environ
            ),
        )
        for command in service.event_commands
    ]


def reconcile_child(every: int = RECONCILE_EVERY_SECONDS) -> Child:
    """order_svc's `reconcile_orders`, once every `every` seconds: it settles the orders
    that a crash or an unreachable product_svc left pending or unreleased."""
    order_svc = SERVICES["order_svc"]
    argv = [sys.executable, "manage.py", "reconcile_orders", "--every", str(every)]
    return Child("reconcile", ChildProcess(argv, cwd=service_dir(order_svc), env=os.environ))


def admin_addresses(services: list[Service]) -> list[str]:
    """Where each admin is: every service with a database has one, and the demo staff
    account (`seed`) signs in to all of them with its user_svc email and password."""
    return [f"{service.url}/admin/" for service in services if service.has_database]


def supervise(children: list[Child]) -> int:
    """Run the children until a stop signal or until one of them dies; then stop all."""
    stopping = threading.Event()
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda *_: stopping.set())
    colourful = sys.stdout.isatty()
    for index, child in enumerate(children):
        child.colour = COLOURS[index % len(COLOURS)] if colourful else ""
        child.start()
    exit_code = 0
    while not stopping.wait(0.2):
        ended = {child.name: child.process.exit_code() for child in children}
        dead = {name: code for name, code in ended.items() if code is not None}
        if dead:
            for name, code in dead.items():
                print(f"!! {name} exited with code {code}", flush=True)
            print("!! stopping the other services", flush=True)
            exit_code = 1
            break
    for child in children:
        child.process.terminate()
    for child in children:
        child.process.wait()
    print("== all services stopped", flush=True)
    return exit_code


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--service", choices=sorted(SERVICES), help="only this service")
    parser.add_argument("command", help="a management command, or `run`")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed to the command")
    options = parser.parse_args(argv)
    os.environ.setdefault("DEBUG", "1")
    services = [SERVICES[options.service]] if options.service else list(SERVICES.values())
    if options.command == "run":
        children = [gunicorn_child(service) for service in services]
        children += [child for service in services for child in event_children(service)]
        if SERVICES["order_svc"] in services:
            children.append(reconcile_child())
        for address in admin_addresses(services):
            print(f"== admin: {address}", flush=True)
        return supervise(children)
    return run_command(services, options.command, options.args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
