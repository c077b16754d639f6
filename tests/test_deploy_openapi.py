"""Each business service's OpenAPI 3 schema, generated from its code by drf-spectacular:
no warning, and every path of the public contract (shared API.md) in it.

`manage.py spectacular --validate --fail-on-warn` also checks the result against the
OpenAPI 3 JSON schema.
"""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy_support import REPO, SERVICES

# The contract's paths, by the service that answers them; `{}` stands for a path parameter.
CONTRACT = {
    "user_svc": {
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/jwks/",
        "/api/v1/users/me/",
        "/api/v1/users/me/password/",
    },
    "product_svc": {
        "/api/v1/categories/",
        "/api/v1/categories/{}/",
        "/api/v1/products/",
        "/api/v1/products/{}/",
    },
    "order_svc": {
        "/api/v1/orders/",
        "/api/v1/orders/{}/",
        "/api/v1/orders/{}/cancel/",
        "/api/v1/orders/{}/status/",
    },
}


def manage(service: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO / service,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "SHOP_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )


Generated = tuple[str, subprocess.CompletedProcess[str], dict[str, Any]]


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    """Every service's schema, generated once for the module."""
    generated = {}
    for service in sorted(CONTRACT):
        folder = tmp_path_factory.mktemp(service)
        result = manage(
            service,
            folder,
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--format",
            "openapi-json",
            "--file",
            str(folder / "schema.json"),
        )
        schema = json.loads((folder / "schema.json").read_text()) if result.returncode == 0 else {}
        generated[service] = (service, result, schema)
    return generated


@pytest.fixture(params=sorted(CONTRACT))
def generated(request: pytest.FixtureRequest, schemas: dict[str, Generated]) -> Generated:
    return schemas[request.param]


def test_the_schema_generates_without_a_warning(generated: Any) -> None:
    service, result, _ = generated
    assert result.returncode == 0, f"{service}:\n{result.stderr}"


def test_the_schema_holds_the_contracts_paths_and_only_public_ones(generated: Any) -> None:
    service, _, schema = generated
    paths = {re.sub(r"\{[^}]+\}", "{}", path) for path in schema.get("paths", {})}
    assert CONTRACT[service] <= paths
    assert all(path.startswith("/api/") for path in paths)


def test_operations_name_their_auth_and_error_answers(generated: Any) -> None:
    _, _, schema = generated
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    error = {"$ref": "#/components/schemas/Error"}
    for operations in schema["paths"].values():
        for operation in operations.values():
            if any("bearerAuth" in requirement for requirement in operation.get("security", [])):
                assert (
                    operation["responses"]["401"]["content"]["application/json"]["schema"] == error
                )


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_serves_its_schema_at_its_own_path(service: str, tmp_path: Path) -> None:
    code = (
        "from django.test import Client; "
        f"answer = Client().get('/api/v1/{service}/schema/', HTTP_ACCEPT='application/json'); "
        "print(answer.status_code, answer.json()['openapi'][:2])"
    )
    result = manage(service, tmp_path, "shell", "--verbosity", "0", "--command", code)
    assert result.stdout.split() == ["200", "3."], result.stderr


def test_the_gateway_serves_swagger_ui_over_every_services_schema(tmp_path: Path) -> None:
    code = (
        "from django.test import Client; "
        "answer = Client().get('/api/docs/'); "
        "print(answer.status_code); print(answer.content.decode())"
    )
    result = manage("gateway_svc", tmp_path, "shell", "--verbosity", "0", "--command", code)
    status, _, page = result.stdout.partition("\n")
    assert status == "200", result.stderr
    assert "StandaloneLayout" in page  # the layout with the service picker
    for service in CONTRACT:
        assert f'"url": "/api/v1/{service}/schema/"' in page


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, by_method in schema["paths"].items()
        for method, operation in by_method.items()
    ]


def test_catalog_reads_are_open_to_anyone_and_writes_need_a_token(generated: Any) -> None:
    service, _, schema = generated
    for method, path, operation in operations(schema):
        anyone = {} in operation.get("security", [{}])
        open_to_anyone = service == "user_svc" and path.startswith("/api/v1/auth/")
        if service == "product_svc":
            open_to_anyone = method == "GET"
        expected = open_to_anyone and path != "/api/v1/auth/logout/"
        assert anyone == expected, f"{method} {path}"


def test_every_operation_documents_every_status_it_can_answer(generated: Any) -> None:
    _, _, schema = generated
    for method, path, operation in operations(schema):
        statuses = set(operation["responses"])
        assert {"400", "414", "429", "431", "502", "503", "504"} <= statuses, f"{method} {path}"
        if "requestBody" in operation:
            assert {"413", "415"} <= statuses, f"{method} {path}"
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        if "page" in names or "{" in path:
            assert "404" in statuses, f"{method} {path}"
        if path.startswith("/api/v1/categories/") and method == "DELETE":
            assert "409" in statuses


def component(schema: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    ref = reference.get("$ref") or reference["allOf"][0]["$ref"]
    return schema["components"]["schemas"][ref.rpartition("/")[2]]


def test_placing_and_moving_an_order_are_described_in_full(schemas: dict[str, Generated]) -> None:
    _, _, schema = schemas["order_svc"]
    place = schema["paths"]["/api/v1/orders/"]["post"]
    body = component(schema, place["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["required"]) == {"items", "shipping_address"}
    address = component(schema, body["properties"]["shipping_address"])
    assert {"name", "line1", "city", "postal_code", "country"} <= set(address["required"])
    item = body["properties"]["items"]
    assert (item["minItems"], item["maxItems"]) == (1, 100)
    header = next(p for p in place["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert {"201", "400", "409", "422", "503"} <= set(place["responses"])
    move = schema["paths"]["/api/v1/orders/{id}/status/"]["post"]
    move_body = component(schema, move["requestBody"]["content"]["application/json"]["schema"])
    assert "status" in move_body["required"]
    assert "409" in move["responses"]
    order = schema["components"]["schemas"]["Order"]
    assert component(schema, order["properties"]["shipping_address"]) == component(
        schema, {"$ref": "#/components/schemas/ShippingAddress"}
    )


def test_a_price_is_declared_as_the_decimal_strings_the_api_takes(
    schemas: dict[str, Generated],
) -> None:
    _, _, schema = schemas["product_svc"]
    price = re.compile(
        schema["components"]["schemas"]["ProductRequest"]["properties"]["price"]["pattern"]
    )
    assert all(price.search(text) for text in ("0", "19.99", "99999999.99", "5.5"))
    assert not any(price.search(text) for text in ("-1", "", ".", "1.234", "123456789"))


def test_user_svc_request_bodies_take_no_field_they_do_not_name(
    schemas: dict[str, Generated],
) -> None:
    _, _, schema = schemas["user_svc"]
    for method, path, operation in operations(schema):
        if "requestBody" in operation:
            body = component(
                schema, operation["requestBody"]["content"]["application/json"]["schema"]
            )
            assert body["additionalProperties"] is False, f"{method} {path}"


def test_the_product_filters_are_declared_with_the_bounds_they_enforce(
    schemas: dict[str, Generated],
) -> None:
    _, _, schema = schemas["product_svc"]
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"]["/api/v1/products/"]["get"]["parameters"]
    }
    assert (parameters["category"]["maxLength"], parameters["search"]["maxLength"]) == (140, 200)
    for bound in ("min_price", "max_price"):
        price = re.compile(parameters[bound]["pattern"])
        assert all(price.search(text) for text in ("0", "-5", "19.99", "99999999.99"))
        assert not any(price.search(text) for text in ("1e-20000", "1.234", "123456789", ""))
