"""compose.yaml, .env.example and the monitoring files, checked offline.

No Docker engine runs here, and no compose binary installs from the package registries
we reach, so two readers stand in for `docker compose config`: check-jsonschema against
the compose specification's JSON schema (vendored in the package), and `compose_model()`
below, which does what `config` does that the tests rely on: YAML anchors and merges,
`.env` parsing with compose's quoting, `${VAR}`, `${VAR:-default}` and `${VAR:?error}`
interpolation, and the long form of ports and volumes. Then the model is held against
the code: every service, port and variable it names.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from deploy_support import REPO, SERVICES, code_env_names, code_strings, k8s_name, venv_tool
from shop_common.jwt_keys import public_keys_setting

COMPOSE_FILE = REPO / "compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
MONITORING = REPO / "deploy" / "monitoring"
APP_SERVICES = {k8s_name(service): service for service in SERVICES.values()}
# Variables read by the images we run but do not build.
IMAGE_ENV_PREFIXES = {
    "postgres": ("POSTGRES_",),
    "grafana/grafana": ("GF_",),
    "rabbitmq": ("RABBITMQ_",),
}
# Each service's event relay and consumer, as compose names them.
EVENT_PROCESSES = {
    f"{k8s_name(service).removesuffix('-svc')}-{role}": service
    for service in SERVICES.values()
    for command, role in (("relay_events", "relay"), ("consume_events", "consumer"))
    if command in service.event_commands
}
DASHBOARDS = MONITORING / "grafana" / "dashboards"
PROMQL_WORDS = {"by", "sum", "max", "rate", "increase", "histogram_quantile"}
# A histogram's series carry these suffixes beside the name the code gives it.
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def make_env_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_env", REPO / "docker" / "make_env.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MissingVariable(Exception):
    """A `${VAR:?message}` whose variable is unset or empty: compose refuses to start."""


INTERPOLATION = re.compile(r"\$\$|\$\{([A-Z][A-Z0-9_]*)(?::([-?])([^}]*))?\}")
ENV_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def read_env_file(path: Path) -> dict[str, str]:
    """Compose's .env syntax: 'single quotes' are literal, "double quotes" know \\n."""
    values = {}
    for line in path.read_text().splitlines():
        match = ENV_LINE.match(line)
        if not match:
            continue
        name, value = match.groups()
        if value[:1] == value[-1:] == "'" and len(value) > 1:
            value = value[1:-1]
        elif value[:1] == value[-1:] == '"' and len(value) > 1:
            value = value[1:-1].replace("\\n", "\n")
        values[name] = value
    return values


def interpolate(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if name is None:
            return "$"
        value = env.get(name, "")
        if value == "" and operator == "?":
            raise MissingVariable(f"{name}: {argument}")
        return argument if value == "" and operator == "-" else value

    return INTERPOLATION.sub(substitute, node)


def long_port(short: str) -> dict[str, Any]:
    *host_ip, published, target = short.split(":")
    return {
        "host_ip": host_ip[0] if host_ip else None,
        "published": published,
        "target": int(target),
    }


def long_volume(short: str) -> dict[str, str]:
    source, target, *_ = short.split(":")
    return {"source": source, "target": target}


def compose_model(env_file: Path) -> dict[str, Any]:
    """compose.yaml as `docker compose --profile monitoring config` would give it."""
    model = interpolate(yaml.safe_load(COMPOSE_FILE.read_text()), read_env_file(env_file))
    for service in model["services"].values():
        service["ports"] = [long_port(port) for port in service.get("ports", [])] or None
        service["volumes"] = [long_volume(volume) for volume in service.get("volumes", [])]
        if service["ports"] is None:
            del service["ports"]
    return model


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """.env as an operator makes it: .env.example with the secrets filled in."""
    path = tmp_path_factory.mktemp("compose") / ".env"
    path.write_text(make_env_module().fill(ENV_EXAMPLE.read_text()))
    return path


@pytest.fixture(scope="module")
def config(env_file: Path) -> dict[str, Any]:
    """The model compose makes of compose.yaml and that .env."""
    return compose_model(env_file)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def check_compose_schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
    )


