"""Pure rules for adopting access-policy entries a vault already has (docs/existing-grants.md)."""

from __future__ import annotations

from keyvault_csi.rules.existing_grants import (
    MAX_ACCESS_POLICIES,
    ExistingEntry,
    access_policy_import_id,
    access_policy_limit_problem,
    adopt,
    describe,
    find_entry,
    set_policy_command,
)

OID = "8a48c337-90bf-4fef-acbb-9aaca225711d"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def entry(**permissions: list[str]) -> ExistingEntry:
    return ExistingEntry(object_id=OID, tenant_id=TENANT, permissions=permissions)


def test_find_entry_matches_object_id_case_insensitively() -> None:
    other = ExistingEntry(object_id="11111111-1111-1111-1111-111111111111", tenant_id=TENANT, permissions={})
    ours = entry(secrets=["get"])
    assert find_entry([other, ours], OID.upper()) is ours
    assert find_entry([other], OID) is None
    assert find_entry([], OID) is None


def test_adopt_keeps_every_existing_permission_and_family_and_adds_only_what_is_missing() -> None:
    existing = entry(secrets=["Get", "Set"], storage=["get"])
    adoption = adopt(existing, {"keys": ["get"], "secrets": ["get", "list"]})
    # Existing spelling and order first (an exact match imports without a diff), then ours.
    assert adoption.permissions == {"keys": ["get"], "secrets": ["Get", "Set", "list"], "storage": ["get"]}
    assert adoption.added == {"keys": ["get"], "secrets": ["list"]}


def test_adopt_an_entry_that_already_grants_everything_changes_nothing() -> None:
    existing = entry(secrets=["Get", "List"], keys=["get"])
    adoption = adopt(existing, {"keys": ["get"], "secrets": ["get"]})
    assert adoption.permissions == {"keys": ["get"], "secrets": ["Get", "List"]}
    assert adoption.added == {}


def test_import_id_is_the_one_azure_native_gives_a_policy_it_creates() -> None:
    assert access_policy_import_id("sub", "rg-secrets", "kvname", OID) == (
        f"/subscriptions/sub/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kvname/accessPolicy/{OID}"
    )


def test_set_policy_command_names_vault_subscription_principal_and_each_family() -> None:
    command = set_policy_command(
        "kvname", "rg-secrets", OID, {"secrets": ["Get", "list"], "keys": ["get"], "storage": []}, "sub-2"
    )
    assert command == (
        f"az keyvault set-policy --name kvname --resource-group rg-secrets --subscription sub-2 --object-id {OID} "
        "--key-permissions get --secret-permissions Get list"
    )
    assert "--subscription" not in set_policy_command("kvname", "rg", OID, {"secrets": ["get"]})


def test_describe() -> None:
    assert describe({"secrets": ["get", "list"], "keys": ["get"], "storage": []}) == "keys: get; secrets: get, list"
    assert describe({}) == "none"


def others(count: int) -> list[ExistingEntry]:
    return [
        ExistingEntry(object_id=f"{i:08x}-0000-0000-0000-000000000000", tenant_id=TENANT, permissions={})
        for i in range(count)
    ]


def test_a_vault_takes_at_most_1024_access_policies() -> None:
    assert MAX_ACCESS_POLICIES == 1024
    assert access_policy_limit_problem(others(1023), [OID]) is None
    assert access_policy_limit_problem(others(1024), [OID]) == (
        "the vault has 1024 access policies and keyvault-csi would add 1, 1025 in all; allowed: at most 1024 per "
        "vault (Azure refuses more); remove entries nobody uses first (`az keyvault delete-policy`)"
    )


def test_an_adopted_entry_takes_no_room_and_a_principal_not_known_yet_does() -> None:
    full = [*others(1023), entry(secrets=["get"])]
    assert access_policy_limit_problem(full, [OID.upper()]) is None  # adopted: the entry is already counted
    not_known_yet = object()  # an Output: a principal the program creates has no entry yet
    problem = access_policy_limit_problem(full, [OID, not_known_yet])
    assert problem is not None and "would add 1, 1025 in all" in problem
