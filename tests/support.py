"""Shared test helpers: evaluate the real program (``__main__.py``) on a config under the mock runtime."""

from __future__ import annotations

import copy
import functools
import json
import re
import runpy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.provider.experimental import host
from pulumi.provider.experimental.component import ComponentProvider

from keyvault_csi.kubernetes.driver import TYPE as DRIVER_TYPE
from keyvault_csi.program.stack import validate_stack_settings
from keyvault_csi.testing.mockgraph import DYNAMIC_NODE_IDENTITY, PLACEHOLDER_SUBSCRIPTION, Graph, evaluate

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"  # vendored copies of ../shared/reference (see its README)
CRD_PATH = REFERENCE / "crd" / "secretproviderclasses.crd.yaml"
SEEDS = REFERENCE / "seeds"
PROVIDER_EXAMPLES = REFERENCE / "provider-examples"  # the Azure provider's own classes (see its SOURCE.md)
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
# The Kubernetes schema version manifests are checked against (kubernetes-validate --strict).
K8S_VERSION = "1.37.0"

# Resource type tokens as the engine receives them.
TOP = "keyvault-csi:index:AksKeyVaultSecrets"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"
IDENTITY_BINDING = "azure-native:containerservice:IdentityBinding"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
NODE_IDENTITY = DYNAMIC_NODE_IDENTITY
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SPC = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
POD = "kubernetes:core/v1:Pod"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"
DRIVER = DRIVER_TYPE

# ARM ids of the node-identity tests: a scale set that already carries AKS's own identities.
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
MC_RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/MC_rg_aks_westeurope"
VMSS = f"{MC_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-np1-123-vmss"


def identity_id(name: str, rg: str = "rg-identities") -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}"
        f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )


# AKS returns its own identities with a lower-case "resourcegroups" segment.
KUBELET = identity_id("aks-agentpool", "MC_rg_aks_westeurope").replace("resourceGroups", "resourcegroups")
MONITORING = identity_id("omsagent-aks", "MC_rg_aks_westeurope")
OURS = identity_id("id-app")

IDENTITY_ID = identity_id("id-existing")

# AKS's two Entra applications, the same in every tenant (tests/reference/kubelogin/aks.md).
AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
AKS_CLIENT_APP = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"
# What listClusterUserCredentials answers for an AKS cluster with Entra ID integration (format exec, the
# default since Kubernetes 1.24): one user running `kubelogin get-token ... --login devicecode`, keys in
# client-go's order, as printed in pulumi/pulumi-azure-native#2399 (certificate and host made up here).
AKS_ENTRA_KUBECONFIG = f"""\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://aks-shop-dns-4f1c2a3b.hcp.westeurope.azmk8s.io:443
  name: aks-shop
contexts:
- context:
    cluster: aks-shop
    user: clusterUser_rg-shop_aks-shop
  name: aks-shop
current-context: aks-shop
kind: Config
preferences: {{}}
users:
- name: clusterUser_rg-shop_aks-shop
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - get-token
      - --environment
      - AzurePublicCloud
      - --server-id
      - {AKS_SERVER_APP}
      - --client-id
      - {AKS_CLIENT_APP}
      - --tenant-id
      - {TENANT}
      - --login
      - devicecode
      command: kubelogin
      env: null
      installHint: |2

        kubelogin is not installed which is required to connect to AAD enabled cluster.

        To learn more, please go to https://aka.ms/aks/kubelogin
      provideClusterInfo: false
"""


