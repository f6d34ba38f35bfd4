"""The ``name`` and ``id`` Azure gives an azure-native resource, from the inputs a program declared it with.

An azure-native resource's ARM path ends in its own name parameter, an input of the resource
(``keyvault.Secret`` ``secretName``, ``containerservice.ManagedCluster`` ``resourceName``); its ``name``
output is that value and its ``id`` the path with it (docs/azure-rules.md §azure-native-names). When
the program leaves that input out, the provider names the resource from the Pulumi name: most types
append 8 random hex characters, role assignments take a random GUID. A mock cannot be random (a test
must give the same answer twice), so it appends 8 hex characters of a hash of type and Pulumi name, or
takes a GUID made the same way: visibly not the Pulumi name, and stable.

The path templates are the provider's for the types a program that embeds keyvault-csi usually
creates; for another type the own name input is found by its name (``<type>Name``,
``<type>ResourceName``) or, from the SDK's argument class (the parents' inputs are required, the own
one optional), as the optional ``…Name`` input the type's name ends with, an optional
``resourceName``/``name``, or the only optional ``…Name`` input; the id is then a placeholder
``<name.id>``. Of the 2,288 resource types of azure-native 3.29 these rules find an own name input
for 1,958; the other 330 have no optional name input (singletons such as a server's ``default``
policy, or names given another way) and get the auto-name.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import string
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic.alias_generators import to_camel

_GROUP = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
_VAULTS = f"{_GROUP}/providers/Microsoft.KeyVault/vaults/{{vaultName}}"
_IDENTITIES = f"{_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{{resourceName}}"
_CLUSTERS = f"{_GROUP}/providers/Microsoft.ContainerService/managedClusters/{{resourceName}}"
_NETWORKS = f"{_GROUP}/providers/Microsoft.Network/virtualNetworks/{{virtualNetworkName}}"

# ARM path templates, as the azure-native provider's metadata has them: the last parameter is the own name.
ARM_PATHS: dict[str, str] = {
    "azure-native:resources:ResourceGroup": _GROUP,
    "azure-native:keyvault:Vault": _VAULTS,
    "azure-native:keyvault:Secret": f"{_VAULTS}/secrets/{{secretName}}",
    "azure-native:keyvault:Key": f"{_VAULTS}/keys/{{keyName}}",
    "azure-native:managedidentity:UserAssignedIdentity": _IDENTITIES,
    "azure-native:managedidentity:FederatedIdentityCredential": (
        f"{_IDENTITIES}/federatedIdentityCredentials/{{federatedIdentityCredentialResourceName}}"
    ),
    "azure-native:containerservice:ManagedCluster": _CLUSTERS,
    "azure-native:containerservice:AgentPool": f"{_CLUSTERS}/agentPools/{{agentPoolName}}",
    "azure-native:containerservice:IdentityBinding": f"{_CLUSTERS}/identityBindings/{{identityBindingName}}",
    "azure-native:network:VirtualNetwork": _NETWORKS,
    "azure-native:network:Subnet": f"{_NETWORKS}/subnets/{{subnetName}}",
    "azure-native:authorization:RoleAssignment": (
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}"
    ),
}
# Types whose names ARM wants as GUIDs, so the provider's auto-name is a GUID (the rest: Pulumi name + 8 hex).
GUID_NAMED = frozenset({"azure-native:authorization:RoleAssignment", "azure-native:authorization:RoleDefinition"})


def name_inputs(token: str) -> list[str]:
    """The inputs that may hold the resource's own name, most likely first."""
    template = ARM_PATHS.get(token)
    if template is not None:
        return [_parameters(template)[-1]]
    type_ = token.rsplit(":", 1)[-1]
    stem = type_[:1].lower() + type_[1:]
    optional = _optional_name_inputs(token)
    # sql.ManagedDatabase: databaseName; devcenter.ProjectEnvironmentType: environmentTypeName.
    ending = sorted(
        (n for n in optional if len(n) > len("Name") and type_.lower().endswith(n.removesuffix("Name").lower())),
        key=len,
        reverse=True,
    )
    generic = [name for name in ("resourceName", "name") if name in optional]
    only = optional if len(optional) == 1 else ()
    return list(dict.fromkeys([f"{stem}Name", f"{stem}ResourceName", *ending, *generic, *only]))


def azure_name(token: str, pulumi_name: str, inputs: Mapping[str, Any]) -> str:
    """The ``name`` Azure reports: the own name input, else the provider's auto-name (made stable)."""
    for key in name_inputs(token):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    digest = hashlib.sha256(f"{token}::{pulumi_name}".encode()).hexdigest()
    if token in GUID_NAMED:
        return str(uuid.UUID(digest[:32]))
    return f"{pulumi_name}{digest[:8]}"


def azure_id(token: str, name: str, inputs: Mapping[str, Any], subscription: str) -> str | None:
    """The ARM id of a type in :data:`ARM_PATHS` (None for other types, or when a parent is not given)."""
    template = ARM_PATHS.get(token)
    if template is None:
        return None
    names = _parameters(template)
    values = {**inputs, "subscriptionId": subscription, names[-1]: name}
    if not all(isinstance(values.get(key), str) and values[key] for key in names):
        return None
    return template.format_map({key: values[key] for key in names})


def _parameters(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


@functools.cache
def _optional_name_inputs(token: str) -> tuple[str, ...]:
    """Optional ``…Name`` inputs of the type's SDK class, if the program imported its module (never imported here:
    loading azure-native modules is slow, docs/azure-rules.md §pulumi-startup-imports)."""
    package, module, type_ = token.split(":")
    if package != "azure-native":
        return ()
    loaded = sys.modules.get("pulumi_azure_native." + module.replace("/", "."))
    args_class = getattr(loaded, f"{type_}Args", None)
    if args_class is None:
        return ()
    names = (
        to_camel(parameter.name.rstrip("_"))
        for parameter in inspect.signature(args_class.__init__).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is None
    )
    return tuple(name for name in names if name == "name" or name.endswith("Name"))
