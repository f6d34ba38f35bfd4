"""Name and identifier rules that Azure and Kubernetes enforce, as reusable pydantic types.

Each rule fails at `pulumi preview` with the value and what is allowed, instead of surfacing later
as an ARM 400 or a Pod stuck in ``ContainerCreating``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from keyvault_csi.rules import arm_ids
from keyvault_csi.rules.clouds import (
    AZURE_STACK_CLOUD,
    ENVIRONMENT_CLOUDS,
    GERMAN_CLOUD,
    german_cloud_problem,
    is_stack,
)

# cloudName values the Azure provider parses (case-insensitive), from rules.clouds; AzureStackCloud also
# needs the path of an environment file (cloudEnvFileName), read inside the provider pods; AzureGermanCloud
# still parses but that cloud is closed (refused: rules.clouds).
CLOUD_NAMES = (*(name for names in ENVIRONMENT_CLOUDS.values() for name in names), GERMAN_CLOUD, AZURE_STACK_CLOUD)

GUID = arm_ids.GUID
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_SUBDOMAIN_MAX = 253  # characters: also every custom resource's name (apimachinery DNS1123SubdomainMaxLength)
KEY_VAULT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
RESOURCE_GROUP = arm_ids.RESOURCE_GROUP
IDENTITY_NAME = arm_ids.IDENTITY_NAME
CLUSTER_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")
# One rule for user-assigned identity ids, shared with the node-identity provider (rules.arm_ids).


def refusing(problem_of: Callable[[Any], str | None], *, before: bool = False) -> AfterValidator | BeforeValidator:
    """A pydantic validator from a rule that says why it refuses a value (``None``: accepted);
    ``before``: ahead of pydantic's own type check (for a Literal, whose message names no reason)."""

    def check(value: Any) -> Any:
        problem = problem_of(value)
        if problem:
            raise ValueError(problem)
        return value

    return BeforeValidator(check) if before else AfterValidator(check)


def _rule(pattern: re.Pattern[str], allowed: str, *, max_len: int | None = None) -> AfterValidator | BeforeValidator:
    def problem(value: str) -> str | None:
        if not value:
            return f"must not be empty; allowed: {allowed}"
        if (max_len is not None and len(value) > max_len) or not pattern.match(value):
            return f"{value!r} is not valid; allowed: {allowed}"
        return None

    return refusing(problem)


KEY_VAULT_NAME_ALLOWED = (
    "3-24 characters of letters, digits and '-', starting with a letter, ending with a letter or digit, no '--'"
)


def key_vault_name_problem(value: str) -> str | None:
    """Why Azure refuses ``value`` as a Key Vault name (docs/azure-rules.md §keyvault-name), or None.

    Azure's rule, stricter than the provider's: settings, the class parameters and the policy pack use it.
    """
    if not KEY_VAULT_NAME.match(value) or "--" in value:
        return f"{value!r} is not a Key Vault name; allowed: {KEY_VAULT_NAME_ALLOWED}"
    return None


def cloud_name_problem(cloud_name: str) -> str | None:
    """Why ``cloud_name`` is refused (``""`` is AzurePublicCloud; case-insensitive): unknown to the provider, or
    AzureGermanCloud (closed); else None."""
    if cloud_name and cloud_name.lower() not in {c.lower() for c in CLOUD_NAMES}:
        allowed = ", ".join(c for c in CLOUD_NAMES if c != GERMAN_CLOUD)
        return f"{cloud_name!r} is not a cloud the Azure provider knows; allowed: '' (AzurePublicCloud) or {allowed}"
    return german_cloud_problem(cloud_name)


def cloud_env_file_problem(cloud_name: str, cloud_env_file_name: str | None) -> str | None:
    """AzureStackCloud reads its endpoints from a file (on the nodes, read inside the provider pods), so it needs
    ``cloudEnvFileName``."""
    if is_stack(cloud_name) and not cloud_env_file_name:
        return (
            "cloudName 'AzureStackCloud' needs cloudEnvFileName: the path of the Azure Stack environment file, "
            "as the provider pods see it (a file on the nodes, mounted into them)"
        )
    return None