def base_settings(identity_type: str = "userAssigned") -> dict[str, Any]:
    """A valid environment (component-args shape) for the given identity mode."""
    identity: dict[str, Any] = {
        "userAssigned": {"type": "userAssigned", "name": "id-app", "resourceGroup": "rg-identities"},
        "existing": {"type": "userAssigned", "resourceId": IDENTITY_ID},
        "systemAssigned": {"type": "systemAssigned"},
        "kubelet": {"type": "kubelet", "cluster": {"resourceGroup": "rg-aks", "name": "aks"}},
        "aksAddon": {"type": "aksAddon", "cluster": {"resourceGroup": "rg-aks", "name": "aks"}},
        "workload": {
            "type": "workload",
            "name": "id-app",
            "resourceGroup": "rg-identities",
            "cluster": {"resourceGroup": "rg-aks", "name": "aks"},
        },
        "identityBinding": {
            "type": "identityBinding",
            "name": "id-app",
            "resourceGroup": "rg-identities",
            "cluster": {"resourceGroup": "rg-aks", "name": "aks"},
        },
    }[identity_type]
    settings: dict[str, Any] = {
        "tenantId": TENANT,
        "keyVault": {"name": "kvname", "resourceGroup": "rg-secrets", "permissionModel": "accessPolicy"},
        "identity": identity,
        "workloads": [
            {
                "name": "nginx",
                "namespace": "default",
                "objects": [
                    {"objectName": "secret1", "objectType": "secret", "objectVersion": ""},
                    {"objectName": "key1", "objectType": "key"},
                ],
                "pod": {"image": "nginx", "mountPath": "/mnt/secrets-store", "os": "linux"},
            }
        ],
    }
    if identity_type not in ("kubelet", "workload", "aksAddon", "identityBinding"):  # they refuse nodes
        settings["nodes"] = {
            "scaleSets": [
                {"resourceGroup": "MC_rg_aks_westeurope", "name": "aks-nodepool1-12345678-vmss"},
                {"resourceGroup": "MC_rg_aks_westeurope", "name": "aks-nodepool2-12345678-vmss"},
            ],
            "virtualMachines": [{"resourceGroup": "rg-k8s", "name": "k8s-agent-0"}],
        }
    return copy.deepcopy(settings)


def pod_workload(name: str, namespace: str = "default", **extra: Any) -> dict[str, Any]:
    """A workload with one secret and a Pod, in component-args shape."""
    return {
        "name": name,
        "namespace": namespace,
        "objects": [{"objectName": "secret1", "objectType": "secret"}],
        "pod": {"image": "nginx"},
        **extra,
    }


def shared_service_account_settings(identity_type: str) -> dict[str, Any]:
    """Two workloads sharing service account shop/shop-apps, a third with its own (finance/reports)."""
    settings = base_settings(identity_type)
    settings["workloads"] = [
        pod_workload("api", "shop", serviceAccount="shop-apps"),
        pod_workload("worker", "shop", serviceAccount="shop-apps"),
        pod_workload("reports", "finance"),
    ]
    return settings


def pod_named(graph: Graph, name: str) -> Any:
    """The graph's one Pod called ``name``."""
    (pod,) = [p for p in graph.by_type(POD) if p.inputs["metadata"]["name"] == name]
    return pod


