"""Grants that already exist on a vault before this program runs (docs/existing-grants.md).

Every vault the seed steps were run on by hand already has an access-policy entry for the
identity. azure-native's ``keyvault.AccessPolicy`` refuses to create an entry for a principal that
has one ("access policy for <objectId> already exists") and its delete removes the whole entry.
So an existing entry is *adopted*: imported by id, declared with the union of what it already
grants and what the objects need (nothing it grants is dropped), and retained on delete (a destroy
never removes what someone else added). These functions are the pure part of that decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from keyvault_csi.rules.arm_ids import access_policy_id

# `az keyvault set-policy` flag per access-policy permission family ARM knows
# (``properties.accessPolicies[].permissions``).
_CLI_FLAG = {
    "certificates": "--certificate-permissions",
    "keys": "--key-permissions",
    "secrets": "--secret-permissions",
    "storage": "--storage-permissions",
}
FAMILIES = tuple(_CLI_FLAG)
# Azure's limit of access-policy entries per vault (docs/azure-rules.md §kv-access-policy-serial).
MAX_ACCESS_POLICIES = 1024


@dataclass(frozen=True)
class ExistingEntry:
    """One entry of ``properties.accessPolicies`` as ``getVault`` returns it."""

    object_id: str
    tenant_id: str
    permissions: Mapping[str, Sequence[str]]
    application_id: str | None = None


@dataclass(frozen=True)
class Adoption:
    """What to declare for a principal whose entry already exists."""

    entry: ExistingEntry
    permissions: dict[str, list[str]]
    """Existing permissions first, in ARM's order and spelling, then the missing ones we need."""
    added: dict[str, list[str]] = field(default_factory=dict)
    """What we add on top of the entry (empty: it already grants everything)."""


def find_entry(entries: Iterable[ExistingEntry], object_id: str) -> ExistingEntry | None:
    """The entry for ``object_id`` (object IDs are GUIDs: compared case-insensitively).

    An entry with an ``applicationId`` (a compound identity) still counts: azure-native's
    AccessPolicy matches on ``objectId`` alone, so creating ours would fail just the same.
    """
    wanted = object_id.lower()
    return next((e for e in entries if e.object_id.lower() == wanted), None)


def adopt(entry: ExistingEntry, needed: Mapping[str, Sequence[str]]) -> Adoption:
    """Union of the entry's permissions and ``needed``; never drops a permission or a family.

    ARM treats permission names case-insensitively (the portal writes ``Get``, the CLI ``get``):
    a needed ``get`` is satisfied by an existing ``Get``. Existing values keep their order and
    spelling so that adopting an entry that already grants everything imports with no diff.
    """
    merged: dict[str, list[str]] = {}
    added: dict[str, list[str]] = {}
    for family in sorted(set(entry.permissions) | set(needed)):
        have = list(entry.permissions.get(family) or [])
        have_lower = {p.lower() for p in have}
        missing = sorted({p.lower() for p in needed.get(family, [])} - have_lower)
        if have or missing:
            merged[family] = have + missing
        if missing:
            added[family] = missing
    return Adoption(entry=entry, permissions=merged, added=added)


def access_policy_limit_problem(entries: Sequence[ExistingEntry], principals: Iterable[object]) -> str | None:
    """Why entries for ``principals`` do not fit the vault next to its ``entries``, else None.

    A principal given as a string that already has an entry is adopted (no new entry); any other
    principal, including one not known yet (created by the program), adds one.
    """
    known = {e.object_id.lower() for e in entries}
    added = sum(1 for p in principals if not (isinstance(p, str) and p.lower() in known))
    total = len(entries) + added
    if total <= MAX_ACCESS_POLICIES:
        return None
    return (
        f"the vault has {len(entries)} access policies and keyvault-csi would add {added}, {total} in all; allowed: "
        f"at most {MAX_ACCESS_POLICIES} per vault (Azure refuses more); remove entries nobody uses first "
        "(`az keyvault delete-policy`)"
    )


def access_policy_import_id(subscription_id: str, resource_group: str, vault_name: str, object_id: str) -> str:
    """The id azure-native gives an AccessPolicy it creates (``…/vaults/{vault}/accessPolicy/{objectId}``).

    Built from the same inputs the provider substitutes into its path, so a policy this stack
    created earlier has exactly this id and the ``import`` option treats it as already managed.
    """
    return access_policy_id(subscription_id, resource_group, vault_name, object_id)


def set_policy_command(
    vault_name: str,
    resource_group: str,
    object_id: str,
    permissions: Mapping[str, Sequence[str]],
    subscription_id: str | None = None,
) -> str:
    """The ``az keyvault set-policy`` line that grants ``permissions`` (one flag per family)."""
    parts = ["az keyvault set-policy", f"--name {vault_name}", f"--resource-group {resource_group}"]
    if subscription_id:
        parts.append(f"--subscription {subscription_id}")
    parts.append(f"--object-id {object_id}")
    for family in FAMILIES:
        if permissions.get(family):
            parts.append(f"{_CLI_FLAG[family]} {' '.join(permissions[family])}")
    return " ".join(parts)


def describe(permissions: Mapping[str, Sequence[str]]) -> str:
    """``secrets: get, list; keys: get`` (``none`` when empty)."""
    text = "; ".join(f"{family}: {', '.join(perms)}" for family, perms in sorted(permissions.items()) if perms)
    return text or "none"
