"""The Pods a workload runs and the CSI volume helper, validated against Kubernetes' own schema."""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
import pulumi
import pytest

from keyvault_csi.component import AksKeyVaultSecrets
from keyvault_csi.kubernetes.pod import pod_spec, secrets_store_volume, volume_and_mount
from keyvault_csi.model.settings import PodSettings
from keyvault_csi.rules.pod import CSI_DRIVER
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import ACCESS_POLICY, K8S_VERSION, NODE_IDENTITY, POD, SPC, base_settings, run_program, stack_graph
from tools.review.plan_files import kubernetes_manifests, manifest_of

VOLUME = {
    "name": "secrets-store-inline",
    "csi": {"driver": CSI_DRIVER, "readOnly": True, "volumeAttributes": {"secretProviderClass": "kv-app"}},
}


def pod_settings(identity: str = "kubelet", **pod: Any) -> dict[str, Any]:
    """Component arguments with one workload ``check`` in namespace ``apps`` whose Pod has ``pod`` over the defaults."""
    settings = base_settings(identity)
    settings["workloads"] = [
        {
            "name": "check",
            "namespace": "apps",
            "secretProviderClass": "kv-app",
            "objects": [{"objectName": "secret1", "objectType": "secret"}],
            "pod": {"name": "kv-check", "image": "nginx:1.27", **pod},
        }
    ]
    return settings


def declared_pod(**pod: Any) -> dict[str, Any]:
    graph = evaluate(lambda: AksKeyVaultSecrets("app", pod_settings(**pod)))
    return manifest_of(graph.one(POD, "app-apps-kv-check"))


def refused(settings: dict[str, Any]) -> str:
    """The RunError the component raises for ``settings``; nothing is declared."""
    errors: list[str] = []

    def program() -> None:
        try:
            AksKeyVaultSecrets("app", settings)
        except pulumi.RunError as error:
            errors.append(str(error))

    assert [r for r in evaluate(program).resources if r.type != "pulumi:pulumi:Stack"] == []
    (error,) = errors
    return error


def test_volume_helper_is_read_only_both_ways():
    volume, mount = secrets_store_volume("kv-app")
    assert (volume.name, volume.csi.driver, volume.csi.read_only, volume.csi.volume_attributes) == (
        "secrets-store-inline",
        "secrets-store.csi.k8s.io",
        True,
        {"secretProviderClass": "kv-app"},
    )
    assert (mount.name, mount.mount_path, mount.read_only) == ("secrets-store-inline", "/mnt/secrets-store", True)


def test_volume_helper_names():
    volume, mount = secrets_store_volume("other", volume_name="kv", mount_path="/secrets")
    assert volume.name == mount.name == "kv"
    assert mount.mount_path == "/secrets"


@pytest.mark.parametrize(
    ("os", "mount_path"),
    [("linux", "/mnt/secrets-store"), ("windows", "C:\\mnt\\secrets-store")],
)
def test_pod_is_strictly_valid_and_mounts_read_only(os, mount_path):
    manifest = declared_pod(os=os)
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    spec = manifest["spec"]
    assert spec["volumes"][0] == VOLUME
    (container,) = spec["containers"]
    assert container["volumeMounts"][0] == {"name": "secrets-store-inline", "mountPath": mount_path, "readOnly": True}
    assert spec["nodeSelector"] == {"kubernetes.io/os": os}
    assert spec["os"] == {"name": os}


