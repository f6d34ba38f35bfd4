"""KeyVaultCsiMocks: every invoke our components make is answered, and every answer can be overridden."""

from __future__ import annotations

import runpy
from typing import Any

import pulumi
import pytest
from pulumi_azure_native import containerservice, keyvault, resources

from keyvault_csi.testing import KeyVaultCsiMocks
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import ROOT, as_stack_config, base_settings

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"


class Recording(KeyVaultCsiMocks):
    """Keeps each answer, to show none is empty or holds a None."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answers: dict[str, dict[str, Any]] = {}

    def answer(self, token: str, inputs: dict[str, Any]) -> dict[str, Any]:
        self.answers[token] = super().answer(token, inputs)
        return self.answers[token]


def holds_none(value: Any) -> bool:
    if isinstance(value, dict):
        return any(holds_none(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_none(v) for v in value)
    return value is None


@pytest.mark.parametrize("mode", ["userAssigned", "existing", "systemAssigned", "kubelet", "workload"])
def test_every_invoke_of_every_identity_mode_is_answered(mode: str) -> None:
    settings = base_settings(mode)
    settings["keyVault"]["permissionModel"] = "auto"  # getVault too
    settings["kubernetes"] = {"cluster": {"resourceGroup": "rg-aks", "name": "aks"}}  # the cluster credentials
    mocks = Recording(subscription_id=SUBSCRIPTION)
    graph = evaluate(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"), as_stack_config(settings), mocks=mocks
    )
    assert graph.invokes and {i.token for i in graph.invokes} == set(mocks.answers)
    for token, answer in mocks.answers.items():
        assert answer and not holds_none(answer), token
        assert "/subscriptions/<subscriptionId>" not in str(answer), token
    assert not any("None" in str(r.inputs) for r in graph.resources)


def test_the_answers_carry_what_the_components_read() -> None:
    mocks = KeyVaultCsiMocks(subscription_id=SUBSCRIPTION, tenant_id="11111111-1111-1111-1111-111111111111")
    config = mocks.answer("azure-native:authorization:getClientConfig", {})
    assert config["subscriptionId"] == SUBSCRIPTION and config["tenantId"] == "11111111-1111-1111-1111-111111111111"
    cluster = mocks.answer(
        "azure-native:containerservice:getManagedCluster", {"resourceGroupName": "rg-aks", "resourceName": "aks"}
    )
    assert cluster["identityProfile"]["kubeletidentity"]["clientId"] == "<aks-agentpool.clientId>"
    assert cluster["oidcIssuerProfile"]["issuerURL"] == "<aks.oidcIssuerURL>"
    assert cluster["nodeResourceGroup"] == "MC_rg-aks_aks_location"
    assert cluster["id"].startswith(f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-aks/")
    vault = mocks.answer("azure-native:keyvault:getVault", {"resourceGroupName": "rg", "vaultName": "kv"})
    assert vault["properties"]["enableRbacAuthorization"] is False and vault["properties"]["accessPolicies"] == []
    assert KeyVaultCsiMocks(vault_rbac={"kv": True}).answer(
        "azure-native:keyvault:getVault", {"resourceGroupName": "rg", "vaultName": "kv"}
    )["properties"]["enableRbacAuthorization"]
    assert "oidcIssuerProfile" in cluster and KeyVaultCsiMocks(clusters_without_oidc=["aks"]).answer(
        "azure-native:containerservice:getManagedCluster", {"resourceGroupName": "rg-aks", "resourceName": "aks"}
    )["oidcIssuerProfile"] == {"enabled": False}


def test_invoke_and_resource_answers_are_overridable() -> None:
    mocks = KeyVaultCsiMocks(
        invokes={
            "azure-native:containerservice:getManagedCluster": {"nodeResourceGroup": "MC_custom"},
            "azure-native:keyvault:getVault": lambda inputs: {"name": inputs["vaultName"], "properties": {}},
        },
        resources={"azure-native:keyvault:Vault": {"name": "kv-renamed"}},
    )
    cluster = mocks.answer(
        "azure-native:containerservice:getManagedCluster", {"resourceGroupName": "rg", "resourceName": "aks"}
    )
    assert cluster["nodeResourceGroup"] == "MC_custom" and "identityProfile" in cluster  # merged over the default
    assert mocks.answer("azure-native:keyvault:getVault", {"resourceGroupName": "rg", "vaultName": "kv"}) == {
        "name": "kv",
        "properties": {},
    }

    def program() -> None:
        vault = keyvault.Vault("vault", vault_name="kv-shop", resource_group_name="rg", properties={})
        pulumi.export("name", vault.name)

    assert evaluate(program, mocks=mocks).stack_outputs["name"] == "kv-renamed"


def test_a_subclass_overrides_the_outputs_of_resources() -> None:
    class Mine(KeyVaultCsiMocks):
        def resource_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
            outputs = super().resource_outputs(typ, name, inputs)
            if typ == "azure-native:containerservice:ManagedCluster":
                outputs["nodeResourceGroup"] = "MC_mine"
            return outputs

    def program() -> None:
        cluster = containerservice.ManagedCluster("aks", resource_name_="aks", resource_group_name="rg")
        pulumi.export("nodes", cluster.node_resource_group)

    assert evaluate(program, mocks=Mine()).stack_outputs["nodes"] == "MC_mine"


def test_created_resources_get_the_outputs_azure_computes() -> None:
    def program() -> None:
        group = resources.ResourceGroup("rg", resource_group_name="rg-shop", location="westeurope")
        cluster = containerservice.ManagedCluster(
            "aks", resource_name_="aks-shop", resource_group_name=group.name, location="westeurope"
        )
        vault = keyvault.Vault("vault", vault_name="kv-shop", resource_group_name=group.name, properties={})
        pulumi.export("group", [group.name, group.id])
        pulumi.export("cluster", [cluster.name, cluster.node_resource_group, cluster.identity_profile])
        pulumi.export("vault", [vault.name, vault.id])

    outputs = evaluate(program, mocks=KeyVaultCsiMocks(subscription_id=SUBSCRIPTION)).stack_outputs
    assert outputs["group"] == ["rg-shop", f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-shop"]
    assert outputs["cluster"][:2] == ["aks-shop", "MC_rg-shop_aks-shop_westeurope"]
    assert outputs["cluster"][2]["kubeletidentity"]["object_id"] == "<aks-shop-agentpool.objectId>"
    assert outputs["vault"] == [
        "kv-shop",
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-shop/providers/Microsoft.KeyVault/vaults/kv-shop",
    ]


def test_resource_ids_carry_the_mocks_subscription() -> None:
    """The subscription is built into every ARM ID the mocks answer, not patched into their text afterwards."""
    mocks = KeyVaultCsiMocks(subscription_id=SUBSCRIPTION)
    args = pulumi.runtime.MockResourceArgs(
        typ="azure-native:managedidentity:UserAssignedIdentity",
        name="id",
        inputs={"resourceGroupName": "rg", "resourceName": "id-app"},
        provider="",
        resource_id="",
        custom=True,
    )
    resource_id, outputs = mocks.new_resource(args)
    assert resource_id == outputs["id"]
    assert resource_id.startswith(f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/")
    vault = mocks.answer("azure-native:keyvault:getVault", {"resourceGroupName": "rg-kv", "vaultName": "kv"})
    assert vault["id"].startswith(f"/subscriptions/{SUBSCRIPTION}/")
