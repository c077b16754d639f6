"""The gateway's API docs page in a real browser: Swagger UI renders every service's
schema from files the gateway serves, and the page asks no other host for anything."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests

from shop_common.service_table import SERVICES

API_SERVICES = [service.name for service in SERVICES.values() if not service.public]


def first_path(gateway: str, service: str) -> str:
    schema = requests.get(f"{gateway}/api/v1/{service}/schema/?format=json", timeout=10)
    schema.raise_for_status()
    return next(iter(schema.json()["paths"]))


def test_the_docs_page_renders_each_services_operations_from_the_gateway_alone(
    system, page, tmp_path
):
    gateway = system.url("gateway_svc")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{gateway}/api/docs/")
    for service in API_SERVICES:
        # The standalone layout's "Select a definition" list, one option per service.
        page.select_option("select#select", label=service)
        path = first_path(gateway, service)
        operation = page.locator(f".opblock-summary-path[data-path='{path}']").first
        operation.wait_for(state="visible", timeout=15_000)
    page.screenshot(path=tmp_path / "api_docs.png")

    hosts = {urlsplit(url).netloc for url in requested if not url.startswith("data:")}
    assert hosts == {urlsplit(gateway).netloc}, requested
    assert {f"{gateway}/api/v1/{service}/schema/" for service in API_SERVICES} <= set(requested)
    # Swagger UI would otherwise show a badge loaded from validator.swagger.io.
    assert page.evaluate("() => ui.getConfigs().validatorUrl") is None


def test_a_fresh_process_builds_its_first_schema_for_many_callers_at_once(system):
    # The docs page and a client asking together used to meet drf-spectacular's unlocked
    # first generation: all but one answered 500.
    system.stop("product_svc")
    system.start("product_svc")
    url = f"{system.url('gateway_svc')}/api/v1/product_svc/schema/?format=json"
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda _: requests.get(url, timeout=30).status_code, range(12)))

    assert statuses == [200] * 12
