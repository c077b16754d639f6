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


@pytest.fixture(scope="module", params=sorted(CONTRACT))
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, subprocess.CompletedProcess[str], dict[str, Any]]:
    service = request.param
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
    return service, result, schema


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
