"""Key Vault grants: read-only, scoped to one vault, and access-policy writes to a vault in order.

The CSI driver's Azure provider only reads: ``get`` (``list`` for ``objectVersionHistory > 1``) in
the access-policy model, Key Vault Secrets User and Key Vault Reader in the RBAC model
(docs/azure-rules.md §kv-least-privilege, ``keyvault_csi.rules.grants``). A broader grant
is a standing risk nobody notices because everything still works.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._graph import DependencyGraph
from ._props import UNKNOWN, dig, known_str, plain, string_list_config
from ._shared import BROADER_READ_ROLES, FAMILIES, OTHER_KEY_VAULT_ROLES, READ_PERMISSIONS, USER_ROLES

ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
VAULT = "azure-native:keyvault:Vault"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
READ_FAMILIES = tuple(FAMILIES.values())
OBJECT_FAMILY = FAMILIES
_VAULT_SCOPE = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.keyvault/vaults/(?P<vault>[^/]+)(?P<below>/.*)?$",
    re.IGNORECASE,
)
_WIDE_SCOPE = re.compile(
    r"^(/|/subscriptions/[^/]+|/subscriptions/[^/]+/resourcegroups/[^/]+|/providers/microsoft\.management/managementgroups/[^/]+)/?$",
    re.IGNORECASE,
)
_EXEMPT_SCHEMA = string_list_config(
    "exemptPrincipalIds", [], "Object IDs that are not CSI readers (vault administrators, pipelines): not checked."
)
_LEAST_PRIVILEGE_FIX = (
    "grant only get (list only for objects with objectVersionHistory > 1), or, if this principal is not a CSI "
    "reader, add its object ID to this policy's exemptPrincipalIds config"
)


def vault_key(resource_group: Any, vault: Any) -> tuple[str, str] | None:
    """(resource group, vault) in lower case, the way ARM compares them; None if not known yet."""
    if isinstance(resource_group, str) and isinstance(vault, str) and resource_group and vault:
        return resource_group.lower(), vault.lower()
    return None


def permission_problems(permissions: Any) -> list[str]:
    """What a CSI reader's access-policy permissions grant beyond get/list on secrets, keys, certificates."""
    if not isinstance(permissions, Mapping):
        return []
    found = []
    for family, granted in sorted(permissions.items()):
        if granted is UNKNOWN or not isinstance(granted, list):
            continue
        names = sorted({p.lower() for p in granted if isinstance(p, str)})
        extra = [p for p in names if family not in READ_FAMILIES or p not in READ_PERMISSIONS]
        if extra:
            found.append(f"{family}: {', '.join(extra)}")
    return found


