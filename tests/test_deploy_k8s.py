"""The Kubernetes manifests under deploy/k8s/, checked offline.

`kubectl kustomize` (kustomize built into kubectl; no cluster needed) renders the base and
the example overlay; kubernetes-validate checks every rendered object strictly (unknown
fields fail) against the OpenAPI schemas it bundles. Where kubectl is missing, the base's
files are validated one by one and the kustomization's file list is checked by hand. Then
the objects are held against the code: services, ports, variables, probes, policies.
"""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from deploy_support import REPO, SERVICES, code_env_names, k8s_name

K8S = REPO / "deploy" / "k8s"
KUSTOMIZATIONS = [K8S / "base", K8S / "overlays" / "example"]
# A release that current managed clusters run; the manifests use nothing newer.
KUBERNETES_VERSION = "1.33.0"
SERVICES_BY_K8S_NAME = {k8s_name(service): service for service in SERVICES.values()}
RECONCILER = "order-svc-reconciler"
# Each service's event relay and consumer (Service.event_commands), as Deployments.
EVENT_DEPLOYMENTS = {
    f"{k8s_name(service)}-{role}": (service, command)
    for service in SERVICES.values()
    for command, role in (("relay_events", "relay"), ("consume_events", "consumer"))
    if command in service.event_commands
}
needs_kubectl = pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl not installed")

Objects = list[dict[str, Any]]


def build(directory: Path) -> Objects:
    result = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def overlay() -> Objects:
    if not shutil.which("kubectl"):
        pytest.skip("kubectl not installed")
    return build(K8S / "overlays" / "example")


def of_kind(objects: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def pod_specs(objects: Objects) -> dict[str, dict[str, Any]]:
    return {
        f"{obj['kind']}/{obj['metadata']['name']}": obj["spec"]["template"]["spec"]
        for obj in objects
        if obj["kind"] in {"Deployment", "Job"}
    }


def kustomization(directory: Path) -> dict[str, Any]:
    return yaml.safe_load((directory / "kustomization.yaml").read_text())


def validation_errors(obj: dict[str, Any]) -> str | None:
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return f"{obj['kind']}/{obj['metadata']['name']}: {error.message}"
    return None


@needs_kubectl
@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda path: path.name)
def test_every_rendered_object_matches_the_kubernetes_schema(directory: Path) -> None:
    errors = [error for obj in build(directory) if (error := validation_errors(obj))]
    assert errors == []


def test_every_resource_file_of_the_base_matches_the_schema_on_its_own() -> None:
    """Without kustomize: each file the base lists, as written."""
    base = K8S / "base"
    errors = [
        error
        for resource in kustomization(base)["resources"]
        for obj in yaml.safe_load_all((base / resource).read_text())
        if (error := validation_errors(obj))
    ]
    assert errors == []


def test_the_schema_check_rejects_a_misspelt_field() -> None:
    deployment = yaml.safe_load_all((K8S / "base" / "gateway-svc.yaml").read_text())
    broken = next(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert "readinesProbe" in (validation_errors(broken) or "")


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda path: path.name)
def test_the_kustomization_names_every_file_beside_it(directory: Path) -> None:
    spec = kustomization(directory)
    named = {
        *spec.get("resources", []),
        *(patch["path"] for patch in spec.get("patches", []) if "path" in patch),
        *(
            source.rpartition("=")[2]
            for generator in spec.get("configMapGenerator", []) + spec.get("secretGenerator", [])
            for source in generator.get("envs", []) + generator.get("files", [])
        ),
    }
    local = {name for name in named if not name.startswith("..")}
    assert all((directory / name).exists() for name in local)
    beside = {str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file()}
    assert beside - {"kustomization.yaml"} == local


def test_a_deployment_and_a_service_per_service_on_its_table_port(overlay: Objects) -> None:
    deployments, services = of_kind(overlay, "Deployment"), of_kind(overlay, "Service")
    assert set(services) == set(SERVICES_BY_K8S_NAME)
    assert set(deployments) == set(SERVICES_BY_K8S_NAME) | {RECONCILER} | set(EVENT_DEPLOYMENTS)
    for name, service in SERVICES_BY_K8S_NAME.items():
        [container] = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert container["image"].rpartition(":")[0].endswith(f"shop/{service.name}")
        assert container["ports"] == [{"name": "http", "containerPort": service.port}]
        assert services[name]["spec"]["ports"] == [
            {"name": "http", "port": service.port, "targetPort": "http"}
        ]


def test_every_serving_container_is_probed_and_every_container_bounded(overlay: Objects) -> None:
    for name, deployment in of_kind(overlay, "Deployment").items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        if name == RECONCILER or name in EVENT_DEPLOYMENTS:
            assert "readinessProbe" not in container  # it serves nothing
            continue
        # The gateway fails open without Redis, so its readiness is only that it runs.
        ready = "/healthz" if name == k8s_name(SERVICES["gateway_svc"]) else "/readyz"
        assert container["readinessProbe"]["httpGet"]["path"] == ready
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_orders_are_reconciled_by_one_pod_of_the_order_image(overlay: Objects) -> None:
    deployments = of_kind(overlay, "Deployment")
    reconciler, orders = deployments[RECONCILER], deployments[k8s_name(SERVICES["order_svc"])]
    assert reconciler["spec"]["replicas"] == 1
    assert reconciler["spec"]["strategy"] == {"type": "Recreate"}
    [container] = reconciler["spec"]["template"]["spec"]["containers"]
    [app] = orders["spec"]["template"]["spec"]["containers"]
    assert container["args"][:3] == ["python", "manage.py", "reconcile_orders"]
    assert (container["image"], container["envFrom"], container["env"]) == (
        app["image"],
        app["envFrom"],
        app["env"],
    )


