"""Vaults that already have an access-policy entry for our principal (docs/azure-rules.md §kv-existing-grants).

azure-native's AccessPolicy refuses to create an entry that exists and its delete removes the
whole entry, so an entry found at preview is imported, declared with the union of its permissions
and ours, and retained on delete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from keyvault_csi.azure.keyvault_access import KeyVaultAccess
from keyvault_csi.azure.providers import SubscriptionProviders
from keyvault_csi.model.settings import KeyVaultSettings
from keyvault_csi.rules.objects import KeyVaultObject
from keyvault_csi.testing.mockgraph import PLACEHOLDER_SUBSCRIPTION, Graph, evaluate
from tests.support import ACCESS_POLICY, SUBSCRIPTION, TENANT, base_settings, identity_id, run_program

KUBELET_OID = "<aks-agentpool.objectId>"  # what the mock's getManagedCluster answers
EXISTING_OID = "<id-existing.principalId>"
OTHER = "00000000-0000-0000-0000-0000000000bb"
VAULT = "/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kvname"


def declare_access(principals: dict[str, pulumi.Input[str]]) -> KeyVaultAccess:
    """One access-policy ``KeyVaultAccess`` on ``kvname`` granting a secret to ``principals``."""
    return KeyVaultAccess(
        "access",
        KeyVaultSettings(name="kvname", resource_group="rg-secrets", permission_model="accessPolicy"),
        tenant_id=TENANT,
        objects=[KeyVaultObject.model_validate({"objectName": "s", "objectType": "secret"})],
        principals=principals,
        providers=SubscriptionProviders(),
        protect=False,
    )


def entry(object_id: str, **permissions: list[str]) -> dict[str, Any]:
    return {"objectId": object_id, "tenantId": TENANT, "permissions": permissions}


def kubelet_with(entries: list[dict[str, Any]], model: str = "accessPolicy") -> Graph:
    settings = base_settings("kubelet")
    settings["keyVault"]["permissionModel"] = model
    return run_program(settings, vault_access_policies={"kvname": entries})


def test_an_existing_entry_is_imported_merged_and_retained() -> None:
    graph = kubelet_with(
        [
            entry("99999999-9999-9999-9999-999999999999", secrets=["all"]),  # someone else: untouched
            entry(KUBELET_OID, secrets=["Get", "Set"], storage=["get"]),
        ]
    )
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.import_id == f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}{VAULT}/accessPolicy/{KUBELET_OID}"
    assert policy.retain_on_delete  # a destroy never removes what was there before us
    assert policy.inputs["policy"] == {
        "objectId": KUBELET_OID,
        "tenantId": TENANT,
        # base_settings mounts secret1 (secret) and key1 (key): keys get is added, nothing dropped.
        "permissions": {"keys": ["get"], "secrets": ["Get", "Set"], "storage": ["get"]},
    }


def test_an_entry_that_already_grants_everything_is_imported_unchanged() -> None:
    graph = kubelet_with([entry(KUBELET_OID.upper(), secrets=["get"], keys=["Get", "List"])])
    (policy,) = graph.by_type(ACCESS_POLICY)
    # The entry's own spelling: inputs equal to the entry import with no diff.
    assert policy.inputs["policy"]["objectId"] == KUBELET_OID.upper()
    assert policy.inputs["policy"]["permissions"] == {"keys": ["Get", "List"], "secrets": ["get"]}
    assert policy.import_id.endswith(f"/accessPolicy/{KUBELET_OID.upper()}")


def test_no_entry_for_our_principal_creates_one_with_exactly_what_is_needed() -> None:
    graph = kubelet_with([entry("99999999-9999-9999-9999-999999999999", secrets=["get"])], model="auto")
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.import_id == ""
    assert not policy.retain_on_delete
    assert policy.inputs["policy"]["permissions"] == {"keys": ["get"], "secrets": ["get"]}
    # auto read the vault once: for the model and for its entries.
    assert [i.token for i in graph.invokes].count("azure-native:keyvault:getVault") == 1


def test_existing_identity_entry_is_adopted_in_the_vaults_subscription() -> None:
    settings = base_settings("existing")
    settings["keyVault"]["subscriptionId"] = OTHER
    graph = run_program(
        settings,
        client_subscription=SUBSCRIPTION,
        vault_access_policies={"kvname": [entry(EXISTING_OID, secrets=["get"])]},
    )
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.import_id == f"/subscriptions/{OTHER}{VAULT}/accessPolicy/{EXISTING_OID}"
    assert policy.retain_on_delete
    # The identity itself is in the provider's subscription: read through the program's provider.
    (read,) = [i for i in graph.invokes if i.token == "azure-native:managedidentity:getUserAssignedIdentity"]
    assert "$pulumi:providers:azure-native::azure-native::" in read.provider
    assert settings["identity"]["resourceId"] == identity_id("id-existing")


def test_a_principal_created_by_the_program_cannot_have_an_entry_and_nothing_is_adopted() -> None:
    graph = run_program(base_settings("userAssigned"), vault_access_policies={"kvname": [entry(KUBELET_OID)]})
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.import_id == "" and not policy.retain_on_delete
    # The vault is read once: its entries (counted towards the vault's limit) and the network check share the read.
    assert [i.token for i in graph.invokes].count("azure-native:keyvault:getVault") == 1


def test_adopted_entries_are_reported_by_the_component() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        access = declare_access(
            {"a": "aaaaaaaa-0000-0000-0000-000000000000", "b": "bbbbbbbb-0000-0000-0000-000000000000"}
        )
        seen.update(access.adopted)

    evaluate(
        program,
        vault_access_policies={"kvname": [entry("BBBBBBBB-0000-0000-0000-000000000000", secrets=["get"])]},
    )
    assert seen == {
        "b": f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}{VAULT}/accessPolicy/BBBBBBBB-0000-0000-0000-000000000000"
    }


@pytest.mark.parametrize("protect", [True, False])
def test_adopted_entry_keeps_protect_and_is_always_retained(protect: bool) -> None:
    settings = base_settings("kubelet")
    settings["protect"] = protect
    graph = run_program(settings, vault_access_policies={"kvname": [entry(KUBELET_OID, secrets=["get"])]})
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.protect is protect
    assert policy.retain_on_delete


def access_policies_for(principals: dict[str, pulumi.Input[str]]) -> Callable[[], None]:
    """A program declaring one access-policy ``KeyVaultAccess`` on ``kvname`` for ``principals``."""

    def program() -> None:
        declare_access(principals)

    return program


def test_policies_stay_chained_when_one_is_adopted() -> None:
    program = access_policies_for({"a": "aaaaaaaa-0000-0000-0000-000000000000", "b": pulumi.Output.from_input("b-oid")})
    graph = evaluate(program, vault_access_policies={"kvname": [entry("aaaaaaaa-0000-0000-0000-000000000000")]})
    a, b = sorted(graph.by_type(ACCESS_POLICY), key=lambda r: r.name)
    assert a.import_id and not b.import_id  # b is an Output: not known at preview, not looked up
    assert graph.depends_on(b, a)  # ARM ConflictError: one write to the vault at a time


def test_import_id_uses_the_writing_providers_own_subscription_string() -> None:
    """A policy this stack created has the provider's spelling in its id; a different one would make
    the import option replace it (delete = remove the entry)."""
    settings = base_settings("kubelet")
    settings["keyVault"]["subscriptionId"] = OTHER.upper()  # same subscription as the provider, other case
    graph = run_program(
        settings, client_subscription=OTHER, vault_access_policies={"kvname": [entry(KUBELET_OID, secrets=["get"])]}
    )
    assert [r.name for r in graph.by_type("pulumi:providers:azure-native")] == ["azure-native"]
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.import_id == f"/subscriptions/{OTHER}{VAULT}/accessPolicy/{KUBELET_OID}"


def test_the_writing_providers_subscription_is_read_once_for_every_adopted_entry() -> None:
    principals = [f"{c * 8}-0000-0000-0000-000000000000" for c in "abc"]
    program = access_policies_for({p[0]: p for p in principals})
    graph = evaluate(program, vault_access_policies={"kvname": [entry(p) for p in principals]})
    assert all(r.import_id for r in graph.by_type(ACCESS_POLICY))
    assert [i.token for i in graph.invokes].count("azure-native:authorization:getClientConfig") == 1


def others(count: int) -> list[dict[str, Any]]:
    return [entry(f"{i:08x}-0000-0000-0000-000000000000", secrets=["get"]) for i in range(count)]


def test_a_vault_without_room_for_another_access_policy_is_refused_at_preview() -> None:
    """A vault holds at most 1024 entries (docs/azure-rules.md §kv-access-policy-serial); ARM would refuse the write."""
    with pytest.raises(pulumi.RunError) as raised:
        kubelet_with(others(1024))
    assert str(raised.value) == (
        "keyVault: Key Vault 'kvname' (resource group 'rg-secrets'): the vault has 1024 access policies and "
        "keyvault-csi would add 1, 1025 in all; allowed: at most 1024 per vault (Azure refuses more); remove entries "
        "nobody uses first (`az keyvault delete-policy`)"
    )
    # An entry of ours already there takes no room: it is adopted.
    (policy,) = kubelet_with([*others(1023), entry(KUBELET_OID, secrets=["get"])]).by_type(ACCESS_POLICY)
    assert policy.import_id


def test_a_principal_the_program_creates_counts_towards_the_limit() -> None:
    with pytest.raises(pulumi.RunError, match="^keyVault: .* would add 1, 1025 in all"):
        run_program(base_settings("userAssigned"), vault_access_policies={"kvname": others(1024)})
