"""The CSI volume helper and the SecretsStorePod component, validated against Kubernetes' own schema."""

from __future__ import annotations

import kubernetes_validate
import pulumi
import pytest
from pulumi_azure_native import authorization

from components.objects import KeyVaultObject
from components.pod import CSI_DRIVER, TYPE, SecretsStorePod, SecretsStorePodArgs, secrets_store_volume
from components.secret_provider_class import SecretProviderClass
from tools.mockgraph import evaluate

POD_TYPE = "kubernetes:core/v1:Pod"
K8S_VERSION = "1.37.0"
VOLUME = {"name": "secrets-store-inline", "csi": {"driver": CSI_DRIVER, "readOnly": True, "volumeAttributes": {"secretProviderClass": "kv-app"}}}


def pod_args(**overrides) -> SecretsStorePodArgs:
    return {"namespace": "apps", "podName": "kv-check", "image": "nginx:1.27", "secretProviderClass": "kv-app", **overrides}


def manifest_of(resource) -> dict:
    inputs = resource.inputs
    return {"apiVersion": inputs["apiVersion"], "kind": inputs["kind"], "metadata": inputs["metadata"], "spec": inputs["spec"]}


def declared_pod(**overrides) -> dict:
    graph = evaluate(lambda: SecretsStorePod("check", pod_args(**overrides)))
    return manifest_of(graph.one(POD_TYPE, "check"))


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
    assert spec["volumes"] == [VOLUME]
    (container,) = spec["containers"]
    assert container["volumeMounts"] == [{"name": "secrets-store-inline", "mountPath": mount_path, "readOnly": True}]
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
        {"name": "app", "image": "nginx:1.27", "volumeMounts": [{"name": "secrets-store-inline", "mountPath": "/mnt/secrets-store", "readOnly": True}]}
    ]
    assert "serviceAccountName" not in manifest["spec"]


def test_options_are_passed_through():
    manifest = declared_pod(
        mountPath="/run/secrets/kv", containerName="web", serviceAccountName="kv-reader", labels={"app": "web"}, os="linux"
    )
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    spec = manifest["spec"]
    assert spec["serviceAccountName"] == "kv-reader"
    assert spec["containers"][0]["name"] == "web"
    assert spec["containers"][0]["volumeMounts"][0]["mountPath"] == "/run/secrets/kv"
    assert manifest["metadata"]["labels"]["app"] == "web"


@pytest.mark.parametrize("mount_path", ["D:\\secrets", "c:/secrets"])
def test_windows_drive_paths(mount_path):
    manifest = declared_pod(os="windows", mountPath=mount_path)
    assert manifest["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == mount_path


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"os": "darwin"}, "'darwin' is not allowed; use one of: linux, windows"),
        ({"os": "windows", "mountPath": "/mnt/secrets-store"}, "'/mnt/secrets-store' is not allowed on windows"),
        ({"mountPath": "mnt/secrets-store"}, "'mnt/secrets-store' is not allowed on linux"),
        ({"mountPath": "C:\\mnt"}, "is not allowed on linux"),
    ],
)
def test_bad_os_and_mount_paths_fail_before_anything_is_declared(overrides, message):
    def program() -> None:
        with pytest.raises(ValueError, match=message):
            SecretsStorePod("check", pod_args(**overrides))

    assert evaluate(program).resources == []


def test_pod_waits_for_the_class_grants_and_nodes_but_not_for_component_options():
    """The class, a Key Vault grant and a node assignment stand in for what the Pod must wait for."""

    def program() -> None:
        spc = SecretProviderClass(
            "kv",
            {
                "namespace": "apps",
                "className": "kv-app",
                "keyvaultName": "kvname",
                "tenantId": "tid",
                "objects": [KeyVaultObject(objectName="secret1", objectType="secret")],
                "userAssignedIdentityId": "",
            },
        )
        grant = authorization.RoleAssignment(
            "grant", principal_id="p", role_definition_id="r", scope="/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kvname"
        )
        nodes = pulumi.CustomResource("test:index:NodeAssignments", "nodes", {})
        unrelated = pulumi.CustomResource("test:index:Unrelated", "unrelated", {})
        SecretsStorePod(
            "check",
            pod_args(secretProviderClass=spc.class_name, dependsOn=[spc, grant, nodes]),
            pulumi.ResourceOptions(depends_on=[unrelated]),
        )

    graph = evaluate(program)
    component = graph.one(TYPE, "check")
    pod = graph.one(POD_TYPE, "check")
    assert pod.parent == component.urn
    for name, type_ in [("kv", "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"), ("grant", "azure-native:authorization:RoleAssignment"), ("nodes", "test:index:NodeAssignments")]:
        assert graph.depends_on(pod, graph.one(type_, name)), name
    assert not graph.depends_on(pod, graph.one("test:index:Unrelated", "unrelated"))
    assert pod.inputs["spec"]["volumes"][0]["csi"]["volumeAttributes"] == {"secretProviderClass": "kv-app"}
    assert kubernetes_validate.validate(manifest_of(pod), K8S_VERSION, strict=True)


def test_outputs():
    def program() -> None:
        pod = SecretsStorePod("check", pod_args())
        pulumi.export("podName", pod.pod_name)
        pulumi.export("namespace", pod.namespace)

    assert evaluate(program).stack_outputs == {"podName": "kv-check", "namespace": "apps"}


def test_strict_validation_is_live():
    manifest = declared_pod()
    manifest["spec"]["containers"][0]["volumeMounts"][0]["readonly"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
