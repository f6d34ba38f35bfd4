"""keyvault-csi: Pulumi components that deliver Azure Key Vault objects into AKS Pods via the Secrets Store CSI driver.

Layers (one folder each, each importing only the ones before it): ``rules`` (pure rules, no
Pulumi), ``api`` (the public argument types, generated from the model), ``model`` (the input
model and its checks), ``azure`` and ``kubernetes`` (components), ``node_identity`` (the dynamic
resource and its ARM client), ``component`` (:class:`AksKeyVaultSecrets`), ``program`` (the stack
program), ``testing`` (mocks for unit tests) and ``doctor`` (the FailedMount doctor).

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
    "AksKeyVaultSecretsArgs": "keyvault_csi.api.args",
    "Settings": "keyvault_csi.model.settings",
    "validate_settings": "keyvault_csi.model.validate",
    "KeyVaultObject": "keyvault_csi.rules.objects",
    "SecretObject": "keyvault_csi.rules.secret_sync",
    "IdentityType": "keyvault_csi.rules.choices",
    "PermissionModel": "keyvault_csi.rules.choices",
    "DriverInstall": "keyvault_csi.rules.choices",
    "NodeOS": "keyvault_csi.rules.choices",
    "SeccompProfile": "keyvault_csi.rules.choices",
    "Environment": "keyvault_csi.rules.choices",
    "access_policy_permissions": "keyvault_csi.rules.grants",
    "required_roles": "keyvault_csi.rules.grants",
    "parse_objects": "keyvault_csi.rules.objects",
    "render_objects": "keyvault_csi.rules.objects",
    "provider_parameters": "keyvault_csi.rules.parameters",
    "node_placement": "keyvault_csi.rules.placement",
    "secrets_store_volume": "keyvault_csi.kubernetes.pod",
    "NodeIdentityAssignment": "keyvault_csi.node_identity.resource",
    "NodeIdentityAssignmentArgs": "keyvault_csi.node_identity.resource",
}

__all__ = [
    "AksKeyVaultSecrets",
    "AksKeyVaultSecretsArgs",
    "DriverInstall",
    "Environment",
    "IdentityType",
    "KeyVaultObject",
    "NodeIdentityAssignment",
    "NodeIdentityAssignmentArgs",
    "NodeOS",
    "PermissionModel",
    "SeccompProfile",
    "SecretObject",
    "Settings",
    "__version__",
    "access_policy_permissions",
    "node_placement",
    "parse_objects",
    "provider_parameters",
    "render_objects",
    "required_roles",
    "secrets_store_volume",
    "validate_settings",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'keyvault_csi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from keyvault_csi.api.args import AksKeyVaultSecretsArgs
    from keyvault_csi.component import AksKeyVaultSecrets
    from keyvault_csi.kubernetes.pod import secrets_store_volume
    from keyvault_csi.model.settings import Settings
    from keyvault_csi.model.validate import validate_settings
    from keyvault_csi.node_identity.resource import NodeIdentityAssignment, NodeIdentityAssignmentArgs
    from keyvault_csi.rules.choices import (
        DriverInstall,
        Environment,
        IdentityType,
        NodeOS,
        PermissionModel,
        SeccompProfile,
    )
    from keyvault_csi.rules.grants import access_policy_permissions, required_roles
    from keyvault_csi.rules.objects import KeyVaultObject, parse_objects, render_objects
    from keyvault_csi.rules.parameters import provider_parameters
    from keyvault_csi.rules.placement import node_placement
    from keyvault_csi.rules.secret_sync import SecretObject
