"""ARM resource ids of AKS nodes (scale sets, VMs), managed clusters, user-assigned identities and Key Vaults.

The one definition of which ids the project accepts: the settings model (``rules.names``), the
node-identity provider's ``check`` and its write cycle all use these functions. Parsing and
building go through ``azure.mgmt.core.tools`` (the SDK's own reader of ARM ids); on top of it
we check what ARM enforces for the parts we name: a GUID subscription, the resource group rule,
the name rule of the resource type, and no child segments. ARM compares provider namespaces and
types case-insensitively (docs/azure-rules.md §ids), so those match in any case and come back in
canonical casing. Pure: no Pulumi import; azure.mgmt.core loads on first use (the policy pack
imports these rules without the Azure SDK).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# ARM: 1-90 of letters, digits, '_', '-', '.', '(' and ')', not ending with '.'.
RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")
# Microsoft.Compute: 1-64 (VM names are shorter on Windows; ARM reports that itself).
COMPUTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Microsoft.ManagedIdentity/userAssignedIdentities: 3-128, alphanumerics, '-' and '_', starting alphanumeric.
IDENTITY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")


def is_compute_name(value: str) -> bool:
    """A scale set's or VM's name: COMPUTE_NAME, and not ending with '.' or '-'."""
    return bool(COMPUTE_NAME.match(value)) and value[-1] not in ".-"


COMPUTE = "Microsoft.Compute"
SCALE_SET = "virtualMachineScaleSets"
VIRTUAL_MACHINE = "virtualMachines"
MANAGED_IDENTITY = "Microsoft.ManagedIdentity"
USER_ASSIGNED_IDENTITIES = "userAssignedIdentities"
KEY_VAULT = "Microsoft.KeyVault"

NODE_ID_FORM = (
    "/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Compute/"
    "virtualMachineScaleSets/{name} (or .../virtualMachines/{name})"
)
IDENTITY_ID_FORM = (
    "/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
)


def _resource_id(**parts: str) -> str:
    """``azure.mgmt.core.tools.resource_id``, refusing a missing part (it would silently drop it and
    return the id of a parent: a vault instead of its access-policy entry, a provider instead of a vault)."""
    from azure.mgmt.core.tools import resource_id

    missing = sorted(k for k, v in parts.items() if not isinstance(v, str) or not v)
    if missing:
        raise ValueError(f"an ARM id needs {', '.join(missing)}; got {parts!r}")
    return str(resource_id(**parts))


@dataclass(frozen=True)
class ArmId:
    """The parts of a top-level ARM resource id, with namespace and type in canonical casing."""

    subscription_id: str
    resource_group: str
    namespace: str
    type: str
    name: str

    @property
    def id(self) -> str:
        return _resource_id(
            subscription=self.subscription_id,
            resource_group=self.resource_group,
            namespace=self.namespace,
            type=self.type,
            name=self.name,
        )

    @property
    def kind(self) -> str:
        """For a node: SCALE_SET or VIRTUAL_MACHINE."""
        return self.type

    @property
    def key(self) -> str:
        """Case-insensitive identity of the resource, as ARM compares ids."""
        return self.id.casefold()


def _parse(value: object, namespace: str, types: tuple[str, ...], name_rule: re.Pattern[str]) -> ArmId | None:
    from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id

    if not isinstance(value, str) or not value.startswith("/") or not is_valid_resource_id(value):
        return None
    parts: Mapping[str, object] = parse_resource_id(value)
    kind = next((t for t in types if t.casefold() == str(parts.get("type", "")).casefold()), None)
    subscription, group, name = (str(parts.get(k, "")) for k in ("subscription", "resource_group", "name"))
    if (
        kind is None
        or parts.get("children")
        or str(parts.get("namespace", "")).casefold() != namespace.casefold()
        or not GUID.match(subscription)
        or not RESOURCE_GROUP.match(group)
        or not name_rule.match(name)
        or (name_rule is COMPUTE_NAME and not is_compute_name(name))
        or value.rstrip("/") != value
    ):
        return None
    return ArmId(subscription, group, namespace, kind, name)


def parse_node_id(value: object) -> ArmId:
    """A scale set's or VM's ARM id; ValueError names the bad value and the expected form."""
    parsed = _parse(value, COMPUTE, (SCALE_SET, VIRTUAL_MACHINE), COMPUTE_NAME)
    if parsed is None:
        raise ValueError(f"{value!r} is not a scale set or VM resource id; expected {NODE_ID_FORM}")
    return parsed


# Read from the path alone: an offline plan's ids carry a placeholder subscription.
AKS_MANAGED_SCALE_SET = re.compile(
    r"/resourceGroups/(?P<group>MC_[^/]+)/providers/Microsoft\.Compute/virtualMachineScaleSets/(?P<name>[^/]+)$",
    re.IGNORECASE,
)


def aks_managed_scale_set(value: str | None) -> tuple[str, str] | None:
    """(resource group, name) of the scale set ``value`` names if it sits in an AKS node resource group.

    AKS names that group ``MC_<group>_<cluster>_<region>`` unless the cluster sets nodeResourceGroup
    (docs/azure-rules.md §aks-support-caveat).
    """
    match = AKS_MANAGED_SCALE_SET.search(value or "")
    return (match["group"], match["name"]) if match else None


def node_id(subscription_id: str, resource_group: str, kind: str, name: str) -> str:
    """Build a node's id (``kind``: ``virtualMachineScaleSets`` or ``virtualMachines``)."""
    return _resource_id(
        subscription=subscription_id, resource_group=resource_group, namespace=COMPUTE, type=kind, name=name
    )