def test_linux_is_the_default_and_names_are_explicit():
    manifest = declared_pod()
    assert manifest["apiVersion"] == "v1" and manifest["kind"] == "Pod"
    assert manifest["metadata"] == {
        "name": "kv-check",
        "namespace": "apps",
        "labels": {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "keyvault-csi"},
    }
    assert manifest["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert manifest["spec"]["containers"] == [
        {
            "name": "app",
            "image": "nginx:1.27",
            "volumeMounts": [
                {"name": "secrets-store-inline", "mountPath": "/mnt/secrets-store", "readOnly": True},
                {"name": "scratch-0", "mountPath": "/tmp"},
            ],
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
        }
    ]
    assert manifest["spec"]["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert manifest["spec"]["volumes"][1:] == [{"name": "scratch-0", "emptyDir": {}}]
    assert "serviceAccountName" not in manifest["spec"]


def test_mount_path_service_account_and_labels_reach_the_pod():
    manifest = declared_pod(mountPath="/run/secrets/kv", os="linux")
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    assert manifest["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == "/run/secrets/kv"
    settings = pod_settings("workload")
    graph = evaluate(lambda: AksKeyVaultSecrets("app", settings))
    manifest = manifest_of(graph.one(POD, "app-apps-kv-check"))
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    assert manifest["spec"]["serviceAccountName"] == "check"
    assert manifest["metadata"]["labels"]["azure.workload.identity/use"] == "true"


@pytest.mark.parametrize("mount_path", ["D:\\secrets", "c:/secrets"])
def test_windows_drive_paths(mount_path):
    manifest = declared_pod(os="windows", mountPath=mount_path)
    assert manifest["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == mount_path


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"os": "darwin"}, "workloads[0].pod.os: 'darwin' is not allowed; use one of: linux, windows"),
        ({"os": "windows", "mountPath": "/mnt/secrets-store"}, "'/mnt/secrets-store' is not allowed on windows"),
        ({"mountPath": "mnt/secrets-store"}, "'mnt/secrets-store' is not allowed on linux"),
        ({"mountPath": "C:\\mnt"}, "is not allowed on linux"),
    ],
)
def test_bad_os_and_mount_paths_fail_before_anything_is_declared(overrides, message):
    assert message in refused(pod_settings(**overrides))


def test_pod_waits_for_the_class_grants_and_nodes_but_not_for_component_options():
    def program() -> None:
        unrelated = pulumi.CustomResource("test:index:Unrelated", "unrelated", {})
        AksKeyVaultSecrets("app", pod_settings("userAssigned"), pulumi.ResourceOptions(depends_on=[unrelated]))

    graph = evaluate(program)
    pod = graph.one(POD, "app-apps-kv-check")
    assert graph.depends_on(pod, graph.one(SPC, "app-apps-kv-app"))
    assert graph.depends_on(pod, graph.by_type(ACCESS_POLICY)[0])
    assert all(graph.depends_on(pod, node) for node in graph.by_type(NODE_IDENTITY))
    assert not graph.depends_on(pod, graph.one("test:index:Unrelated", "unrelated"))
    assert pod.inputs["spec"]["volumes"][0]["csi"]["volumeAttributes"] == {"secretProviderClass": "kv-app"}
    assert kubernetes_validate.validate(manifest_of(pod), K8S_VERSION, strict=True)


def test_volume_and_mount_are_what_the_pod_mounts():
    volume, mount = volume_and_mount("kv-app")
    spec = declared_pod()["spec"]
    assert spec["volumes"][0] == volume == VOLUME
    assert spec["containers"][0]["volumeMounts"][0] == mount


def test_strict_validation_is_live():
    manifest = declared_pod()
    manifest["spec"]["containers"][0]["volumeMounts"][0]["readonly"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


# Fields the API server rejects on a Pod with spec.os.name: windows (Kubernetes' Pod validation for
# the Windows OS); kubernetes-validate checks only the schema, so the rule is encoded here.
WINDOWS_FORBIDDEN_POD = {
    "seLinuxOptions",
    "seccompProfile",
    "appArmorProfile",
    "fsGroup",
    "fsGroupChangePolicy",
    "sysctls",
    "runAsUser",
    "runAsGroup",
    "supplementalGroups",
    "supplementalGroupsPolicy",
    "seLinuxChangePolicy",
}
WINDOWS_FORBIDDEN_CONTAINER = {
    "seLinuxOptions",
    "seccompProfile",
    "appArmorProfile",
    "capabilities",
    "readOnlyRootFilesystem",
    "privileged",
    "allowPrivilegeEscalation",
    "procMount",
    "runAsUser",
    "runAsGroup",
}


def test_windows_pods_get_the_windows_subset():
    manifest = declared_pod(os="windows", image="mcr.microsoft.com/windows/servercore:ltsc2022")
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    spec = manifest["spec"]
    assert spec["securityContext"] == {"runAsNonRoot": True, "windowsOptions": {"runAsUserName": "ContainerUser"}}
    assert not WINDOWS_FORBIDDEN_POD & set(spec["securityContext"])
    assert not {"hostUsers", "shareProcessNamespace"} & set(spec)
    (container,) = spec["containers"]
    assert not WINDOWS_FORBIDDEN_CONTAINER & set(container.get("securityContext", {}))
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    assert [v["name"] for v in spec["volumes"]] == ["secrets-store-inline"]  # read-only root is Linux-only: no scratch


def test_linux_pods_carry_no_windows_options():
    spec = declared_pod()["spec"]
    assert (
        "windowsOptions" not in spec["securityContext"]
        and "windowsOptions" not in spec["containers"][0]["securityContext"]
    )


@pytest.mark.parametrize("os", ["linux", "windows"])
def test_run_as_root_is_one_line(os):
    manifest = declared_pod(os=os, securityContext={"runAsRoot": True})
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    spec = manifest["spec"]
    (container,) = spec["containers"]
    if os == "windows":
        assert "securityContext" not in spec and "securityContext" not in container
        return
    # Root, the runtime's capabilities and a writable root; still no escalation, seccomp, limits.
    assert spec["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": False}
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "128Mi"}
    assert [v["name"] for v in spec["volumes"]] == ["secrets-store-inline"]