def test_compose_yaml_matches_the_compose_specification_schema() -> None:
    result = check_compose_schema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_misspelt_key(tmp_path: Path) -> None:
    """The validator really reads the file: a typo in it fails."""
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE_FILE.read_text().replace("healthcheck:", "helthcheck:", 1))
    result = check_compose_schema(broken)
    assert result.returncode == 1
    assert "helthcheck" in result.stdout


def test_the_model_holds_every_service(config: dict[str, Any]) -> None:
    assert set(config["services"]) >= set(APP_SERVICES) | {"redis", "prometheus", "grafana"}


def test_compose_refuses_to_start_before_the_secrets_are_made() -> None:
    with pytest.raises(MissingVariable, match=r"run docker/make_env\.py"):
        compose_model(ENV_EXAMPLE)


def test_every_service_of_the_table_is_built_from_the_dockerfile(config: dict[str, Any]) -> None:
    built = {
        name: service["build"]["args"]["SERVICE"]
        for name, service in config["services"].items()
        if "build" in service
    }
    reconciler = built.pop("order-reconciler")
    for name, service in EVENT_PROCESSES.items():
        assert built.pop(name) == service.name
    assert built == {name: service.name for name, service in APP_SERVICES.items()}
    assert reconciler == SERVICES["order_svc"].name
    for service in config["services"].values():
        if "build" in service:
            assert service["image"].startswith(f"shop/{service['build']['args']['SERVICE']}:")


def test_orders_are_reconciled_by_the_order_image_with_its_environment(
    config: dict[str, Any],
) -> None:
    reconciler = config["services"]["order-reconciler"]
    orders = config["services"][k8s_name(SERVICES["order_svc"])]
    assert reconciler["command"][:3] == ["python", "manage.py", "reconcile_orders"]
    assert reconciler["image"] == orders["image"]
    assert reconciler["environment"] == {**orders["environment"], "MIGRATE": "0"}
    assert reconciler["depends_on"][k8s_name(SERVICES["order_svc"])]["condition"] == (
        "service_healthy"
    )


@pytest.mark.parametrize("name", sorted(EVENT_PROCESSES))
def test_each_event_process_runs_its_services_image_once_it_migrated(
    config: dict[str, Any], name: str
) -> None:
    process = config["services"][name]
    service = EVENT_PROCESSES[name]
    own = config["services"][k8s_name(service)]
    command = process["command"][2]
    assert process["command"] == ["python", "manage.py", command]
    assert command in service.event_commands
    assert process["image"] == own["image"]
    assert process["environment"] == {**own["environment"], "MIGRATE": "0"}
    assert process["healthcheck"] == {"disable": True}
    assert {k8s_name(service), "rabbitmq"} == set(process["depends_on"])
    assert all(dep["condition"] == "service_healthy" for dep in process["depends_on"].values())


def test_services_reach_rabbitmq_with_its_own_password(config: dict[str, Any]) -> None:
    rabbitmq = config["services"]["rabbitmq"]
    password = rabbitmq["environment"]["RABBITMQ_DEFAULT_PASS"]
    for service in EVENT_PROCESSES.values():
        url = urlsplit(config["services"][k8s_name(service)]["environment"]["AMQP_URL"])
        assert (url.hostname, url.port) == ("rabbitmq", 5672)
        assert (url.username, url.password) == (
            rabbitmq["environment"]["RABBITMQ_DEFAULT_USER"],
            password,
        )
    assert len(password) >= 32
    assert "rabbitmq" in {volume["source"] for volume in rabbitmq["volumes"]}


def test_only_the_gateway_is_published_and_on_its_own_port(config: dict[str, Any]) -> None:
    published = {
        name: service["ports"] for name, service in config["services"].items() if "ports" in service
    }
    gateway = SERVICES["gateway_svc"]
    assert [port["target"] for port in published.pop(k8s_name(gateway))] == [gateway.port]
    # Grafana (monitoring profile) is for the operator on the host only.
    assert [port["host_ip"] for port in published.pop("grafana")] == ["127.0.0.1"]
    assert published == {}
    assert config["networks"]["backend"]["internal"] is True


