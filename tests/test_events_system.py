"""The harness runs every service's event relay and consumer, as `manage_all.py run`,
compose and Kubernetes do, on a namespace of its own (shop_common.events)."""

import pytest

from shop_common.service_table import SERVICES
from shop_testing.shop import wait_for

EVENT_PROCESSES = [
    (name, command) for name, service in SERVICES.items() for command in service.event_commands
]


@pytest.mark.parametrize(("name", "command"), EVENT_PROCESSES)
def test_every_event_process_runs_and_reaches_the_broker(system, name, command):
    log = system.processes[name].folder / f"{name}-{command}.log"
    assert wait_for(lambda: "connected to the event broker" in log.read_text(), timeout=30), (
        log.read_text()[-2000:]
    )
    assert all(process.exit_code() is None for process in system.processes[name].event_processes)


def test_each_system_has_an_event_namespace_of_its_own(system):
    assert system.env["EVENTS_NAMESPACE"].startswith("xs-")