def test_each_event_process_runs_its_services_image_and_reaches_rabbitmq(
    overlay: Objects,
) -> None:
    deployments = of_kind(overlay, "Deployment")
    for name, (service, command) in EVENT_DEPLOYMENTS.items():
        [container] = deployments[name]["spec"]["template"]["spec"]["containers"]
        [app] = deployments[k8s_name(service)]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["python", "manage.py", command]
        assert (container["image"], container["envFrom"], container["env"]) == (
            app["image"],
            app["envFrom"],
            app["env"],
        )
        assert "AMQP_URL" in {variable["name"] for variable in container["env"]}


def test_gateway_and_product_svc_scale_automatically(overlay: Objects) -> None:
    autoscalers = of_kind(overlay, "HorizontalPodAutoscaler")
    deployments = of_kind(overlay, "Deployment")
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()} == {
        k8s_name(SERVICES["gateway_svc"]),
        k8s_name(SERVICES["product_svc"]),
    }
    for hpa in autoscalers.values():
        target = deployments[hpa["spec"]["scaleTargetRef"]["name"]]
        # A `replicas` in the Deployment would fight the autoscaler at every apply.
        assert "replicas" not in target["spec"]
        assert hpa["spec"]["minReplicas"] >= 2


def test_a_migration_job_per_database_runs_as_its_service_does(overlay: Objects) -> None:
    jobs = of_kind(overlay, "Job")
    deployments = of_kind(overlay, "Deployment")
    with_database = {k8s_name(s) for s in SERVICES.values() if s.has_database}
    assert set(jobs) == {f"{name}-migrate" for name in with_database}
    for name in with_database:
        [job] = jobs[f"{name}-migrate"]["spec"]["template"]["spec"]["containers"]
        [app] = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert job["args"] == ["python", "manage.py", "migrate", "--noinput"]
        assert (job["image"], job["envFrom"], job["env"]) == (
            app["image"],
            app["envFrom"],
            app["env"],
        )


def test_no_pod_gets_kubernetes_service_links(overlay: Objects) -> None:
    """A Service `user-svc` would inject USER_SVC_PORT=tcp://..., which the service table
    reads as user_svc's port number."""
    assert all(spec["enableServiceLinks"] is False for spec in pod_specs(overlay).values())


def test_every_reference_to_a_config_or_secret_resolves(overlay: Objects) -> None:
    data = {
        (obj["kind"], obj["metadata"]["name"]): set(obj.get("data", {}))
        for obj in overlay
        if obj["kind"] in {"ConfigMap", "Secret"}
    }
    for pod, spec in pod_specs(overlay).items():
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                kind, ref = next(iter(source.items()))
                assert ("ConfigMap" if kind == "configMapRef" else "Secret", ref["name"]) in data
            for variable in container.get("env", []):
                ref = variable["valueFrom"]["secretKeyRef"]
                assert ref["key"] in data["Secret", ref["name"]], (pod, ref)


def test_every_variable_a_pod_gets_is_read_by_the_code(overlay: Objects) -> None:
    data = {
        obj["metadata"]["name"]: set(obj.get("data", {}))
        for obj in overlay
        if obj["kind"] in {"ConfigMap", "Secret"}
    }
    names = set()
    for spec in pod_specs(overlay).values():
        for container in spec["containers"]:
            names.update(variable["name"] for variable in container.get("env", []))
            for source in container.get("envFrom", []):
                names.update(data[next(iter(source.values()))["name"]])
    assert names - code_env_names() == set()


def test_each_service_holds_only_its_own_database_url(overlay: Objects) -> None:
    secrets = of_kind(overlay, "Secret")
    for name, service in SERVICES_BY_K8S_NAME.items():
        [own] = [
            secret for secret_name, secret in secrets.items() if secret_name.startswith(f"{name}-")
        ]
        urls = {key for key in own["data"] if key.endswith("_DATABASE_URL")}
        assert urls == ({f"{service.env_prefix}_DATABASE_URL"} if service.has_database else set())


def test_only_the_gateway_is_reachable_from_outside(overlay: Objects) -> None:
    policies = list(of_kind(overlay, "NetworkPolicy").values())
    [deny_all] = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny_all["spec"]["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny_all["spec"]
    gateway = k8s_name(SERVICES["gateway_svc"])
    open_to_all = {
        p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for p in policies
        for rule in p["spec"].get("ingress", [])
        if "from" not in rule
    }
    assert open_to_all == {gateway}
    selected = {
        p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        for p in policies
    }
    assert selected - {None} == set(SERVICES_BY_K8S_NAME)
    [ingress] = of_kind(overlay, "Ingress").values()
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {gateway}


def test_every_pod_runs_unprivileged_on_a_read_only_image(overlay: Objects) -> None:
    for pod, spec in pod_specs(overlay).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, pod
        assert spec["automountServiceAccountToken"] is False, pod
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, pod
            assert context["allowPrivilegeEscalation"] is False, pod
            assert context["capabilities"] == {"drop": ["ALL"]}, pod
            # gunicorn's heartbeats and the metrics folder need a writable /tmp.
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], pod
