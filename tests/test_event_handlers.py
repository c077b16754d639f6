"""Each service runs a handler for exactly the event types its queue is bound to
(shop_common.events.topology.SUBSCRIPTIONS): asked of each service's own Django, where
its handlers are registered, not read from its source."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shop_common.events.topology import SUBSCRIPTIONS
from shop_common.service_table import SERVICES

ROOT = Path(__file__).resolve().parent.parent
HANDLED = (
    "import json; from shop_common.events.registry import handlers; "
    "print(json.dumps(sorted(handlers())))"
)


def handled_types(name: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", HANDLED],
        cwd=ROOT / name,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", [name for name, s in SERVICES.items() if s.has_database])
def test_each_service_handles_exactly_the_types_its_queue_receives(name):
    assert handled_types(name) == sorted(SUBSCRIPTIONS.get(name, []))


def test_only_services_that_consume_events_have_a_queue():
    consuming = {name for name, service in SERVICES.items() if service.consumes_events}
    assert set(SUBSCRIPTIONS) <= consuming
