"""keyvault-csi: Pulumi components that deliver Azure Key Vault objects into AKS pods via the CSI driver."""

from .aks_keyvault_secrets import AksKeyVaultSecrets, AksKeyVaultSecretsArgs
from .config import Settings, validate_settings
from .identity import ManagedIdentity, ManagedIdentityArgs
from .keyvault_access import KeyVaultAccess, KeyVaultAccessArgs, access_policy_permissions, required_roles
from .node_assignment import NodeIdentityAssignments, NodeIdentityAssignmentsArgs
from .node_identity import NodeIdentityAssignment, NodeIdentityAssignmentArgs
from .objects import KeyVaultObject, parse_objects, render_objects
from .pod import SecretsStorePod, SecretsStorePodArgs, secrets_store_volume
from .secret_provider_class import SecretProviderClass, SecretProviderClassArgs, provider_parameters

__all__ = [
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
    "SecretProviderClass",
    "SecretProviderClassArgs",
    "SecretsStorePod",
    "SecretsStorePodArgs",
    "Settings",
    "access_policy_permissions",
    "parse_objects",
    "provider_parameters",
    "render_objects",
    "required_roles",
    "secrets_store_volume",
    "validate_settings",
]