def _resource_group(value: str) -> str:
    allowed = "1-90 characters of letters, digits, '_', '-', '.', '(' and ')', not ending with '.'"
    if not RESOURCE_GROUP.match(value):
        raise ValueError(f"{value!r} is not a valid resource group name; allowed: {allowed}")
    return value


def _compute_name(value: str) -> str:
    allowed = (
        "1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit, "
        "not ending with '.' or '-'"
    )
    if not arm_ids.is_compute_name(value):
        raise ValueError(f"{value!r} is not a valid scale set or VM name; allowed: {allowed}")
    return value


Guid = Annotated[str, _rule(GUID, "a GUID such as 00000000-0000-0000-0000-000000000000")]


ADFS_TENANT = "adfs"


def tenant_id_problem(value: str) -> str | None:
    """Why ``value`` is not a tenant ID: a GUID, or ``adfs`` (Azure Stack Hub with AD FS), else None.

    Which clouds ``adfs`` needs is checked across keys (``rules.parameters.tenant_problem``).
    """
    if value != ADFS_TENANT and not GUID.match(value):
        return (
            f"{value!r} is not a tenant ID; allowed: a GUID such as 00000000-0000-0000-0000-000000000000, "
            "or 'adfs' (Azure Stack Hub with AD FS, cloudName AzureStackCloud)"
        )
    return None


TenantId = Annotated[str, refusing(tenant_id_problem)]
DnsLabel = Annotated[
    str,
    _rule(DNS_LABEL, "a DNS-1123 label: at most 63 of a-z, 0-9 and '-', starting and ending alphanumeric", max_len=63),
]
DnsSubdomain = Annotated[
    str,
    _rule(
        DNS_SUBDOMAIN,
        f"a DNS-1123 subdomain: at most {DNS_SUBDOMAIN_MAX} of a-z, 0-9, '-' and '.', each part starting and ending "
        "alphanumeric",
        max_len=DNS_SUBDOMAIN_MAX,
    ),
]
KeyVaultName = Annotated[str, refusing(key_vault_name_problem)]
ResourceGroupName = Annotated[str, AfterValidator(_resource_group)]
ComputeName = Annotated[str, AfterValidator(_compute_name)]
IdentityName = Annotated[
    str, _rule(IDENTITY_NAME, "3-128 characters of letters, digits, '-' and '_', starting alphanumeric")
]
ClusterName = Annotated[
    str, _rule(CLUSTER_NAME, "1-63 characters of letters, digits, '-' and '_', starting and ending alphanumeric")
]
CloudName = Annotated[str, refusing(cloud_name_problem)]
VAULT_KEY_MAX = 40


def vault_key_problem(value: str) -> str | None:
    """Why ``value`` cannot be a key of ``keyVaults``: it names grants, classes, volumes and mount folders."""
    if len(value) > VAULT_KEY_MAX or not DNS_LABEL.match(value):
        return (
            f"{value!r} is not a vault key; allowed: at most {VAULT_KEY_MAX} of a-z, 0-9 and '-', starting and "
            "ending alphanumeric (it names the vault's grants, classes, volumes and mount folders)"
        )
    return None


VaultKey = Annotated[str, refusing(vault_key_problem)]
IdentityResourceId = Annotated[str, AfterValidator(arm_ids.validate_identity_id)]


AgentPoolName = Annotated[str, AfterValidator(arm_ids.validate_agent_pool)]


def parse_identity_resource_id(resource_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of a user-assigned identity's ARM id."""
    parsed = arm_ids.parse_identity_id(resource_id)
    return parsed.subscription_id, parsed.resource_group, parsed.name


def dns_label_from(text: str) -> str:
    """Lower-case, hyphenated form of ``text`` usable as (part of) a Kubernetes name."""
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")


def default_class_name(vault: str, workload: str) -> str:
    """A workload's SecretProviderClass name when ``secretProviderClass`` is not set."""
    return f"azure-{dns_label_from(vault)}-{workload}"


def default_pod_name(workload: str) -> str:
    """A workload's Pod name when ``pod.name`` is not set."""
    return f"{workload}-secrets-store-inline"
