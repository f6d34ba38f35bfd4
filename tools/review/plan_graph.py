"""``graph.json``: the declared dependency graph of one stack as plain, deterministic data.

What a reviewer (or a diff) needs from an evaluation, and nothing that changes between two runs
of the same program: each resource's URN, type, name, parent, dependencies, protect flag,
provider and inputs, plus the things outside the stack that the plan writes to (the scale sets /
VMs a ``NodeIdentityAssignment`` changes, the vaults a grant changes). Resources are sorted by
URN, keys are sorted on output.

Two kinds of input are never shown as they are:

* secrets (``kubeconfig``, anything marked secret, secret stack outputs) become ``[secret]``: a PR
  comment is public, and even a hash of a short secret can be guessed;
* the ``__provider`` input of a dynamic resource is a dill pickle of the provider class; it is
  shown as a short digest, so a diff says only *changed* / *unchanged* (a change means the class
  was moved, renamed or pickled by value, which breaks existing stacks).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from keyvault_csi.rules.grants import USER_ROLES
from keyvault_csi.testing.mockgraph import DYNAMIC_NODE_IDENTITY, IDENTITY_BINDING, Graph, RecordedResource, placeholder

FORMAT = 1
SECRET = "[secret]"
DYNAMIC_PROVIDER_INPUT = "__provider"
ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
PROVIDER_PREFIX = "pulumi:providers:"

_ARM_NODE = re.compile(
    r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/(?P<kind>virtualMachineScaleSets|virtualMachines)/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
_ARM_VAULT = re.compile(
    r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.KeyVault/vaults/(?P<name>[^/]+)$", re.IGNORECASE
)


def graph_document(graph: Graph, stack: str) -> dict[str, Any]:
    """The ``graph.json`` document of one evaluated stack."""
    recorded = {r.urn for r in graph.resources}
    resources = [_resource_entry(r, recorded) for r in sorted(graph.resources, key=lambda r: r.urn)]
    return {
        "format": FORMAT,
        "stack": stack,
        "resources": resources,
        "targets": external_targets(resources),
        "outputs": {
            key: SECRET if key in graph.secret_stack_outputs else mask_secrets(value)
            for key, value in sorted(graph.stack_outputs.items())
        },
    }


def resource_kind(type_: str, custom: bool) -> str:
    """``provider``, ``component`` or ``resource``: how the picture and the diff treat it."""
    if type_.startswith(PROVIDER_PREFIX):
        return "provider"
    return "resource" if custom else "component"


def _resource_entry(resource: RecordedResource, recorded: set[str]) -> dict[str, Any]:
    dependencies = set(resource.dependencies)
    for urns in resource.property_dependencies.values():
        dependencies.update(urns)
    # The provider reference is "<provider urn>::<provider id>"; the id is a mock value.
    provider = resource.provider.rsplit("::", 1)[0] if resource.provider else None
    secret_paths = set(getattr(resource, "secret_inputs", []))  # recorded since mockgraph a67f576
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "kind": resource_kind(resource.type, resource.custom),
        "parent": resource.parent if resource.parent in recorded else None,
        "dependencies": sorted(d for d in dependencies if d),
        "protect": resource.protect,
        "provider": provider,
        "inputs": {
            key: provider_digest(value) if key == DYNAMIC_PROVIDER_INPUT else mask_secrets(value, secret_paths, key)
            for key, value in sorted(resource.inputs.items())
        },
    }


def is_secret(value: Any) -> bool:
    """The recorder keeps a secret as ``{"value": ...}`` once the SDK's signature key is stripped."""
    return isinstance(value, Mapping) and set(value) == {"value"}


def mask_secrets(value: Any, secret_paths: frozenset[str] | set[str] = frozenset(), path: str = "") -> Any:
    """``value`` with every secret replaced by ``[secret]`` and mappings sorted by key.

    A secret is a path the recorder listed (``kubeconfig``, ``spec.data.token``) or, for graphs
    recorded before it listed them (an older base ref), a value still shaped ``{"value": ...}``.
    """
    if path in secret_paths or is_secret(value):
        return SECRET
    if isinstance(value, Mapping):
        return {
            str(k): mask_secrets(v, secret_paths, f"{path}.{k}" if path else str(k)) for k, v in sorted(value.items())
        }
    if isinstance(value, (list, tuple)):
        return [mask_secrets(v, secret_paths, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def provider_digest(value: Any) -> str:
    """A short, stable stand-in for a pickled dynamic provider: equal pickles give equal digests."""
    blob = value["value"] if is_secret(value) else value
    return f"<dynamic provider sha256:{hashlib.sha256(str(blob).encode()).hexdigest()[:12]}>"


def external_targets(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scale sets, VMs, vaults and AKS clusters this plan writes to (not managed by it), with who writes what."""
    targets: dict[str, dict[str, Any]] = {}
    for resource in resources:
        found = _target_of(resource)
        if found is None:
            continue
        target, action = found
        entry = targets.setdefault(target["key"], {**target, "writers": []})
        entry["writers"].append({"urn": resource["urn"], "action": action})
    for entry in targets.values():
        entry["writers"].sort(key=lambda w: w["urn"])
    return [targets[key] for key in sorted(targets)]


def _target_of(resource: dict[str, Any]) -> tuple[dict[str, str], str] | None:
    inputs = resource["inputs"]
    if resource["type"] == DYNAMIC_NODE_IDENTITY:
        action = "enables system identity" if inputs.get("systemAssigned") else "assigns identity"
        if inputs.get("agentPool") and not inputs.get("nodeId"):
            # The pool's scale set is discovered at deploy time: shown as a placeholder.
            pool = f"{inputs.get('clusterName')}/{inputs['agentPool']}"
            return _target(
                "agentPool", str(inputs.get("clusterResourceGroup")), placeholder(pool, "scaleSetId")
            ), action
        match = _ARM_NODE.search(str(inputs.get("nodeId", "")))
        if not match:
            return None
        kind = "scaleSet" if match["kind"].lower() == "virtualmachinescalesets" else "virtualMachine"
        return _target(kind, match["rg"], match["name"]), action
    if resource["type"] == ACCESS_POLICY:
        permissions = (inputs.get("policy") or {}).get("permissions") or {}
        granted = ", ".join(f"{family} {'/'.join(perms)}" for family, perms in sorted(permissions.items()))
        return _target(
            "keyVault", str(inputs.get("resourceGroupName")), str(inputs.get("vaultName"))
        ), f"grants {granted}"
    if resource["type"] == ROLE_ASSIGNMENT:
        match = _ARM_VAULT.search(str(inputs.get("scope", "")))
        if not match:
            return None
        guid = str(inputs.get("roleDefinitionId", "")).rsplit("/", 1)[-1]
        return _target("keyVault", match["rg"], match["name"]), f"grants {USER_ROLES.get(guid, 'role ' + guid)}"
    if resource["type"] == IDENTITY_BINDING:
        # A child of the cluster (managedClusters/{name}/identityBindings): the cluster itself is not the plan's.
        identity = str(((inputs.get("properties") or {}).get("managedIdentity") or {}).get("resourceId", ""))
        return _target(
            "aksCluster", str(inputs.get("resourceGroupName")), str(inputs.get("resourceName"))
        ), f"binds identity {identity.rsplit('/', 1)[-1]}"
    return None


def _target(kind: str, resource_group: str, name: str) -> dict[str, str]:
    # ARM names are case-insensitive: one vault spelled two ways is still one vault.
    return {
        "key": f"{kind}:{resource_group}/{name}".lower(),
        "kind": kind,
        "resourceGroup": resource_group,
        "name": name,
    }
