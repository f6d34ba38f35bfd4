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
from .secret_sync import SecretObject, container_env, container_env_from
from .workload_identity import POD_LABELS as WORKLOAD_IDENTITY_POD_LABELS
from .workload_identity import WorkloadIdentity, WorkloadIdentityArgs

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
    "secrets_store_volume",
    "validate_settings",
]
