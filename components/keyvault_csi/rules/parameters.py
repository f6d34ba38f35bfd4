"""The SecretProviderClass's ``spec.parameters``, exactly as the Azure provider reads them.

The provider reads them by exact, case-sensitive key and silently ignores unknown ones, so the
keys are written here once, from the provider's own spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keyvault_csi.rules.clouds import AZURE_STACK_CLOUD, is_stack
from keyvault_csi.rules.names import (
    ADFS_TENANT,
    cloud_env_file_problem,
    cloud_name_problem,
    key_vault_name_problem,
    tenant_id_problem,
)
from keyvault_csi.rules.objects import KeyVaultObject, render_objects

# The SecretProviderClass CRD (docs/azure-rules.md §spc-api-version): v1alpha1 is deprecated, the schema is the same.
CRD_GROUP = "secrets-store.csi.x-k8s.io"
CRD_API_VERSION = f"{CRD_GROUP}/v1"
# Every key the Azure provider (v1.8) reads (docs/azure-rules.md §params-keys); it ignores any other key without a word.
IDENTITY_FLAGS = ("usePodIdentity", "useVMManagedIdentity", "useAzureTokenProxy")
PARAMETER_KEYS = (
    "keyvaultName",
    "tenantID",
    *IDENTITY_FLAGS,
    "userAssignedIdentityID",
    "clientID",
    "cloudName",
    "cloudEnvFileName",
    "objects",
)
# Spellings the provider still reads as a fallback but documents as deprecated.
DEPRECATED_PARAMETERS: Mapping[str, str] = {"tenantId": "tenantID"}
# Parameters rendered from other settings, and the setting each comes from: people copy them from
# hand-written classes, so the settings refuse them with this pointer.
DERIVED_PARAMETERS: Mapping[str, str] = {
    "userAssignedIdentityID": "identity (the client ID of that identity)",
    "clientID": "identity",
    "useVMManagedIdentity": "identity",
    "usePodIdentity": "identity",
    "useAzureTokenProxy": "identity",
    "keyvaultName": "keyVault.name",
    "tenantID": "tenantId",
}

# A parameter value: a plain string, or a Pulumi Output that resolves to one (this layer imports no Pulumi).
Value = Any


# Azure Stack Hub with AD FS: the provider's documented tenantID (website configurations/custom-environments.md),
# rules.names.ADFS_TENANT.
def tenant_problem(tenant_id: str, cloud_names: Sequence[str]) -> str | None:
    """Why ``tenant_id`` is refused for classes with these ``cloudName`` values, or None.

    A GUID everywhere; ``adfs`` only if every class is ``AzureStackCloud`` (docs/azure-rules.md §tenantID).
    """
    problem = tenant_id_problem(tenant_id)
    if problem:
        return problem
    if tenant_id == ADFS_TENANT:
        others = sorted({c or "AzurePublicCloud" for c in cloud_names if not is_stack(c)})
        if not others:
            return None
        return (
            f"'adfs' is only for Azure Stack Hub with AD FS: every workload needs cloudName {AZURE_STACK_CLOUD}; "
            f"got {', '.join(others)}"
        )
    return None


# Go's strconv.ParseBool, which the provider applies to the use* flags after strings.TrimSpace
# (provider pkg/provider/types/parameters.go); an empty value is false.
GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def parse_flag(value: str) -> bool:
    """A ``use*`` flag as the provider reads it; ``ValueError`` where the provider fails the mount."""
    text = value.strip()
    if text == "" or text in GO_FALSE:
        return False
    if text in GO_TRUE:
        return True
    raise ValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def _flag(value: bool) -> str:
    return "true" if value else "false"


def check_keyvault_name(keyvault_name: str) -> str:
    problem = key_vault_name_problem(keyvault_name) if isinstance(keyvault_name, str) else "is not a string"
    if problem:
        raise ValueError(f"keyvaultName {problem}")
    return keyvault_name


def check_tenant_id(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not tenant_id.strip():
        raise ValueError("tenantID must not be empty; give the tenant ID of the Key Vault")
    return tenant_id


# The checks a value known only later (an Output) gets when it resolves, by parameter.
LATER_CHECKS: dict[str, Callable[[str], str]] = {"keyvaultName": check_keyvault_name, "tenantID": check_tenant_id}


def _check_common(keyvault_name: Value, tenant_id: Value, cloud_name: str, cloud_env_file_name: str) -> None:
    # Outputs are checked by the component when they resolve (LATER_CHECKS).
    if isinstance(keyvault_name, str):
        check_keyvault_name(keyvault_name)
    if isinstance(tenant_id, str):
        check_tenant_id(tenant_id)
        # The GUID rule is the settings' (tenantId); here only the AD FS tenant's cloud.
        if tenant_id == ADFS_TENANT and not is_stack(cloud_name):
            raise ValueError(f"tenantID {tenant_problem(tenant_id, [cloud_name])}")
    cloud_problem = cloud_name_problem(cloud_name)
    if cloud_problem:
        raise ValueError(f"cloudName {cloud_problem}")
    file_problem = cloud_env_file_problem(cloud_name, cloud_env_file_name)
    if file_problem:
        raise ValueError(file_problem)


def _check_client_id(key: str, value: Value) -> None:
    # Outputs are only known at deploy time; plain strings are checked for the common mix-ups.
    if isinstance(value, str) and value.startswith("/"):
        raise ValueError(f"{key} {value!r} looks like a resource ID; give the identity's client ID (a GUID)")


def _vm_identity(user_assigned_identity_id: Value) -> dict[str, Value]:
    _check_client_id("userAssignedIdentityId", user_assigned_identity_id)
    return {
        "usePodIdentity": _flag(False),
        "useVMManagedIdentity": _flag(True),
        # Exactly "...ID": the misspelt "...Id" is ignored, and nodes with several identities then fail.
        "userAssignedIdentityID": user_assigned_identity_id,
    }


def _workload_identity(client_id: Value) -> dict[str, Value]:
    if client_id == "":
        raise ValueError(
            "clientId must not be empty in workload identity mode; give the federated identity's client ID"
        )
    _check_client_id("clientId", client_id)
    # clientID only with useVMManagedIdentity "false": with "true" the provider would look for a
    # service-account token and fail.
    return {"clientID": client_id, "usePodIdentity": _flag(False), "useVMManagedIdentity": _flag(False)}


def _identity_binding(client_id: Value) -> dict[str, Value]:
    if client_id == "":
        raise ValueError("clientId must not be empty in identity binding mode; give the bound identity's client ID")
    _check_client_id("clientId", client_id)
    # The provider (v1.8.1+) fails an identity binding mount without clientID ("clientID is required for
    # identity binding") and allows one use* flag true (docs/azure-rules.md §identity-binding).
    return {
        "clientID": client_id,
        "useAzureTokenProxy": _flag(True),
        "usePodIdentity": _flag(False),
        "useVMManagedIdentity": _flag(False),
    }


def provider_parameters(
    *,
    keyvault_name: Value,
    tenant_id: Value,
    objects: Sequence[KeyVaultObject],
    user_assigned_identity_id: Value | None = None,
    client_id: Value | None = None,
    cloud_name: str = "",
    cloud_env_file_name: str = "",
    render: Callable[[Sequence[KeyVaultObject]], Value] = render_objects,
    use_azure_token_proxy: bool = False,
) -> dict[str, Value]:
    """``spec.parameters`` for the Azure provider, in one of its three identity modes.

    ``user_assigned_identity_id``: VM managed identity mode, the client ID of a user-assigned
    identity on the nodes, or ``""`` for the nodes' system-assigned identity.
    ``client_id``: workload identity mode, the client ID federated with the Pod's service account;
    with ``use_azure_token_proxy``, identity binding mode (the client ID of the identity bound to the
    cluster). Exactly one of the two is given. ``cloud_env_file_name`` is the environment file that
    ``AzureStackCloud`` reads, inside the provider pod (docs/azure-rules.md §clouds-env-file). Every
    value is a string, as the CRD requires. ``render`` writes
    the ``objects`` parameter (the component passes one that waits for objects given as Outputs).
    """
    if user_assigned_identity_id is not None and client_id is None and not use_azure_token_proxy:
        parameters = _vm_identity(user_assigned_identity_id)
    elif client_id is not None and user_assigned_identity_id is None:
        parameters = _identity_binding(client_id) if use_azure_token_proxy else _workload_identity(client_id)
    else:
        raise ValueError(
            "give exactly one of userAssignedIdentityId (VM managed identity) or clientId (workload identity, "
            "or identity binding with use_azure_token_proxy)"
        )
    _check_common(keyvault_name, tenant_id, cloud_name, cloud_env_file_name)
    # tenantID, never the deprecated tenantId that the seeds still show.
    parameters |= {"keyvaultName": keyvault_name, "tenantID": tenant_id, "objects": render(objects)}
    if cloud_name:
        parameters["cloudName"] = cloud_name
    if cloud_env_file_name:
        parameters["cloudEnvFileName"] = cloud_env_file_name
    return parameters