def test_every_default_can_be_overridden():
    manifest = declared_pod(
        securityContext={
            "runAsUser": 10001,
            "addCapabilities": ["NET_BIND_SERVICE"],
            "seccompProfile": "Unconfined",
            "allowPrivilegeEscalation": True,
        },
        resources={"requests": {"cpu": "250m"}, "limits": {"memory": "32Mi", "ephemeral-storage": "1Gi"}},
        writablePaths=["/tmp", "/var/cache/nginx"],
    )
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    spec = manifest["spec"]
    assert spec["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "Unconfined"},
    }
    (container,) = spec["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": True,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
    }
    # A lowered memory limit lowers the default memory request with it.
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "32Mi"},
        "limits": {"cpu": "500m", "ephemeral-storage": "1Gi", "memory": "32Mi"},
    }
    assert [m["mountPath"] for m in container["volumeMounts"]] == ["/mnt/secrets-store", "/tmp", "/var/cache/nginx"]


def test_writable_root_needs_no_scratch():
    spec = declared_pod(securityContext={"readOnlyRootFilesystem": False})["spec"]
    assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False
    assert [v["name"] for v in spec["volumes"]] == ["secrets-store-inline"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"os": "windows", "securityContext": {"runAsUser": 1000}},
            "securityContext.runAsUser: Linux-only; the API server rejects it on a Windows Pod",
        ),
        (
            {"os": "windows", "securityContext": {"seccompProfile": "RuntimeDefault"}},
            "securityContext.seccompProfile: Linux-only",
        ),
        ({"securityContext": {"runAsUser": 0}}, "0 is root, which runAsNonRoot refuses; set runAsRoot: true"),
        (
            {"securityContext": {"addCapabilities": ["CAP_NET_ADMIN"]}},
            "'CAP_NET_ADMIN' is not allowed; a capability name without CAP_",
        ),
        (
            {"securityContext": {"seccompProfile": "Localhost"}},
            "'Localhost' is not allowed; use one of: RuntimeDefault, Unconfined",
        ),
        ({"resources": {"limits": {"memory": "128MB"}}}, "resources.limits.memory: '128MB' is not a resource quantity"),
        ({"resources": {"requests": {"gpu": "1"}}}, "unknown resource 'gpu'; allowed: cpu, memory, ephemeral-storage"),
        (
            {"resources": {"requests": {"memory": "1Gi"}}},
            "resources.requests.memory 1Gi exceeds resources.limits.memory 128Mi (default)",
        ),
        ({"writablePaths": ["/mnt/secrets-store"]}, "'/mnt/secrets-store' is where the Key Vault objects are mounted"),
        ({"writablePaths": ["tmp"]}, "writablePaths: mountPath 'tmp' is not allowed on linux"),
    ],
)
def test_bad_overrides_fail_before_anything_is_declared(overrides, message):
    assert re.search(re.escape(message), refused(pod_settings(**overrides)))


