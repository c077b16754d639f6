import pytest
import requests

from shop_common.service_table import SERVICES


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_service_is_live_and_ready_on_its_own_database(system, name):
    live = requests.get(f"{system.url(name)}/healthz", timeout=5)
    ready = requests.get(f"{system.url(name)}/readyz", timeout=5)

    assert live.json() == {"status": "ok", "service": name}
    assert ready.status_code == 200, ready.text
