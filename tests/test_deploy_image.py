"""The Dockerfile and the container scripts in docker/, checked without a Docker engine.

hadolint lints the Dockerfile; the Dockerfile is held against the service table; and what
the image runs is run here as the image would run it: the collectstatic step of the build,
and the entrypoint (wait for the database, migrate, gunicorn with its JSON log config).
"""

import ast
import json
import os
import re
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from deploy_support import REPO, SERVICES, Service, code_files, venv_tool
from shop_testing.ports import free_port

DOCKERFILE = REPO / "Dockerfile"
DOCKER_DIR = REPO / "docker"
# The packages of ours that pip installs: the shared one, and the test support (dev only).
OUR_DISTRIBUTIONS = {"shop-common": REPO / "common", "shop-testing": REPO / "testing"}
DOTTED_PATH = re.compile(r"[a-z_][a-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def image_environment(service: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """What the image sets (Dockerfile ENV), with local mode and a scratch var folder.
    Nothing else from this environment: CI's database and Redis URLs must not reach it."""
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "SERVICE": service,
        "PYTHONPATH": str(REPO / service),
        "SHOP_VAR_DIR": str(var_dir),
        "DEBUG": "1",
        **extra,
    }


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [venv_tool("hadolint"), str(DOCKERFILE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN apt-get install curl\n")
    result = subprocess.run([venv_tool("hadolint"), str(careless)], capture_output=True, text=True)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # an untagged base image


def test_the_image_is_slim_python_311_and_runs_as_a_numeric_non_root_user() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.MULTILINE)
    [user] = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    uid, _, gid = user.partition(":")
    assert int(uid) > 0
    assert int(gid) > 0


def test_every_service_of_the_table_can_be_built() -> None:
    """The build argument SERVICE picks these files; each service must have them."""
    assert "ARG SERVICE" in DOCKERFILE.read_text()
    for name in SERVICES:
        assert (REPO / "requirements" / f"{name}.txt").is_file()
        assert (REPO / name / "manage.py").is_file()
        assert (REPO / name / name / "wsgi.py").is_file()


def test_the_build_context_leaves_out_local_state_and_secrets() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {"**/.venv", "**/.var", "**/.env", "**/.git"} <= ignored


def test_the_entrypoint_is_an_executable_posix_shell_script() -> None:
    entrypoint = DOCKER_DIR / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    assert subprocess.run(["sh", "-n", str(entrypoint)]).returncode == 0


@pytest.mark.parametrize("service", SERVICES.values(), ids=lambda service: service.name)
def test_a_container_binds_its_table_port_on_all_addresses(
    service: Service, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, str(DOCKER_DIR / "service.py"), "bind"],
        env={k: v for k, v in image_environment(service.name, tmp_path).items() if k != "BIND"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"0.0.0.0:{service.port}"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_collectstatic_runs_as_at_build_time(service: str, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=REPO / service,
        env=image_environment(service, tmp_path),
        check=True,
        timeout=120,
    )
    assert any((tmp_path / "static").rglob("*.*"))


@contextmanager
def container(service: str, tmp_path: Path, **extra: str) -> Iterator[Callable[[str], str]]:
    """The service started by the entrypoint as its container starts it, on a free port;
    yields a GET that returns the body. Its output is in `tmp_path / "stdout.log"`."""
    port = free_port()
    environment = image_environment(
        service,
        tmp_path,
        BIND=f"127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        **extra,
    )

    def get(path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.read().decode()

    with (tmp_path / "stdout.log").open("w") as out:
        process = subprocess.Popen(
            [str(DOCKER_DIR / "entrypoint.sh")],
            cwd=REPO / service,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (tmp_path / "stdout.log").read_text()
            try:
                get("/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "stdout.log").read_text()
                time.sleep(0.5)
        yield get
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_entrypoint_migrates_and_serves_with_json_logs_and_metrics(tmp_path: Path) -> None:
    """product_svc on the embedded SQLite database, with MIGRATE=1."""
    with container("product_svc", tmp_path, MIGRATE="1", WEB_CONCURRENCY="1") as get:
        assert json.loads(get("/readyz"))["checks"] == {"database": "ok"}
        assert 'http_requests_total{method="GET",route="/readyz",status="200"}' in get("/metrics")
    lines = (tmp_path / "stdout.log").read_text().splitlines()
    assert any(line.startswith("  Applying ") for line in lines), "MIGRATE=1 did not migrate"
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert {"gunicorn.error", "shop.request"} <= {record["logger"] for record in records}
    request = [record for record in records if record.get("path") == "/readyz"][-1]
    assert request["status"] == 200
    assert request["request_id"]
    assert request["service"] == "product_svc"


def test_metrics_add_up_every_preloaded_worker(tmp_path: Path) -> None:
    """--preload forks the workers from one loaded app; /metrics must still count what
    every worker answered (the folder the entrypoint empties and names)."""
    with container("gateway_svc", tmp_path, WEB_CONCURRENCY="2") as get:
        # Declared at zero in the preloading master, before any worker counted anything.
        assert "gateway_upstream_calls_total{" in get("/metrics")
        for _ in range(10):
            get("/healthz")
        metrics = get("/metrics")
    served = re.findall(r'^http_requests_total\{(.*route="/healthz".*)\} (\S+)$', metrics, re.M)
    assert sum(float(count) for _, count in served) >= 11  # with the start-up check
    assert any((tmp_path / "metrics").iterdir())


def test_the_entrypoint_runs_a_given_command_once_the_database_answers(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(DOCKER_DIR / "entrypoint.sh"), "python", "manage.py", "check"],
        cwd=REPO / "order_svc",
        env=image_environment("order_svc", tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def requirement_names(path: Path) -> set[str]:
    """The distributions a requirements file pins, following its `-r` includes."""
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(path.parent / line.removeprefix("-r ").strip())
        elif line and not line.startswith("-"):
            names.add(canonical(Requirement(line).name))
    return names


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def with_dependencies(names: set[str]) -> set[str]:
    """`names` and everything they need, as installed in this virtualenv."""
    closure, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            # Extras the pins don't ask for, and packages for other Pythons, are left out.
            if not requirement.marker or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonical(requirement.name))
    return closure


def not_provided(modules: set[str], *, by: set[str]) -> set[str]:
    """The `modules` that none of the distributions `by` (canonical names) provides."""
    providers = metadata.packages_distributions()
    return {
        module
        for module in modules
        if not {canonical(dist) for dist in providers.get(module, [module])} & by
    }


def named_modules(paths: list[Path]) -> set[str]:
    """Top-level modules of installed distributions that the code names in dotted strings
    for Django to import (`"whitenoise.middleware.WhiteNoiseMiddleware"` in settings)."""
    providers = metadata.packages_distributions()
    return {
        node.value.partition(".")[0]
        for path in paths
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and DOTTED_PATH.fullmatch(node.value)
        and node.value.partition(".")[0] in providers
    }


def imported_modules(paths: list[Path]) -> set[str]:
    modules = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.partition(".")[0])
    return modules


@pytest.mark.parametrize("distribution", sorted(OUR_DISTRIBUTIONS))
def test_our_packages_declare_every_distribution_they_import(distribution: str) -> None:
    """Installed on its own, a package of ours brings what its code imports: each import,
    and each module its settings name for Django, comes from a declared dependency."""
    root = OUR_DISTRIBUTIONS[distribution]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    declared = {canonical(Requirement(line).name) for line in project["dependencies"]}
    code = sorted((root / "src").rglob("*.py"))
    own = {path.parent.name for path in (root / "src").glob("*/__init__.py")}
    used = (imported_modules(code) | named_modules(code)) - set(sys.stdlib_module_names) - own
    assert not_provided(used, by=declared) == set()


def test_only_development_installs_the_test_support() -> None:
    """Helpers that sign any token must never reach an image: only dev.txt installs them."""
    installers = {path.name: path.read_text() for path in (REPO / "requirements").glob("*.txt")}
    installers["Dockerfile"] = DOCKERFILE.read_text()
    assert [name for name, text in installers.items() if "./testing" in text] == ["dev.txt"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_image_installs_every_package_the_service_imports(service: str) -> None:
    """The image installs requirements/<service>.txt and common/ only (not dev.txt)."""
    code = [
        path
        for path in code_files()
        if path.suffix == ".py"
        and (path.is_relative_to(REPO / "common") or path.is_relative_to(REPO / service))
    ]
    own = {path.name for path in (REPO / service).iterdir() if path.is_dir()} | {"shop_common"}
    third_party = imported_modules(code) - set(sys.stdlib_module_names) - own
    installed = with_dependencies(
        requirement_names(REPO / "requirements" / f"{service}.txt")
        | {canonical(Requirement(line).name) for line in metadata.requires("shop-common") or []}
    )
    assert not_provided(third_party, by=installed) == set()