def parse_identity_id(value: object) -> ArmId:
    """A user-assigned identity's ARM id; ValueError names the bad value and the expected form."""
    parsed = _parse(value, MANAGED_IDENTITY, (USER_ASSIGNED_IDENTITIES,), IDENTITY_NAME)
    if parsed is None:
        raise ValueError(f"{value!r} is not a user-assigned identity resource id; expected {IDENTITY_ID_FORM}")
    return parsed


def validate_identity_id(value: str) -> str:
    """``value`` unchanged if it is a user-assigned identity id (ValueError otherwise)."""
    parse_identity_id(value)
    return value


def identity_id(subscription_id: str, resource_group: str, name: str) -> str:
    return _resource_id(
        subscription=subscription_id,
        resource_group=resource_group,
        namespace=MANAGED_IDENTITY,
        type=USER_ASSIGNED_IDENTITIES,
        name=name,
    )


# AKS agent pool names: 1-12 lowercase letters and digits, starting with a letter (Linux pools;
# Windows pools allow only 1-6). learn.microsoft.com/azure/aks/use-system-pools#limitations
AGENT_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
AGENT_POOL_RULE = "1-12 lowercase letters and digits, starting with a letter (Windows pools: at most 6)"


def validate_agent_pool(value: object) -> str:
    if not isinstance(value, str) or not AGENT_POOL_NAME.match(value):
        raise ValueError(f"{value!r} is not an AKS agent pool name; allowed: {AGENT_POOL_RULE}")
    return value


def validate_resource_group(value: object) -> str:
    if not isinstance(value, str) or not RESOURCE_GROUP.match(value):
        raise ValueError(
            f"{value!r} is not a resource group name; allowed: 1-90 of letters, digits, '_-.()', not ending with '.'"
        )
    return value


def validate_subscription(value: object) -> str:
    if not isinstance(value, str) or not GUID.match(value):
        raise ValueError(f"{value!r} is not a subscription id (a GUID)")
    return value


def managed_cluster_path(subscription_id: str, resource_group: str, name: str) -> str:
    """The ARM path of an AKS managed cluster (for the discovery GET)."""
    return _resource_id(
        subscription=subscription_id,
        resource_group=resource_group,
        namespace="Microsoft.ContainerService",
        type="managedClusters",
        name=name,
    )


def vault_id(subscription_id: str, resource_group: str, name: str) -> str:
    """A Key Vault's id: the scope of its role assignments."""
    return _resource_id(
        subscription=subscription_id, resource_group=resource_group, namespace=KEY_VAULT, type="vaults", name=name
    )


def access_policy_id(subscription_id: str, resource_group: str, vault_name: str, object_id: str) -> str:
    """``…/vaults/{vault}/accessPolicy/{objectId}``: the id azure-native gives one access-policy entry."""
    return _resource_id(
        subscription=subscription_id,
        resource_group=resource_group,
        namespace=KEY_VAULT,
        type="vaults",
        name=vault_name,
        child_type_1="accessPolicy",
        child_name_1=object_id,
    )


def role_definition_id(subscription_id: str, role_guid: str) -> str:
    """A built-in role's definition id as seen from a subscription (what a role assignment names)."""
    return _resource_id(
        subscription=subscription_id, namespace="Microsoft.Authorization", type="roleDefinitions", name=role_guid
    )
