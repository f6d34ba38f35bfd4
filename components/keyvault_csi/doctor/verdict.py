"""``--stack`` on a Key Vault 403: which of four things went wrong, read against the stack's plan.

Three comparisons, each with what it could not settle said as such:

- **identity**: the denied caller (appid, oid) against the identity the Pod's planned class names
  (``userAssignedIdentityID`` / ``clientID``) and the principals the stack grants. Offline these are
  placeholders (``<id-app.clientId>``: Azure assigns them at deploy), so the doctor says how to compare
  by hand, or compares them itself given ``pulumi stack output --json`` (``--outputs``);
- **model**: the vault's model as the 403 shows it (``ForbiddenByRbac`` = Azure RBAC, "does not have
  secrets get permission" = access policies) against ``keyvault-csi:keyVault.permissionModel``
  or, with several vaults, the refusing vault's ``keyVaults.<key>.permissionModel`` (``auto`` is read from the
  vault at deploy, so it matched then);
- **grant**: whether the stack grants the refused object kind (and ``list`` for version history) on
  the refused vault.

The verdict, first that holds: ``model-mismatch``, ``wrong-identity``, ``grant-missing``, then
``rbac-propagation`` (RBAC: all matches, the role was assigned by the stack: role assignments take
minutes to apply) or ``grant-not-applied`` (access policies: all matches, so the live vault lacks the
entry the stack declares). A 403 that names no model gets ``model-unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keyvault_csi.rules.arm_ids import GUID
from keyvault_csi.rules.choices import IdentityType, PermissionModel
from keyvault_csi.rules.config_keys import NAMESPACE as NS
from keyvault_csi.rules.grants import GRANTS

from .denial import ACCESS_POLICY, RBAC, Denial

if TYPE_CHECKING:
    from .plan import PlannedClass, StackPlan

WRONG_IDENTITY, GRANT_MISSING, MODEL_MISMATCH = "wrong-identity", "grant-missing", "model-mismatch"
RBAC_PROPAGATION, GRANT_NOT_APPLIED, MODEL_UNKNOWN = "rbac-propagation", "grant-not-applied", "model-unknown"
SAME, DIFFERS, UNVERIFIED = "same", "differs", "unverified"

ACCESS_POLICY_TYPE = "azure-native:keyvault:AccessPolicy"
ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment"
MODEL_NAMES = {RBAC: "Azure RBAC", ACCESS_POLICY: "access policies"}
AUTO = PermissionModel.AUTO.value  # the default: the model is read from the vault at deploy
# Role definition GUID -> (role name, the object kinds' families it reads), from the one grants table.
ROLE_FAMILIES: Mapping[str, tuple[str, frozenset[str]]] = {
    guid: (role, frozenset(family for family, r, g in GRANTS.values() if g == guid))
    for _, role, guid in GRANTS.values()
}


@dataclass(frozen=True)
class PlannedGrant:
    """One grant the plan declares: an access-policy entry or a role assignment on a vault."""

    model: str  # rbac | accessPolicy
    vault: str
    principal: str  # object ID (a placeholder offline)
    families: frozenset[str]  # what it lets the principal get: secrets, keys, certificates
    listing: frozenset[str]  # families it may list versions of (access policies; a role includes it)
    label: str  # how the text names it: "secrets get, list" or "Key Vault Secrets User"


@dataclass(frozen=True)
class Verdict:
    id: str
    identity: str  # same | differs | unverified
    text: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "identity": self.identity}


def planned_grants(resources: Iterable[Any]) -> list[PlannedGrant]:
    """The access-policy entries and role assignments among a plan's resources."""
    grants = []
    for resource in resources:
        inputs = resource.get("inputs") if isinstance(resource, Mapping) else None
        if not isinstance(inputs, Mapping):
            continue
        if resource.get("type") == ACCESS_POLICY_TYPE:
            policy = _mapping(inputs.get("policy"))
            permissions = {f: [str(p).lower() for p in v] for f, v in _mapping(policy.get("permissions")).items()}
            grants.append(
                PlannedGrant(
                    model=ACCESS_POLICY,
                    vault=str(inputs.get("vaultName") or ""),
                    principal=str(policy.get("objectId") or ""),
                    families=frozenset(f for f, perms in permissions.items() if "get" in perms),
                    listing=frozenset(f for f, perms in permissions.items() if "list" in perms),
                    label=", ".join(f"{f} {' '.join(sorted(p))}" for f, p in sorted(permissions.items())),
                )
            )
        elif resource.get("type") == ROLE_ASSIGNMENT_TYPE:
            guid = str(inputs.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
            role, families = ROLE_FAMILIES.get(guid, (f"role {guid}", frozenset()))
            grants.append(
                PlannedGrant(
                    model=RBAC,
                    vault=str(inputs.get("scope") or "").rstrip("/").rsplit("/", 1)[-1],
                    principal=str(inputs.get("principalId") or ""),
                    families=families,
                    listing=families,
                    label=role,
                )
            )
    return grants


def substitutions(planned: Any, live: Any) -> dict[str, str]:
    """Placeholder -> real value, by walking the plan's outputs beside ``pulumi stack output --json``."""
    found: dict[str, str] = {}
    if isinstance(planned, str) and isinstance(live, str) and planned.startswith("<") and planned.endswith(">"):
        found[planned] = live
    elif isinstance(planned, Mapping) and isinstance(live, Mapping):
        for key, value in planned.items():
            found.update(substitutions(value, live.get(key)))
    return found


def is_guid(value: str | None) -> bool:
    return bool(value and GUID.match(value))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    """A config key in its camelCase spelling or the snake_case one the settings model also takes."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
    return mapping.get(key, mapping.get(snake))


def hand_check(config: Mapping[str, Any], label: str) -> str:
    """How to compare the caller with the stack's identity by hand, for the identity type in use."""
    identity = _mapping(config.get(f"{NS}:identity"))
    kind = str(identity.get("type") or "")
    cluster = _mapping(identity.get("cluster"))
    aks = f"az aks show -g {_get(cluster, 'resourceGroup')} -n {cluster.get('name')}"
    field, commands = "appid", []
    if kind == IdentityType.KUBELET:
        commands = [f"{aks} --query identityProfile.kubeletidentity.clientId -o tsv"]
    elif kind == IdentityType.AKS_ADDON:
        commands = [f"{aks} --query addonProfiles.azureKeyvaultSecretsProvider.identity.clientId -o tsv"]
    elif kind == IdentityType.SYSTEM_ASSIGNED:
        # The nodes' own identities have no client ID to name in the class: compare object IDs.
        nodes = _mapping(config.get(f"{NS}:nodes"))
        field = "oid"
        commands = [
            f"az {command} show -g {_get(ref, 'resourceGroup')} -n {ref.get('name')} "
            "--query identity.principalId -o tsv"
            for command, key in (("vmss", "scaleSets"), ("vm", "virtualMachines"))
            for ref in (_get(nodes, key) or [])
            if isinstance(ref, Mapping)
        ] or ["az vmss show -g <node resource group> -n <scale set> --query identity.principalId -o tsv"]
    elif _get(identity, "resourceId"):
        commands = [f"az identity show --ids {_get(identity, 'resourceId')} --query clientId -o tsv"]
    else:
        commands = [
            f"az identity show -g {_get(identity, 'resourceGroup')} -n {identity.get('name')} --query clientId -o tsv"
        ]
    shown = " / ".join(f"`{c}`" for c in commands)
    return (
        f"compare the {field} with {shown}, or run `pulumi stack output --json --stack {label} > outputs.json` "
        "and the doctor again with --outputs outputs.json"
    )


def class_client_id(cls: PlannedClass | None) -> tuple[str, str] | None:
    """(parameter, value) naming the identity the planned class signs in with; None: the node's own identity."""
    if cls is None:
        return None
    p = cls.parameters
    if str(p.get("useVMManagedIdentity", "")).lower() == "true":
        value = str(p.get("userAssignedIdentityID") or "")
        return ("userAssignedIdentityID", value) if value else None
    return ("clientID", str(p["clientID"])) if p.get("clientID") else None


def compare_identity(
    denial: Denial, client: tuple[str, str] | None, principals: list[str], known: Mapping[str, str]
) -> tuple[str, str]:
    """(same | differs | unverified, why) for the denied caller against the stack's identity.

    The caller's appid is compared with ``client``, the planned class's identity parameter (None for the
    nodes' own identities); failing that, its oid with the ``principals`` the stack grants. ``known``
    resolves the plan's placeholders (from ``--outputs``).
    """
    appid, oid = denial.appid, denial.oid
    if not (is_guid(appid) or is_guid(oid)):
        caller = f"appid {appid}" if appid else "no caller"
        return UNVERIFIED, f"the message carries {caller} (redacted or cut), nothing to compare"
    why = []
    if client is not None:
        expected = known.get(client[1], client[1])
        if is_guid(expected) and is_guid(appid):
            if expected.lower() == str(appid).lower():
                return SAME, f"appid {appid} is the stack's identity"
            return DIFFERS, (
                f"the provider signed in as appid {appid} (oid {oid or '?'}), the planned class names "
                f"{client[0]} {expected}"
            )
        why.append(
            f"the plan names the stack's identity {client[1]} (Azure assigns it at deploy)"
            if not is_guid(expected)
            else f"the message's appid {appid or '(none)'} is not a client ID"
        )
    resolved = sorted({known.get(p, p) for p in principals})
    if resolved and all(is_guid(p) for p in resolved) and is_guid(oid):
        if str(oid).lower() in {p.lower() for p in resolved}:
            return SAME, f"oid {oid} is a principal the stack grants"
        whose = "the node identities" if client is None else "the principal"
        return DIFFERS, (
            f"the provider signed in as oid {oid} (appid {appid or '?'}), "
            f"the stack grants {whose} {', '.join(resolved)}"
        )
    named = ", ".join(sorted(set(principals))) or "no principal"
    why.append(f"the plan names the nodes' identities as {named} (Azure assigns them at deploy)")
    return UNVERIFIED, why[0]


def stack_vault(config: Mapping[str, Any], denied: str) -> tuple[str, Mapping[str, Any]]:
    """The config key of the stack's vault named ``denied`` (``keyVault`` or ``keyVaults.<key>``) and its settings.

    A stack with ``keyVaults`` and no vault of that name (or none named) gets its only vault, else no settings.
    """
    several = {str(k): _mapping(v) for k, v in _mapping(config.get(f"{NS}:keyVaults")).items()}
    if not several:
        return "keyVault", _mapping(config.get(f"{NS}:keyVault"))
    named = [k for k, v in several.items() if denied and str(v.get("name") or "").lower() == denied.lower()]
    candidates = named or list(several)
    if len(candidates) != 1:
        return "keyVaults", {}
    return f"keyVaults.{candidates[0]}", several[candidates[0]]


def judge(plan: StackPlan, denial: Denial, cls: PlannedClass | None, workload: str, object_key: str | None) -> Verdict:
    """The verdict for one 403 on a Pod the stack declares."""
    denied = denial.vault or (str(cls.parameters.get("keyvaultName") or "") if cls else "")
    vault_key, vault_config = stack_vault(plan.config, denied)
    stack_model = str(_get(vault_config, "permissionModel") or AUTO)
    grants = plan.grants
    planned_models = sorted({g.model for g in grants})
    client = class_client_id(cls)
    identity, why = compare_identity(denial, client, sorted({g.principal for g in grants}), plan.known)
    error_model = denial.model
    if error_model not in MODEL_NAMES:
        model = (
            f"the message does not say which model refused it; the stack's {NS}:{vault_key}.permissionModel is "
            f"{stack_model!r}: compare with `az keyvault show -n {denial.vault or vault_config.get('name')} --query "
            "properties.enableRbacAuthorization -o tsv` (true = rbac, false = accessPolicy) and set it to match "
            "(or auto, which reads the vault)"
        )
        return Verdict(MODEL_UNKNOWN, identity, f"{MODEL_UNKNOWN}: {model}")
    evidence = "ForbiddenByRbac" if error_model == RBAC else "an access-policy refusal"
    if stack_model in MODEL_NAMES and stack_model != error_model:
        written = (
            "access policies, which an RBAC vault ignores for data access"
            if stack_model == ACCESS_POLICY
            else "role assignments, which an access-policy vault ignores for data access"
        )
        return Verdict(
            MODEL_MISMATCH,
            identity,
            f"{MODEL_MISMATCH}: the vault uses {MODEL_NAMES[error_model]} ({evidence}), the stack writes {written} "
            f"({NS}:{vault_key}.permissionModel: {stack_model}): set it to {error_model} "
            "(or auto, which reads the vault) and run `pulumi up`",
        )
    if identity == DIFFERS:
        fix = (
            f"the Pod ran on a node whose identity the stack does not grant: add its pool to {NS}:nodes"
            if client is None
            else "the live class is not the planned one (re-apply the stack: `pulumi up`) or, if that identity is "
            f"the one to use, make it {NS}:identity so the stack grants it"
        )
        return Verdict(WRONG_IDENTITY, identity, f"{WRONG_IDENTITY}: {why}: {fix}")
    auto = (
        "; permissionModel auto read the vault's model at deploy "
        f"(planned offline as {', '.join(planned_models) or 'no grant'})"
        if stack_model == AUTO
        else ""
    )
    other = "the Pod ran on a node the stack does not grant" if client is None else "the live class names another one"
    unverified = (
        f" - if the caller is the stack's identity: {why}; {hand_check(plan.config, plan.label)}; "
        f"if it is not, it is the wrong identity ({other})"
        if identity == UNVERIFIED
        else ""
    )
    missing = _missing_grant(denial, grants, workload, object_key)
    if missing is not None:
        return Verdict(GRANT_MISSING, identity, f"{GRANT_MISSING}: {missing}{auto}{unverified}")
    declared = grant_text(_covering(denial, grants), error_model)
    if error_model == RBAC:
        # Role assignments take minutes to apply (docs/azure-rules.md §kv-rbac-propagation).
        text = (
            f"{RBAC_PROPAGATION}: the stack assigns {declared} to the stack's identity and the vault uses Azure RBAC "
            "(model matches, object kind granted): role assignments take up to 10 minutes to apply (the 403 says "
            "'please observe propagation time') - wait and retry, kubelet retries the mount by itself; refused "
            "longer: the assignment is not live, check `az role assignment list --assignee <oid> --all -o table` "
            "and run `pulumi up`"
        )
        return Verdict(RBAC_PROPAGATION, identity, f"{text}{auto}{unverified}")
    text = (
        f"{GRANT_NOT_APPLIED}: the stack writes {declared} for the stack's identity and the vault uses access policies "
        "(model matches, object kind granted), yet the vault refuses: its live policies lack that entry - the stack "
        "is not applied (`pulumi up`) or something rewrote the policies (a Vault resource with inline "
        f"accessPolicies, a portal edit): `az keyvault show -n {denial.vault or '<vault>'} --query "
        f"\"properties.accessPolicies[?objectId=='{denial.oid or '<oid>'}']\"`"
    )
    return Verdict(GRANT_NOT_APPLIED, identity, f"{text}{auto}{unverified}")


def grant_text(grants: Iterable[PlannedGrant], model: str) -> str:
    """The grants as ``model`` words them: an ``auto`` plan made offline may be in the other model."""
    grants = list(grants)
    if all(g.model == model for g in grants):
        return "; ".join(sorted({f"{g.label} on {g.vault}" for g in grants}))
    by_vault: dict[str, set[str]] = {}
    for g in grants:
        by_vault.setdefault(g.vault, set()).update(g.families)
    words = {
        vault: sorted({role for role, families in ROLE_FAMILIES.values() if families & fams})
        if model == RBAC
        else sorted(f"{f} get" for f in fams)
        for vault, fams in by_vault.items()
    }
    return "; ".join(f"{', '.join(w)} on {vault}" for vault, w in sorted(words.items()))


def _on_vault(denial: Denial, grants: list[PlannedGrant]) -> list[PlannedGrant]:
    if not denial.vault:
        return grants
    return [g for g in grants if g.vault.lower() == denial.vault.lower()]


def _covering(denial: Denial, grants: list[PlannedGrant]) -> list[PlannedGrant]:
    # Listing versions needs its own access-policy permission; the roles include it.
    family, listing = denial.family, denial.verb == "list" and denial.model != RBAC
    return [
        g
        for g in _on_vault(denial, grants)
        if family is None or (family in g.families and (not listing or family in g.listing))
    ]


def _missing_grant(denial: Denial, grants: list[PlannedGrant], workload: str, object_key: str | None) -> str | None:
    """Why the stack grants nothing that covers the refused object, or None when it does."""
    if not _on_vault(denial, grants):
        vaults = sorted({g.vault for g in grants}) or ["no vault"]
        return (
            f"the Pod read vault {denial.vault}, the stack grants on {', '.join(vaults)}: the live class is not the "
            f"planned one (its keyvaultName comes from {NS}:keyVault.name) - re-apply the stack"
        )
    if _covering(denial, grants):
        return None
    family, verb = denial.family, denial.verb or "get"
    granted = grant_text(_on_vault(denial, grants), denial.model or ACCESS_POLICY)
    obj = f"{denial.object_type or 'object'} {denial.object_name!r}" if denial.object_name else f"a {family} object"
    if verb == "list":
        need = f"{obj} is read with its versions (objectVersionHistory > 1), which needs {family} list"
    else:
        need = f"{obj} needs {family} get"
    where = (
        f"it is {object_key}" if object_key else f"it is not among the planned objects of {workload}: declare it there"
    )
    return (
        f"the stack grants {granted}, but {need}; "
        f"{where} (keyvault-csi grants what the declared objects need) and run `pulumi up`"
    )