def access_policy_entries(resource_type: str, props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The access-policy entries a resource writes: one for AccessPolicy, the inline list for a Vault."""
    if resource_type == ACCESS_POLICY:
        policy = props.get("policy")
        return [policy] if isinstance(policy, Mapping) else []
    if resource_type == VAULT:
        entries = dig(props, "properties", "accessPolicies")
        return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []
    return []


def _exempt(config: Mapping[str, Any]) -> set[str]:
    return {str(p).lower() for p in config.get("exemptPrincipalIds") or []}


def _validate_access_policies(args: ResourceValidationArgs, report_violation) -> None:
    if args.resource_type not in (ACCESS_POLICY, VAULT):
        return
    props = plain(args.props)
    exempt = _exempt(args.get_config())
    vault = known_str(props.get("vaultName")) or args.name
    for entry in access_policy_entries(args.resource_type, props):
        object_id = known_str(entry.get("objectId"))
        if object_id is not None and object_id.lower() in exempt:
            continue
        extra = permission_problems(entry.get("permissions"))
        if extra:
            where = "an inline accessPolicies entry" if args.resource_type == VAULT else "AccessPolicy"
            report_violation(
                f"{where} on vault {vault!r} for object ID {object_id or '<unknown>'} grants more than a CSI reader "
                f"needs ({'; '.join(extra)}); fix: {_LEAST_PRIVILEGE_FIX}",
                None,
            )


def role_guid(role_definition_id: Any) -> str | None:
    if not isinstance(role_definition_id, str) or not role_definition_id:
        return None
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def role_problem(scope: Any, role_definition_id: Any) -> str | None:
    """Why a role assignment breaks the Key Vault least-privilege rule, or None."""
    guid = role_guid(role_definition_id)
    if not isinstance(scope, str) or guid is None:
        return None
    role = USER_ROLES.get(guid) or OTHER_KEY_VAULT_ROLES.get(guid) or f"role {guid}"
    if _VAULT_SCOPE.match(scope):
        if guid in USER_ROLES:
            return None
        more = f" grants {BROADER_READ_ROLES[guid][1]}" if guid in BROADER_READ_ROLES else ""
        return (
            f"{role} on a Key Vault scope ({scope}){more}; fix: assign only "
            f"{' or '.join(f'{name} ({g})' for g, name in USER_ROLES.items())} to a CSI reader"
        )
    if _WIDE_SCOPE.match(scope) and (guid in USER_ROLES or guid in OTHER_KEY_VAULT_ROLES):
        return (
            f"{role} scoped to {scope} reaches every vault below it; fix: scope the assignment to the vault, "
            "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>"
        )
    return None


def _validate_role_assignment(args: ResourceValidationArgs, report_violation) -> None:
    if args.resource_type != ROLE_ASSIGNMENT:
        return
    props = plain(args.props)
    principal = known_str(props.get("principalId"))
    if principal is not None and principal.lower() in _exempt(args.get_config()):
        return
    problem = role_problem(props.get("scope"), props.get("roleDefinitionId"))
    if problem:
        report_violation(f"RoleAssignment for principal {principal or '<unknown>'}: {problem}", None)


def _vault_of(resource: PolicyResource) -> tuple[str, str] | None:
    props = plain(resource.props)
    return vault_key(props.get("resourceGroupName"), props.get("vaultName"))


def _writers(resources: Iterable[PolicyResource]) -> dict[tuple[str, str], dict[str, list[PolicyResource]]]:
    by_vault: dict[tuple[str, str], dict[str, list[PolicyResource]]] = {}
    for resource in resources:
        if resource.resource_type == ACCESS_POLICY:
            kind = "policies"
        elif resource.resource_type == VAULT and access_policy_entries(VAULT, plain(resource.props)):
            kind = "inline"
        else:
            continue
        key = _vault_of(resource)
        if key is not None:
            by_vault.setdefault(key, {"policies": [], "inline": []})[kind].append(resource)
    return by_vault


def _validate_ordering(args: StackValidationArgs, report_violation) -> None:
    graph = DependencyGraph(args.resources)
    for (resource_group, vault), writers in sorted(_writers(args.resources).items()):
        policies = sorted(writers["policies"], key=lambda r: r.urn)
        if writers["inline"] and policies:
            report_violation(
                f"vault {resource_group}/{vault} has inline accessPolicies on its Vault resource and separate "
                "AccessPolicy resources: every Vault update rewrites the whole list and drops the others; fix: declare "
                "every entry as an AccessPolicy and leave properties.accessPolicies out of the Vault "
                "(ignore_changes on it if needed)",
                writers["inline"][0].urn,
            )
        for index, first in enumerate(policies):
            for second in policies[index + 1 :]:
                if not graph.connected(first, second):
                    report_violation(
                        f"AccessPolicy {first.name!r} and {second.name!r} both write the access policies of vault "
                        f"{resource_group}/{vault} and neither waits for the other: parallel writes fail with "
                        f"ConflictError; fix: add depends_on=[{first.name}] to {second.name!r} "
                        "(chain the writes to one vault)",
                        second.urn,
                    )


def _declared_needs(resources: Iterable[PolicyResource]) -> dict[str, set[str]]:
    """Vault name (lower case) -> the permission families that need ``list``, from the stack's classes."""
    from ._shared import parse_objects  # lazy: only this stack policy reads objects
    from .secret_provider_class import is_secret_provider_class

    needs: dict[str, set[str]] = {}
    for resource in resources:
        props = plain(resource.props)
        if not is_secret_provider_class(resource.resource_type, props):
            continue
        parameters = dig(props, "spec", "parameters")
        vault = known_str(dig(parameters, "keyvaultName")) if isinstance(parameters, Mapping) else None
        text = parameters.get("objects") if isinstance(parameters, Mapping) else None
        if vault is None or not isinstance(text, str):
            continue
        families = needs.setdefault(vault.lower(), set())
        try:
            documents = parse_objects(text)
        except ValueError:
            continue  # reported by the SecretProviderClass policy
        for document in documents:
            history = document.get("objectVersionHistory")
            family = OBJECT_FAMILY.get(str(document.get("objectType")))
            if family and isinstance(history, int) and not isinstance(history, bool) and history > 1:
                families.add(family)
    return needs


def _validate_list_needed(args: StackValidationArgs, report_violation) -> None:
    needs = _declared_needs(args.resources)
    exempt = _exempt(args.get_config())
    for resource in args.resources:
        props = plain(resource.props)
        vault = known_str(props.get("vaultName"))
        # Only vaults whose classes this stack declares can be correlated.
        if vault is None or vault.lower() not in needs:
            continue
        for entry in access_policy_entries(resource.resource_type, props):
            object_id = known_str(entry.get("objectId"))
            if object_id is not None and object_id.lower() in exempt:
                continue
            permissions = entry.get("permissions")
            for family in READ_FAMILIES:
                granted = permissions.get(family) if isinstance(permissions, Mapping) else None
                if (
                    isinstance(granted, list)
                    and "list" in {str(p).lower() for p in granted}
                    and family not in needs[vault.lower()]
                ):
                    report_violation(
                        f"{resource.name!r} grants {family}: list on vault {vault!r}, but no SecretProviderClass "
                        f"of this stack reading that vault has a {family[:-1]} with objectVersionHistory > 1; "
                        f"fix: grant {family}: get only",
                        resource.urn,
                    )


ACCESS_POLICY_POLICY = ResourceValidationPolicy(
    name="keyvault-access-policy-read-only",
    description=(
        "Key Vault access policies (AccessPolicy and inline Vault accessPolicies) grant only get/list on secrets, "
        "keys and certificates."
    ),
    validate=_validate_access_policies,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_EXEMPT_SCHEMA,
)
ROLE_ASSIGNMENT_POLICY = ResourceValidationPolicy(
    name="keyvault-role-assignment-user-roles-at-vault-scope",
    description=(
        "On a Key Vault scope only Key Vault Secrets User (secrets) and Key Vault Reader (keys, certs); "
        "no Key Vault data role wider than one vault."
    ),
    validate=_validate_role_assignment,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_EXEMPT_SCHEMA,
)
ORDERED_WRITES_POLICY = StackValidationPolicy(
    name="keyvault-access-policy-writes-ordered",
    description=(
        "Any two AccessPolicy resources on one vault are connected by a dependency path "
        "(parallel writes fail with ConflictError); no inline accessPolicies next to them."
    ),
    validate=_validate_ordering,
    enforcement_level=EnforcementLevel.MANDATORY,
)
LIST_NEEDS_HISTORY_POLICY = StackValidationPolicy(
    name="keyvault-list-only-for-version-history",
    description=(
        "An access policy grants list on a family only if a class of the stack reads that vault "
        "with objectVersionHistory > 1 for it."
    ),
    validate=_validate_list_needed,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_EXEMPT_SCHEMA,
)