def _stack_pods(stack: str) -> dict[str, dict]:
    return {k: m for k, m in kubernetes_manifests(stack_graph(stack)).items() if m["kind"] == "Pod"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_our_stacks_run_hardened(stack):
    pods = _stack_pods(stack)
    assert pods
    for pod in pods.values():
        spec = pod["spec"]
        (container,) = spec["containers"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert container["resources"]["limits"] and container["resources"]["requests"]
        if spec["os"]["name"] == "linux":
            assert container["image"] == "nginxinc/nginx-unprivileged"
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }
        else:
            assert spec["securityContext"]["windowsOptions"] == {"runAsUserName": "ContainerUser"}


def test_prod_override_reaches_the_pod():
    (linux,) = [p for p in _stack_pods("prod").values() if p["spec"]["os"]["name"] == "linux"]
    assert linux["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}


@pytest.mark.parametrize(
    "stack", ["examples/user-assigned-msi", "examples/system-assigned-msi", "examples/kubelet-identity"]
)
def test_seed_examples_keep_nginx_with_the_root_override(stack):
    (pod,) = _stack_pods(stack).values()
    spec = pod["spec"]
    assert spec["containers"][0]["image"] == "nginx"
    assert "runAsNonRoot" not in spec["securityContext"]
    assert spec["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": False,
    }


def test_affinity_given_as_none_is_left_out() -> None:
    """An optional key given as None (as an embedding program may pass it) adds nothing to the spec."""
    assert "affinity" not in declared_pod(affinity=None)["spec"]
    given = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}
    assert declared_pod(affinity=given)["spec"]["affinity"] == given


def test_none_overrides_send_no_nulls() -> None:
    """An optional key given as None means "not set": no null reaches the engine (a dict would send it)."""

    def nulls(value: object) -> bool:
        if isinstance(value, dict):
            return any(v is None or nulls(v) for v in value.values())
        if isinstance(value, list):
            return any(nulls(v) for v in value)
        return False

    security = {"readOnlyRootFilesystem": None, "allowPrivilegeEscalation": None, "seccompProfile": None}
    pod = PodSettings.model_validate({"securityContext": security, "nodeSelector": None, "affinity": None})
    spec = pod_spec(pod, [volume_and_mount("kv-app")])
    assert not nulls(spec), spec


SHAPE = {
    "labels": {"team": "payments", "app.kubernetes.io/component": "api"},
    "annotations": {"prometheus.io/scrape": "true", "Example.com/Owner": "payments team"},
    "tolerations": [
        {"key": "dedicated", "value": "secrets", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
    ],
    "imagePullSecrets": ["acr-pull"],
    "command": ["/usr/sbin/nginx"],
    "args": ["-g", "daemon off;"],
    "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090, "name": "metrics"}],
}


def test_pod_settings_reach_the_pod_through_stack_config() -> None:
    settings = pod_settings("workload", **SHAPE)
    (pod,) = run_program(settings).by_type(POD)
    manifest = manifest_of(pod)
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    metadata, spec = manifest["metadata"], manifest["spec"]
    # The user's labels next to ours: the project's and workload identity's opt-in.
    assert metadata["labels"] == {
        "team": "payments",
        "app.kubernetes.io/component": "api",
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/part-of": "keyvault-csi",
        "azure.workload.identity/use": "true",
    }
    assert metadata["annotations"] == SHAPE["annotations"]
    assert spec["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "secrets", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
    ]
    assert spec["imagePullSecrets"] == [{"name": "acr-pull"}]
    (container,) = spec["containers"]
    assert (container["command"], container["args"]) == (["/usr/sbin/nginx"], ["-g", "daemon off;"])
    assert container["ports"] == [
        {"containerPort": 8080, "protocol": "TCP", "name": "http"},
        {"containerPort": 9090, "protocol": "TCP", "name": "metrics"},
    ]
    # The hardening and the mount stay as they were.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["volumes"][0]["csi"]["volumeAttributes"] == {"secretProviderClass": "kv-app"}


def test_unset_shape_keys_leave_the_pod_as_before() -> None:
    spec = declared_pod()["spec"]
    assert not {"tolerations", "imagePullSecrets"} & set(spec)
    assert not {"command", "args", "ports"} & set(spec["containers"][0])
    assert "annotations" not in declared_pod()["metadata"]
