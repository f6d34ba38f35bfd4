"""keyvault-csi: Pulumi components that deliver Azure Key Vault objects into AKS Pods via the Secrets Store CSI driver.

Layers (one folder each): ``rules`` (pure rules, no Pulumi), ``settings`` (the input model),
``azure`` and ``kubernetes`` (components), ``node_identity`` (the dynamic resource and its ARM
client), :mod:`keyvault_csi.component` (the top-level component), ``package`` (the
multi-language surface) and ``testing`` (mocks for unit tests).

Names are imported on first use, so ``import keyvault_csi.rules`` (the policy pack) loads neither
Pulumi nor the Azure SDK.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import TYPE_CHECKING, Any

# The version pyproject.toml declares (the only one in the tree), as installed.
__version__ = importlib.metadata.version("keyvault-csi")

# public name -> module that defines it
_EXPORTS = {
    "AksKeyVaultSecrets": "keyvault_csi.component",
    "AksKeyVaultSecretsArgs": "keyvault_csi.package.args",
    "Settings": "keyvault_csi.settings.model",
    "validate_settings": "keyvault_csi.settings.model",
    "ManagedIdentity": "keyvault_csi.azure.identity",
    "ManagedIdentityArgs": "keyvault_csi.azure.identity",
    "KeyVaultAccess": "keyvault_csi.azure.keyvault_access",
    "KeyVaultAccessArgs": "keyvault_csi.azure.keyvault_access",
    "access_policy_permissions": "keyvault_csi.rules.grants",
    "required_roles": "keyvault_csi.rules.grants",
    "NodeIdentityAssignments": "keyvault_csi.node_identity.assignments",
    "NodeIdentityAssignmentsArgs": "keyvault_csi.node_identity.assignments",
    "NodeIdentityAssignment": "keyvault_csi.node_identity.resource",
    "NodeIdentityAssignmentArgs": "keyvault_csi.node_identity.resource",
    "KeyVaultObject": "keyvault_csi.rules.objects",
    "parse_objects": "keyvault_csi.rules.objects",
    "render_objects": "keyvault_csi.rules.objects",
    "SecretsStorePod": "keyvault_csi.kubernetes.pod",
    "SecretsStorePodArgs": "keyvault_csi.kubernetes.pod",
    "secrets_store_volume": "keyvault_csi.kubernetes.pod",
    "node_placement": "keyvault_csi.rules.placement",
    "SecretProviderClass": "keyvault_csi.kubernetes.secret_provider_class",
    "SecretProviderClassArgs": "keyvault_csi.kubernetes.secret_provider_class",
    "provider_parameters": "keyvault_csi.rules.parameters",
    "SecretObject": "keyvault_csi.rules.secret_sync",
    "container_env": "keyvault_csi.kubernetes.env",
    "container_env_from": "keyvault_csi.kubernetes.env",
    "WorkloadIdentity": "keyvault_csi.azure.workload_identity",
    "WorkloadIdentityArgs": "keyvault_csi.azure.workload_identity",
    "WORKLOAD_IDENTITY_POD_LABELS": "keyvault_csi.azure.workload_identity",
}
_RENAMED = {"WORKLOAD_IDENTITY_POD_LABELS": "POD_LABELS"}

__all__ = [
    "__version__",
    "AksKeyVaultSecrets",
    "AksKeyVaultSecretsArgs",
    "KeyVaultAccess",
    "KeyVaultAccessArgs",
    "KeyVaultObject",
    "ManagedIdentity",
    "ManagedIdentityArgs",
    "NodeIdentityAssignment",
    "NodeIdentityAssignmentArgs",
    "NodeIdentityAssignments",
    "NodeIdentityAssignmentsArgs",
    "SecretObject",
    "SecretProviderClass",
    "SecretProviderClassArgs",
    "SecretsStorePod",
    "SecretsStorePodArgs",
    "Settings",
    "WORKLOAD_IDENTITY_POD_LABELS",
    "WorkloadIdentity",
    "WorkloadIdentityArgs",
    "access_policy_permissions",
    "container_env",
    "container_env_from",
    "parse_objects",
    "provider_parameters",
    "render_objects",
    "required_roles",
    "node_placement",
    "secrets_store_volume",
    "validate_settings",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'keyvault_csi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from keyvault_csi.azure.identity import ManagedIdentity, ManagedIdentityArgs
    from keyvault_csi.azure.keyvault_access import KeyVaultAccess, KeyVaultAccessArgs
    from keyvault_csi.azure.workload_identity import POD_LABELS as WORKLOAD_IDENTITY_POD_LABELS
    from keyvault_csi.azure.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
    from keyvault_csi.component import AksKeyVaultSecrets
    from keyvault_csi.kubernetes.env import container_env, container_env_from
    from keyvault_csi.kubernetes.pod import SecretsStorePod, SecretsStorePodArgs, secrets_store_volume
    from keyvault_csi.kubernetes.secret_provider_class import SecretProviderClass, SecretProviderClassArgs
    from keyvault_csi.node_identity.assignments import NodeIdentityAssignments, NodeIdentityAssignmentsArgs
    from keyvault_csi.node_identity.resource import NodeIdentityAssignment, NodeIdentityAssignmentArgs
    from keyvault_csi.package.args import AksKeyVaultSecretsArgs
    from keyvault_csi.rules.grants import access_policy_permissions, required_roles
    from keyvault_csi.rules.objects import KeyVaultObject, parse_objects, render_objects
    from keyvault_csi.rules.parameters import provider_parameters
    from keyvault_csi.rules.placement import node_placement
    from keyvault_csi.rules.secret_sync import SecretObject
    from keyvault_csi.settings.model import Settings, validate_settings
