"""Shared test helpers: evaluate the real program (``__main__.py``) on a config under the mock runtime."""

from __future__ import annotations

import copy
import json
import runpy
from pathlib import Path
from typing import Any

from tools.mockgraph import Graph, evaluate

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"  # vendored copies of ../shared/reference (see its README)
CRD_PATH = REFERENCE / "crd" / "secretproviderclasses.crd.yaml"
SEEDS = REFERENCE / "seeds"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
IDENTITY_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-identities"
    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-existing"
)


def base_settings(identity_type: str = "userAssigned") -> dict[str, Any]:
    """A valid environment (component-args shape) for the given identity mode."""
    identity: dict[str, Any] = {
        "userAssigned": {"type": "userAssigned", "name": "id-app", "resourceGroup": "rg-identities"},
        "existing": {"type": "userAssigned", "resourceId": IDENTITY_ID},
        "systemAssigned": {"type": "systemAssigned"},
        "kubelet": {"type": "kubelet", "cluster": {"resourceGroup": "rg-aks", "name": "aks"}},
        "workload": {
            "type": "workload",
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
    if identity_type not in ("kubelet", "workload"):  # both refuse nodes
        settings["nodes"] = {
            "scaleSets": [
                {"resourceGroup": "MC_rg_aks_westeurope", "name": "aks-nodepool1-12345678-vmss"},
                {"resourceGroup": "MC_rg_aks_westeurope", "name": "aks-nodepool2-12345678-vmss"},
            ],
            "virtualMachines": [{"resourceGroup": "rg-k8s", "name": "k8s-agent-0"}],
        }
    return copy.deepcopy(settings)


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
) -> Graph:
    """Evaluate ``__main__.py`` with ``settings`` as stack config."""
    return evaluate(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        as_stack_config(settings),
        stack=stack,
        vault_rbac=vault_rbac,
        clusters_without_oidc=clusters_without_oidc,
    )
