"""Bad input: every problem a user can cause is one RunError naming key path, value and what is allowed."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from keyvault_csi import AksKeyVaultSecrets
from keyvault_csi.model.validate import validate_settings
from keyvault_csi.program.stack import validate_stack_settings
from keyvault_csi.rules.choices import KubeloginMode
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import IDENTITY_ID, TENANT, as_stack_config, assert_run_error, base_settings, program_errors

Mutation = Callable[[dict[str, Any]], None]


def obj(settings: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return settings["workloads"][0]["objects"][index]


def set_in(path: str, value: Any) -> Mutation:
    """Mutation setting a dotted path (numeric parts index lists)."""

    def mutate(settings: dict[str, Any]) -> None:
        target: Any = settings
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        target[parts[-1]] = value

    return mutate


def drop(path: str) -> Mutation:
    def mutate(settings: dict[str, Any]) -> None:
        target: Any = settings
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[parts[-1]]

    return mutate


CASES: list[tuple[str, str, Mutation, list[str]]] = [
    # Key Vault names: Azure's rule, stricter than the provider's.
    ("kv-too-short", "userAssigned", set_in("keyVault.name", "kv"), ["keyVault.name", "'kv'", "3-24"]),
    ("kv-too-long", "userAssigned", set_in("keyVault.name", "k" * 25), ["keyVault.name", "3-24"]),
    (
        "kv-starts-digit",
        "userAssigned",
        set_in("keyVault.name", "1vault"),
        ["keyVault.name", "'1vault'", "starting with a letter"],
    ),
    (
        "kv-ends-hyphen",
        "userAssigned",
        set_in("keyVault.name", "vault-"),
        ["keyVault.name", "ending with a letter or digit"],
    ),
    (
        "kv-double-hyphen",
        "userAssigned",
        set_in("keyVault.name", "my--vault"),
        ["keyVault.name", "'my--vault'", "no '--'"],
    ),
    ("kv-underscore", "userAssigned", set_in("keyVault.name", "my_vault"), ["keyVault.name", "'my_vault'"]),
    (
        "permission-model",
        "userAssigned",
        set_in("keyVault.permissionModel", "iam"),
        ["keyVault.permissionModel: 'iam' is not allowed; use one of: accessPolicy, rbac, auto"],
    ),
    (
        "tenant-not-guid",
        "userAssigned",
        set_in("tenantId", "contoso.onmicrosoft.com"),
        ["tenantId", "'contoso.onmicrosoft.com'", "GUID"],
    ),
    ("tenant-missing", "userAssigned", drop("tenantId"), ["tenantId: required"]),
    # Objects (docs/azure-rules.md §objects-yaml and the §objects-* rules).
    (
        "object-type-case",
        "userAssigned",
        lambda s: obj(s).update(objectType="Secret"),
        ["objects[0].objectType", "'Secret'", "secret, key, cert"],
    ),
    (
        "object-type-unknown",
        "userAssigned",
        lambda s: obj(s).update(objectType="certificate"),
        ["objects[0].objectType", "'certificate'"],
    ),
    ("pfx-on-key", "userAssigned", lambda s: obj(s, 1).update(objectFormat="pfx"), ["objects[1]", "pfx", "secret"]),
    (
        "format-unknown",
        "userAssigned",
        lambda s: obj(s).update(objectFormat="der"),
        ["objects[0].objectFormat", "'der'"],
    ),
    (
        "encoding-on-key",
        "userAssigned",
        lambda s: obj(s, 1).update(objectEncoding="base64"),
        ["objects[1]", "objectEncoding", "secret"],
    ),
    (
        "encoding-unknown",
        "userAssigned",
        lambda s: obj(s).update(objectEncoding="utf8"),
        ["objects[0].objectEncoding", "'utf8'"],
    ),
    (
        "alias-absolute",
        "userAssigned",
        lambda s: obj(s).update(objectAlias="/etc/passwd"),
        ["objects[0]", "'/etc/passwd'"],
    ),
    ("alias-dotdot", "userAssigned", lambda s: obj(s).update(objectAlias="../escape"), ["objects[0]", "'../escape'"]),
    (
        "file-permission-not-octal",
        "userAssigned",
        lambda s: obj(s).update(filePermission="0999"),
        ["objects[0]", "'0999'"],
    ),
    ("file-permission-decimal", "userAssigned", lambda s: obj(s).update(filePermission="420"), []),  # valid octal text
    (
        "version-history-negative",
        "userAssigned",
        lambda s: obj(s).update(objectVersionHistory=-1),
        ["objects[0].objectVersionHistory", "-1"],
    ),
    (
        "object-name-chars",
        "userAssigned",
        lambda s: obj(s).update(objectName="my_secret"),
        ["objects[0].objectName", "'my_secret'"],
    ),
    ("object-name-too-long", "userAssigned", lambda s: obj(s).update(objectName="a" * 128), ["objects[0].objectName"]),
    (
        "same-file-twice",
        "userAssigned",
        lambda s: obj(s, 1).update(objectAlias="secret1"),
        ["workloads[0]", "'secret1'", "objectAlias"],
    ),
    ("no-objects", "userAssigned", set_in("workloads.0.objects", []), ["workloads[0].objects", "at least 1"]),
    # Unknown keys with "did you mean".
    (
        "object-name-typo",
        "userAssigned",
        lambda s: obj(s).update(objectNmae="x"),
        ["objects[0].objectNmae", "did you mean 'objectName'"],
    ),
    (
        "provider-param-copied",
        "userAssigned",
        set_in("workloads.0.userAssignedIdentityId", "abc"),
        ["workloads[0].userAssignedIdentityId", "derived from keyvault-csi:identity"],
    ),
    (
        "vault-key-typo",
        "userAssigned",
        set_in("keyVault.resourcegroup", "rg"),
        ["keyVault.resourcegroup", "did you mean 'resourceGroup'"],
    ),
    ("top-level-typo", "userAssigned", set_in("workload", []), ["keyvault-csi:workload:", "did you mean 'workloads'"]),
    # Identity.
    (
        "identity-type",
        "userAssigned",
        set_in("identity.type", "podIdentity"),
        ["identity.type: 'podIdentity' is not allowed; use one of: userAssigned, systemAssigned, kubelet"],
    ),
    (
        "user-needs-name-or-id",
        "userAssigned",
        drop("identity.name"),
        ["identity", "either name + resourceGroup", "resourceId"],
    ),
    ("user-both-forms", "existing", set_in("identity.name", "id-app"), ["identity", "resourceId"]),
    (
        "identity-id-malformed",
        "existing",
        set_in("identity.resourceId", "/subscriptions/x/id-app"),
        ["identity.resourceId", "'/subscriptions/x/id-app'", "userAssignedIdentities"],
    ),
    (
        "system-takes-no-name",
        "systemAssigned",
        set_in("identity.name", "id-app"),
        ["identity", "systemAssigned", "name"],
    ),
    ("kubelet-needs-cluster", "kubelet", drop("identity.cluster"), ["identity", "kubelet", "cluster"]),
    ("identity-name-empty", "userAssigned", set_in("identity.name", ""), ["identity.name", "must not be empty"]),
    # Nodes required / refused per type.
    ("nodes-required-user", "userAssigned", drop("nodes"), ["keyvault-csi:nodes", "userAssigned needs at least one"]),
    (
        "nodes-required-system",
        "systemAssigned",
        set_in("nodes", {"scaleSets": [], "virtualMachines": []}),
        ["keyvault-csi:nodes", "systemAssigned"],
    ),
    (
        "nodes-refused-kubelet",
        "kubelet",
        set_in("nodes", {"scaleSets": [{"resourceGroup": "rg", "name": "vmss"}]}),
        ["keyvault-csi:nodes", "refused for identity type kubelet"],
    ),
    ("node-name-empty", "userAssigned", set_in("nodes.scaleSets.0.name", ""), ["nodes.scaleSets[0].name", "''"]),
    (
        "node-rg-bad",
        "userAssigned",
        set_in("nodes.virtualMachines.0.resourceGroup", "rg/evil"),
        ["nodes.virtualMachines[0].resourceGroup", "'rg/evil'"],
    ),
    (
        "node-listed-twice",
        "userAssigned",
        lambda s: s["nodes"]["scaleSets"].append(dict(s["nodes"]["scaleSets"][0])),
        ["nodes", "listed 2 times"],
    ),
    # Kubernetes names, paths, clouds, OS.
    (
        "namespace-uppercase",
        "userAssigned",
        set_in("workloads.0.namespace", "Default"),
        ["workloads[0].namespace", "'Default'", "DNS-1123 label"],
    ),
    (
        "workload-name-underscore",
        "userAssigned",
        set_in("workloads.0.name", "my_app"),
        ["workloads[0].name", "'my_app'"],
    ),
    (
        "class-name-bad",
        "userAssigned",
        set_in("workloads.0.secretProviderClass", "Azure_KV"),
        ["workloads[0].secretProviderClass", "'Azure_KV'", "DNS-1123 subdomain"],
    ),
    ("pod-name-bad", "userAssigned", set_in("workloads.0.pod.name", "-pod"), ["workloads[0].pod.name", "'-pod'"]),
    (
        "mount-relative",
        "userAssigned",
        set_in("workloads.0.pod.mountPath", "mnt/secrets"),
        ["workloads[0].pod", "'mnt/secrets'", "absolute"],
    ),
    (
        "mount-unix-path-on-windows",
        "userAssigned",
        lambda s: s["workloads"][0]["pod"].update(os="windows", mountPath="/mnt/secrets-store"),
        ["workloads[0].pod", "'/mnt/secrets-store'", "not allowed on windows", "drive path"],
    ),
    (
        "os-unknown",
        "userAssigned",
        set_in("workloads.0.pod.os", "darwin"),
        ["workloads[0].pod.os: 'darwin' is not allowed; use one of: linux, windows"],
    ),
    (
        "cloud-unknown",
        "userAssigned",
        set_in("workloads.0.cloudName", "AzureMoonCloud"),
        ["workloads[0].cloudName", "'AzureMoonCloud'", "AzurePublicCloud"],
    ),
    (
        "stack-cloud-needs-file",
        "userAssigned",
        set_in("workloads.0.cloudName", "AzureStackCloud"),
        ["workloads[0]", "cloudEnvFileName"],
    ),
    (
        "class-twice-in-namespace",
        "userAssigned",
        lambda s: s["workloads"].append(
            {**s["workloads"][0], "name": "other", "secretProviderClass": "azure-kvname-nginx", "pod": None}
        ),
        ["workloads [0, 1]", "'azure-kvname-nginx'", "twice in namespace 'default'"],
    ),
    (
        "pod-twice-in-namespace",
        "userAssigned",
        lambda s: s["workloads"].append(
            {**s["workloads"][0], "name": "other", "pod": {"name": "nginx-secrets-store-inline"}}
        ),
        ["workloads [0, 1]", "Pod 'nginx-secrets-store-inline' declared twice"],
    ),
    (
        "workload-name-twice",
        "userAssigned",
        lambda s: s["workloads"].append({**s["workloads"][0], "namespace": "other"}),
        ["the name 'nginx' is used more than once"],
    ),
    ("no-workloads", "userAssigned", set_in("workloads", []), ["workloads", "at least 1"]),
    (
        "kubernetes-two-sources",
        "userAssigned",
        set_in("kubernetes", {"kubeconfig": "apiVersion: v1", "cluster": {"resourceGroup": "rg", "name": "aks"}}),
        ["kubernetes", "not both"],
    ),
    # kubernetes.login converts only the kubeconfig read from the cluster (docs/entra-id.md).
    (
        "kubernetes-login-with-kubeconfig",
        "userAssigned",
        set_in("kubernetes", {"kubeconfig": "apiVersion: v1", "login": "spn"}),
        [
            "keyvault-csi:kubernetes.login: login applies only to the kubeconfig read from cluster",
            "a kubeconfig given here is used as written: convert it with `kubelogin convert-kubeconfig -l spn`",
        ],
    ),
    (
        "kubernetes-login-ambient",
        "userAssigned",
        set_in("kubernetes", {"login": "msi"}),
        ["keyvault-csi:kubernetes.login: login applies only", "the ambient kubeconfig (KUBECONFIG or ~/.kube/config)"],
    ),
    (
        "kubernetes-login-devicecode",
        "userAssigned",
        set_in("kubernetes", {"cluster": {"resourceGroup": "rg", "name": "aks"}, "login": "devicecode"}),
        ["keyvault-csi:kubernetes.login: 'devicecode' signs in interactively", "allowed: azurecli, workloadidentity"],
    ),
    (
        "kubernetes-login-unknown",
        "userAssigned",
        set_in("kubernetes", {"cluster": {"resourceGroup": "rg", "name": "aks"}, "login": "ropc"}),
        ["keyvault-csi:kubernetes.login: 'ropc' is not a kubelogin mode keyvault-csi uses"],
    ),
    (
        "kubernetes-login-not-text",
        "userAssigned",
        set_in("kubernetes", {"cluster": {"resourceGroup": "rg", "name": "aks"}, "login": ["spn"]}),
        ["keyvault-csi:kubernetes.login: ['spn'] is not allowed; use one of: azurecli, workloadidentity, spn, msi"],
    ),
    # Workload identity.
    (
        "workload-needs-cluster",
        "workload",
        drop("identity.cluster"),
        ["keyvault-csi:identity:", "type workload takes name + resourceGroup", "cluster"],
    ),
    (
        "workload-needs-name",
        "workload",
        drop("identity.name"),
        ["keyvault-csi:identity:", "type workload", "got ['cluster', 'resourceGroup']"],
    ),
    (
        "workload-no-resource-id",
        "workload",
        set_in("identity.resourceId", IDENTITY_ID),
        ["keyvault-csi:identity:", "type workload", "resourceId"],
    ),
    (
        "workload-refuses-nodes",
        "workload",
        set_in("nodes", {"scaleSets": [{"resourceGroup": "rg", "name": "vmss"}]}),
        ["keyvault-csi:nodes: refused for identity type workload"],
    ),
    (
        "cluster-other-subscription",
        "workload",
        set_in("identity.cluster.subscriptionId", "00000000-0000-0000-0000-000000000001"),
        ["keyvault-csi:identity", "cluster.subscriptionId is not supported"],
    ),
    (
        "service-account-without-workload",
        "kubelet",
        set_in("workloads.0.serviceAccount", "app"),
        [
            "keyvault-csi:workloads[0].serviceAccount: "
            "only used with identity type workload or identityBinding (got 'kubelet')"
        ],
    ),
    (
        "service-account-default",
        "workload",
        set_in("workloads.0.serviceAccount", "default"),
        ["keyvault-csi:workloads[0].serviceAccount", "'default' is not allowed", "dedicated service account"],
    ),
    (
        "service-account-invalid",
        "workload",
        set_in("workloads.0.serviceAccount", "App_SA"),
        ["keyvault-csi:workloads[0].serviceAccount", "'App_SA'", "DNS-1123 subdomain"],
    ),
    ("service-account-dotted", "workload", set_in("workloads.0.serviceAccount", "app.reader"), []),
    # Pod hardening overrides.
    ("run-as-root-one-line", "userAssigned", set_in("workloads.0.pod.securityContext", {"runAsRoot": True}), []),
    (
        "security-key-typo",
        "userAssigned",
        set_in("workloads.0.pod.securityContext", {"runAsroot": True}),
        ["keyvault-csi:workloads[0].pod.securityContext.runAsroot", "did you mean 'runAsRoot'"],
    ),
    (
        "run-as-uid-0",
        "userAssigned",
        set_in("workloads.0.pod.securityContext", {"runAsUser": 0}),
        ["keyvault-csi:workloads[0].pod", "runAsUser: 0 is root", "set runAsRoot: true"],
    ),
    (
        "run-as-user-text",
        "userAssigned",
        set_in("workloads.0.pod.securityContext", {"runAsUser": "nginx"}),
        ["keyvault-csi:workloads[0].pod.securityContext.runAsUser", "'nginx'"],
    ),
    (
        "linux-only-on-windows",
        "userAssigned",
        lambda s: s["workloads"][0]["pod"].update(
            os="windows",
            mountPath="C:\\mnt\\kv",
            securityContext={"readOnlyRootFilesystem": True, "addCapabilities": ["NET_ADMIN"]},
        ),
        [
            "keyvault-csi:workloads[0].pod",
            "securityContext.readOnlyRootFilesystem: Linux-only",
            "securityContext.addCapabilities: Linux-only",
            "spec.os.name: windows",
        ],
    ),
    (
        "capability-prefixed",
        "userAssigned",
        set_in("workloads.0.pod.securityContext", {"addCapabilities": ["CAP_CHOWN"]}),
        ["keyvault-csi:workloads[0].pod", "'CAP_CHOWN'", "without CAP_"],
    ),
    (
        "seccomp-unknown",
        "userAssigned",
        set_in("workloads.0.pod.securityContext", {"seccompProfile": "Localhost"}),
        ["keyvault-csi:workloads[0].pod", "'Localhost'", "RuntimeDefault, Unconfined"],
    ),
    (
        "quantity-bad",
        "userAssigned",
        set_in("workloads.0.pod.resources", {"limits": {"memory": "1 GB"}}),
        ["keyvault-csi:workloads[0].pod", "resources.limits.memory: '1 GB' is not a resource quantity"],
    ),
    (
        "request-above-limit",
        "userAssigned",
        set_in("workloads.0.pod.resources", {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}),
        [
            "keyvault-csi:workloads[0].pod",
            "resources.requests.cpu 2 exceeds resources.limits.cpu 1;",
            "raise the limit or lower the request",
        ],
    ),
    (
        "request-above-default-limit",
        "userAssigned",
        set_in("workloads.0.pod.resources", {"requests": {"memory": "1Gi"}}),
        ["resources.requests.memory 1Gi exceeds resources.limits.memory 128Mi (default)"],
    ),
    (
        "resource-unknown",
        "userAssigned",
        set_in("workloads.0.pod.resources", {"limits": {"nvidia.com/gpu": "1"}}),
        ["keyvault-csi:workloads[0].pod", "unknown resource 'nvidia.com/gpu'"],
    ),
    (
        "resources-key-typo",
        "userAssigned",
        set_in("workloads.0.pod.resources", {"limit": {"cpu": "1"}}),
        ["keyvault-csi:workloads[0].pod.resources.limit", "did you mean 'limits'"],
    ),
    (
        "writable-path-is-mount",
        "userAssigned",
        set_in("workloads.0.pod.writablePaths", ["/mnt/secrets-store"]),
        ["keyvault-csi:workloads[0].pod", "'/mnt/secrets-store' is where the Key Vault objects are mounted"],
    ),
    (
        "writable-path-relative",
        "userAssigned",
        set_in("workloads.0.pod.writablePaths", ["tmp"]),
        ["keyvault-csi:workloads[0].pod", "'tmp' is not allowed on linux"],
    ),
]


@pytest.mark.parametrize(("label", "mode", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_run_error(label: str, mode: str, mutate: Mutation, expected: list[str]) -> None:
    settings = base_settings(mode)
    mutate(settings)
    assert_run_error(settings, expected)


@pytest.mark.parametrize("mode", ["userAssigned", "existing", "systemAssigned", "kubelet", "workload"])
def test_valid_modes_pass(mode: str) -> None:
    settings = validate_settings(base_settings(mode))
    assert settings.identity.type == ("userAssigned" if mode == "existing" else mode)


def test_kubernetes_login_is_a_mode_for_the_named_cluster() -> None:
    settings = base_settings()
    settings["kubernetes"] = {"cluster": {"resourceGroup": "rg", "name": "aks"}}
    kubernetes = validate_stack_settings(settings).kubernetes
    assert kubernetes is not None and kubernetes.login is None  # program/providers.py then uses azurecli
    settings["kubernetes"]["login"] = "workloadidentity"
    kubernetes = validate_stack_settings(settings).kubernetes
    assert kubernetes is not None and kubernetes.login is KubeloginMode.WORKLOADIDENTITY


def test_all_problems_are_reported_at_once() -> None:
    """Every single-key problem at once; the rules across keys (all of them at once) when those are fixed."""
    settings = base_settings("kubelet")
    settings["keyVault"]["name"] = "1kv"
    settings["tenantId"] = "nope"
    settings["nodes"] = {"scaleSets": [{"resourceGroup": "rg", "name": "vmss"}]}
    settings["workloads"].append(copy.deepcopy({**settings["workloads"][0], "pod": None}))
    obj(settings).update(objectType="Secret", objectNmae="x")
    with pytest.raises(pulumi.RunError) as caught:
        validate_settings(settings, prefix="keyvault-csi:")
    message = str(caught.value)
    assert "(4 problems)" in message, message
    for fragment in ("keyVault.name", "tenantId", "objectType", "objectNmae"):
        assert fragment in message
    settings["keyVault"]["name"], settings["tenantId"] = "kvname", TENANT
    obj(settings).update(objectType="secret")
    del obj(settings)["objectNmae"]
    with pytest.raises(pulumi.RunError) as caught:
        validate_settings(settings, prefix="keyvault-csi:")
    message = str(caught.value)
    assert "(3 problems)" in message, message
    for fragment in (
        "nodes: refused",
        "SecretProviderClass 'azure-kvname-nginx' declared twice",
        "'nginx' is used more",
    ):
        assert fragment in message


def test_bad_config_declares_nothing() -> None:
    """Validation runs before the first resource: a broken stack registers no resource at all."""
    settings = base_settings()
    settings["keyVault"]["name"] = "kv--bad"
    graph, errors = program_errors(as_stack_config(settings))
    assert graph.resources == []
    assert len(errors) == 1 and "keyvault-csi:keyVault.name: 'kv--bad'" in str(errors[0])


def test_embedded_component_validates_before_declaring() -> None:
    settings = base_settings()
    obj(settings).update(objectType="password")
    errors: list[pulumi.RunError] = []

    def program() -> None:
        try:
            AksKeyVaultSecrets("app", settings)  # type: ignore[arg-type]
        except pulumi.RunError as error:
            errors.append(error)

    graph = evaluate(program)
    assert graph.resources == []
    assert "workloads[0].objects[0].objectType" in str(errors[0]) and "'password'" in str(errors[0])


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        ("deployment", {"image": "nginx", "name": ["x"]}, "workloads[0].deployment.name"),
        ("pod", {"image": "nginx", "name": ["x"]}, "workloads[0].pod.name"),
        ("namespace", ["team"], "workloads[0].namespace"),
    ],
)
def test_a_name_of_the_wrong_type_is_one_problem_not_a_crash(where: str, value: object, path: str) -> None:
    """The declared-twice checks key on names; a list there is reported by the field's own check."""
    settings = base_settings("userAssigned")
    workload = settings["workloads"][0]
    if where == "deployment":
        workload.pop("pod", None)
    workload[where] = value
    with pytest.raises(pulumi.RunError, match=re.escape(f"{path}: Input should be a valid string")):
        validate_settings(settings)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("securityContext", {"runAsUser": True}),
        ("tolerations", [{"key": "k", "effect": "NoExecute", "tolerationSeconds": True}]),
        ("ports", [{"containerPort": True}]),
    ],
)
def test_a_boolean_is_not_an_integer(key: str, value: Any) -> None:
    """`runAsUser: true` would run the Pod as UID 1: integers are strict (whole floats from other languages pass)."""
    settings = base_settings("workload")
    settings["workloads"][0]["pod"][key] = value
    with pytest.raises(pulumi.RunError, match=r"Input should be a valid integer; got True"):
        validate_settings(settings)


def test_a_boolean_is_not_a_replica_count() -> None:
    deployment = base_settings("workload")
    deployment["workloads"][0]["deployment"] = {"image": "nginx", "replicas": True}
    del deployment["workloads"][0]["pod"]
    with pytest.raises(pulumi.RunError, match=r"deployment\.replicas: Input should be a valid integer; got True"):
        validate_settings(deployment)