def test_services_reach_each_other_by_name_and_table_port(config: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        environment = config["services"][name]["environment"]
        for callee_name, callee in APP_SERVICES.items():
            url = environment.get(f"{callee.env_prefix}_URL")
            if url is not None:
                assert urlsplit(url).netloc == f"{callee_name}:{callee.port}"


def test_each_business_service_has_its_own_database(config: dict[str, Any]) -> None:
    volumes_seen = set()
    for name, service in APP_SERVICES.items():
        environment = config["services"][name]["environment"]
        urls = {key for key in environment if key.endswith("_DATABASE_URL")}
        if not service.has_database:
            assert urls == set()
            continue
        assert urls == {f"{service.env_prefix}_DATABASE_URL"}
        url = urlsplit(environment[f"{service.env_prefix}_DATABASE_URL"])
        database = config["services"][url.hostname]
        assert database["image"].startswith("postgres:")
        assert database["environment"] == {
            "POSTGRES_DB": url.path.lstrip("/"),
            "POSTGRES_USER": url.username,
            "POSTGRES_PASSWORD": url.password,
        }
        assert url.username == url.path.lstrip("/") == service.name
        assert "healthcheck" in database
        [volume] = [mount["source"] for mount in database["volumes"]]
        assert volume not in volumes_seen
        volumes_seen.add(volume)
    passwords = [
        service["environment"]["POSTGRES_PASSWORD"]
        for service in config["services"].values()
        if service["image"].startswith("postgres:")
    ]
    assert len(set(passwords)) == len(passwords) == len(volumes_seen)


def test_dependencies_are_awaited_until_healthy(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition["condition"] == "service_healthy", (name, dependency)
            assert not config["services"][dependency]["healthcheck"].get("disable")
    for name in APP_SERVICES:
        assert config["services"][name]["healthcheck"]["test"][-1] == "healthcheck", name
    gateway = config["services"][k8s_name(SERVICES["gateway_svc"])]
    assert set(gateway["depends_on"]) >= {k8s_name(s) for s in SERVICES.values()} - {
        k8s_name(SERVICES["gateway_svc"])
    }


def test_every_variable_a_container_gets_is_read_by_its_program(config: dict[str, Any]) -> None:
    unknown = {}
    for name, service in config["services"].items():
        names = set(service.get("environment", {}))
        if "build" in service:  # one of ours
            names -= code_env_names()
        else:
            image = service["image"].partition(":")[0]
            names = {n for n in names if not n.startswith(IMAGE_ENV_PREFIXES.get(image, ()))}
        if names:
            unknown[name] = sorted(names)
    assert unknown == {}


def test_env_example_defines_exactly_the_variables_compose_yaml_uses() -> None:
    defined = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    assert defined == used


def test_the_generated_secrets_reach_the_services_intact(
    config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PEM key and the JSON survive .env quoting and compose's interpolation."""
    environments = {name: config["services"][name]["environment"] for name in APP_SERVICES}
    users = environments.pop(k8s_name(SERVICES["user_svc"]))
    monkeypatch.setenv("JWT_PUBLIC_KEYS", users["JWT_PUBLIC_KEYS"])
    monkeypatch.setenv("JWT_PRIVATE_KEY", users["JWT_PRIVATE_KEY"])
    public_keys_setting(key_dir=tmp_path, debug=False)
    # Starting, user_svc's settings find its signing key among the public keys.
    started = started_settings("user_svc", users, tmp_path, "SERVICE_CLIENT_SECRETS")
    registered = started["SERVICE_CLIENT_SECRETS"]
    callers = {}
    for name, environment in environments.items():
        assert environment["JWT_PUBLIC_KEYS"] == users["JWT_PUBLIC_KEYS"]
        assert "JWT_PRIVATE_KEY" not in environment
        if "SERVICE_CLIENT_SECRET" in environment:
            callers[APP_SERVICES[name].name] = environment["SERVICE_CLIENT_SECRET"]
    assert registered == callers


def started_settings(
    service: str, environment: dict[str, str], var_dir: Path, *names: str
) -> dict[str, Any]:
    """The settings `names` of `service` started with `environment`, read in a process of
    its own (these tests never import a service's code)."""
    code = (
        "import json, sys, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *names],
        cwd=REPO / service,
        env={
            **environment,
            "PATH": os.environ["PATH"],
            "SHOP_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": f"{service}.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def start_order_svc_without_its_secret(
    config: dict[str, Any], var_dir: Path, *argv: str
) -> subprocess.CompletedProcess[str]:
    """`argv` run in order_svc with compose's environment for it, less its client secret:
    started, it would fail every order for want of a service token."""
    environment = dict(config["services"][k8s_name(SERVICES["order_svc"])]["environment"])
    del environment["SERVICE_CLIENT_SECRET"]
    return subprocess.run(
        [sys.executable, *argv],
        cwd=REPO / "order_svc",
        env={**environment, "PATH": os.environ["PATH"], "SHOP_VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_order_svc_without_its_client_secret_refuses_to_start_in_one_line(
    config: dict[str, Any], tmp_path: Path
) -> None:
    result = start_order_svc_without_its_secret(config, tmp_path, "manage.py", "check")

    assert result.returncode != 0
    [line] = result.stderr.splitlines()
    assert line.startswith("order_svc: SERVICE_CLIENT_SECRET must be set")


def test_gunicorn_refuses_to_serve_order_svc_without_its_client_secret(
    config: dict[str, Any], tmp_path: Path
) -> None:
    # As the image's entrypoint starts it: the application loaded once, in the master.
    result = start_order_svc_without_its_secret(
        config, tmp_path, "-m", "gunicorn", "--preload", "-b", "127.0.0.1:0", "order_svc.wsgi"
    )

    assert result.returncode != 0
    assert "SERVICE_CLIENT_SECRET must be set" in result.stderr.splitlines()[-1]


def test_make_env_fills_only_what_is_empty() -> None:
    make_env = make_env_module()
    filled = make_env.fill(ENV_EXAMPLE.read_text())
    assert make_env.EMPTY.findall(filled) == []
    assert make_env.fill(filled) == filled


def test_bind_mounted_files_exist_and_named_volumes_are_declared(raw: dict[str, Any]) -> None:
    used = set()
    for service in raw["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), source
            else:
                used.add(source)
    assert used == set(raw["volumes"])


def test_prometheus_scrapes_every_service_on_its_table_port() -> None:
    prometheus = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    scraped = {
        job["job_name"]: target
        for job in prometheus["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert scraped == {
        service.name: f"{k8s_name(service)}:{service.port}" for service in SERVICES.values()
    }
    # /metrics is Prometheus's default path, and the one every service serves.
    assert all("metrics_path" not in job for job in prometheus["scrape_configs"])


def promql_metric_names(expression: str) -> set[str]:
    """The metric names in a PromQL expression (label matchers and ranges left out)."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|by \([^)]*\)", "", expression)
    return set(re.findall(r"[a-z_][a-z0-9_]*", bare)) - PROMQL_WORDS


def test_the_dashboards_chart_series_that_the_code_exports() -> None:
    datasources = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    [uid] = [source["uid"] for source in datasources["datasources"]]
    dashboards = [json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))]
    assert dashboards
    unknown = set()
    for dashboard in dashboards:
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == uid
            for target in panel["targets"]:
                for name in promql_metric_names(target["expr"]):
                    series_of = {name, *(name.removesuffix(s) for s in HISTOGRAM_SUFFIXES)}
                    if not series_of & code_strings():
                        unknown.add(name)
                jobs = set(re.findall(r'job="([a-z_]+)"', target["expr"]))
                assert jobs <= set(SERVICES)
    assert unknown == set()


def test_grafana_loads_the_dashboards_from_where_compose_mounts_them(raw: dict[str, Any]) -> None:
    provider = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "dashboards" / "shop.yaml").read_text()
    )
    [folder] = [option["options"]["path"] for option in provider["providers"]]
    assert f"./{DASHBOARDS.relative_to(REPO)}:{folder}:ro" in raw["services"]["grafana"]["volumes"]