def as_stack_config(settings: dict[str, Any]) -> dict[str, str]:
    """Component-args shape → the config map the Pulumi CLI hands the program."""
    config = {"pulumi:disable-default-providers": json.dumps(["azure-native", "kubernetes"])}
    for key, value in settings.items():
        config[f"keyvault-csi:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return config


def run_program(
    settings: dict[str, Any],
    *,
    vault_rbac: dict[str, bool] | None = None,
    stack: str = "test",
    clusters_without_oidc: tuple[str, ...] = (),
    aks_addons: dict[str, Any] | None = None,
    vault_access_policies: dict[str, list[dict[str, Any]]] | None = None,
    client_subscription: str = PLACEHOLDER_SUBSCRIPTION,
    extra_config: dict[str, str] | None = None,
    vault_properties: dict[str, dict[str, Any]] | None = None,
    unreadable_vaults: dict[str, str] | None = None,
) -> Graph:
    """Evaluate ``__main__.py`` with ``settings`` as stack config.

    The Azure provider answers ``client_subscription`` (default: the mock's placeholder); ``vault_access_policies`` are
    the entries a vault already has (by vault name); ``aks_addons``, ``vault_properties``, ``unreadable_vaults``:
    see ``PlaceholderMocks``.
    """
    return evaluate(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        as_stack_config(settings) | (extra_config or {}),
        stack=stack,
        vault_rbac=vault_rbac,
        clusters_without_oidc=clusters_without_oidc,
        aks_addons=aks_addons,
        vault_access_policies=vault_access_policies,
        client_subscription=client_subscription,
        vault_properties=vault_properties,
        unreadable_vaults=unreadable_vaults,
    )


@functools.cache
def stack_graph(stack: str) -> Graph:
    """A shipped stack's graph, evaluated once per test process: read it, never change it."""
    # Imported here: the benchmarks run programs through this module, and the plan tool's imports
    # (like pytest's) would be counted in their figures (more objects for every garbage collection).
    from tools.review.plan import evaluate_stack

    return evaluate_stack(stack)


def program_errors(config: dict[str, str]) -> tuple[Graph, list[pulumi.RunError]]:
    """Evaluate ``__main__.py`` on stack ``config`` and catch its RunErrors: the graph and the errors."""
    errors: list[pulumi.RunError] = []

    def program() -> None:
        try:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        except pulumi.RunError as error:
            errors.append(error)

    return evaluate(program, config), errors


def assert_run_error(settings: dict[str, Any], expected: Iterable[str]) -> None:
    """``settings`` fails validation with one RunError containing every fragment (none: it passes)."""
    expected = list(expected)
    if not expected:
        validate_stack_settings(settings)
        return
    try:
        validate_stack_settings(settings)
    except pulumi.RunError as error:
        message = str(error)
    else:
        raise AssertionError(f"no RunError; expected one with {expected}")
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


# What the provider's examples leave to the reader, filled in as a user would before applying them.
EXAMPLE_VALUES = {
    "KEYVAULT_NAME": "kvname",
    "AKV_NAME": "kvname",
    "TENANT_ID": TENANT,
    "USER_ASSIGNED_IDENTITY_CLIENT_ID": "00000000-0000-0000-0000-00000000c1e7",
    "SECRET_NAME": "secret1",
    "SECRET_VERSION": "0123456789abcdef0123456789abcdef",
    "KEY_NAME": "key1",
    "KEY_VERSION": "fedcba9876543210fedcba9876543210",
    "CERT_NAME": "tls-cert",
    "NAMESPACE": "default",
}
EXAMPLE_CLIENT_ID = "00000000-0000-0000-0000-00000000c1e7"  # for "<client id of ...>"


def provider_example_classes() -> list[tuple[str, dict[str, Any]]]:
    """Every SecretProviderClass of the vendored provider examples, as (file, manifest), in file order.

    A block written as a shell here-document (``cat <<EOF | kubectl apply -f -`` ... ``EOF``) is read
    as the shell hands it to kubectl; ``$VAR``/``${VAR}`` get :data:`EXAMPLE_VALUES` (an unknown one
    fails here) and ``<...>`` placeholders a client ID.
    """
    found = []
    for path in sorted(PROVIDER_EXAMPLES.rglob("*.yaml")):
        lines = path.read_text().splitlines()
        if lines[0].startswith("cat <<"):
            lines = lines[1 : lines.index("EOF")]
        text = re.sub(r"\$\{?([A-Z_]+)\}?", lambda m: EXAMPLE_VALUES[m[1]], "\n".join(lines))
        text = re.sub(r"<[^<>\n]+>", EXAMPLE_CLIENT_ID, text)
        for document in yaml.safe_load_all(text):
            if isinstance(document, dict) and document.get("kind") == "SecretProviderClass":
                found.append((path.relative_to(PROVIDER_EXAMPLES).as_posix(), document))
    return found


@functools.cache
def served() -> ComponentProvider:
    """The provider that provider/__main__.py hosts, run as the CLI runs it with the gRPC server left out."""
    hosted: list[ComponentProvider] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(host, "is_hosting", False)
        patch.setattr(host, "main", lambda provider, args: hosted.append(provider))
        runpy.run_path(str(ROOT / "provider"), run_name="__main__")
    (provider,) = hosted
    return provider


def construct(inputs: dict[str, Any]) -> tuple[Graph, dict[str, Any]]:
    """``inputs`` through the provider's construct (schema-name mapping included) under the mock runtime."""
    provider = served()

    def program() -> None:
        result = provider.construct("app", TOP, inputs, pulumi.ResourceOptions())
        pulumi.export("state", result.state)

    graph = evaluate(program)
    return graph, graph.stack_outputs["state"]
