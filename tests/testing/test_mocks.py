"""KeyVaultCsiMocks: every invoke our components make is answered, and every answer can be overridden."""

from __future__ import annotations

import re
import runpy
import uuid
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
import pytest
from pulumi_azure_native import authorization, containerservice, keyvault, managedidentity, resources

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


@pytest.mark.parametrize(
    "mode", ["userAssigned", "existing", "systemAssigned", "kubelet", "workload", "identityBinding"]
)
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
    # A function's answer is laid over the default too: the keys it gives replace, the others stay.
    vault = mocks.answer("azure-native:keyvault:getVault", {"resourceGroupName": "rg", "vaultName": "kv"})
    assert vault["name"] == "kv" and vault["properties"] == {}
    assert vault["id"].endswith("/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv")

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


def test_an_identity_binding_gets_the_identity_and_issuer_aks_reports() -> None:
    group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers"
    identity = f"{group}/Microsoft.ManagedIdentity/userAssignedIdentities/id-app"

    def program() -> None:
        binding = containerservice.IdentityBinding(
            "ib",
            identity_binding_name="idapp",
            resource_group_name="rg",
            resource_name_="aks-shop",
            properties={"managed_identity": {"resource_id": identity}},
        )
        pulumi.export("binding", [binding.name, binding.id, binding.properties])

    outputs = evaluate(program, mocks=KeyVaultCsiMocks(subscription_id=SUBSCRIPTION)).stack_outputs
    name, id_, properties = outputs["binding"]
    cluster = f"{group}/Microsoft.ContainerService/managedClusters/aks-shop"
    assert (name, id_) == ("idapp", f"{cluster}/identityBindings/idapp")
    assert properties["managed_identity"] == {
        "resource_id": identity,
        "client_id": "<id-app.clientId>",
        "object_id": "<id-app.principalId>",
        "tenant_id": "<id-app.tenantId>",
    }
    assert properties["oidc_issuer"] == {"oidc_issuer_url": "<id-app.identityBindingIssuerURL>"}


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


def test_a_function_override_of_resource_outputs_keeps_the_other_outputs() -> None:
    mocks = KeyVaultCsiMocks(
        resources={"azure-native:keyvault:Vault": lambda inputs: {"tags": {"seen": inputs["vaultName"]}}}
    )

    def program() -> None:
        vault = keyvault.Vault("vault", vault_name="kv-shop", resource_group_name="rg", properties={})
        pulumi.export("vault", [vault.name, vault.id, vault.tags, vault.properties.vault_uri])

    name, id_, tags, uri = evaluate(program, mocks=mocks).stack_outputs["vault"]
    assert (name, tags, uri) == ("kv-shop", {"seen": "kv-shop"}, "https://kv-shop.vault.azure.net/")
    assert id_.endswith("/providers/Microsoft.KeyVault/vaults/kv-shop")


VAULT_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-shop/providers/Microsoft.KeyVault/vaults/kv-shop"


def test_names_and_ids_are_azures_not_the_pulumi_names() -> None:
    def program() -> None:
        secret = keyvault.Secret(
            "db", secret_name="db-password", vault_name="kv-shop", resource_group_name="rg-shop", properties={}
        )
        key = keyvault.Key(
            "signing", key_name="signing-key", vault_name="kv-shop", resource_group_name="rg-shop", properties={}
        )
        identity = managedidentity.UserAssignedIdentity("id", resource_name_="id-shop", resource_group_name="rg-shop")
        credential = managedidentity.FederatedIdentityCredential(
            "fic",
            federated_identity_credential_resource_name="shop-apps",
            resource_name_=identity.name,
            resource_group_name="rg-shop",
            issuer="https://issuer",
            subject="system:serviceaccount:shop:apps",
            audiences=["api://AzureADTokenExchange"],
        )
        pool = containerservice.AgentPool(
            "pool", agent_pool_name="apps", resource_name_="aks-shop", resource_group_name="rg-shop"
        )
        pulumi.export("names", [secret.name, key.name, identity.name, credential.name, pool.name])
        pulumi.export("ids", [secret.id, key.id, credential.id, pool.id])

    outputs = evaluate(program, mocks=KeyVaultCsiMocks(subscription_id=SUBSCRIPTION)).stack_outputs
    assert outputs["names"] == ["db-password", "signing-key", "id-shop", "shop-apps", "apps"]
    group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-shop/providers"
    assert outputs["ids"] == [
        f"{VAULT_ID}/secrets/db-password",
        f"{VAULT_ID}/keys/signing-key",
        f"{group}/Microsoft.ManagedIdentity/userAssignedIdentities/id-shop/federatedIdentityCredentials/shop-apps",
        f"{group}/Microsoft.ContainerService/managedClusters/aks-shop/agentPools/apps",
    ]


def test_a_resource_without_its_name_input_is_auto_named_as_azure_native_does_but_stably() -> None:
    def program() -> None:
        secret = keyvault.Secret("db", vault_name="kv-shop", resource_group_name="rg-shop", properties={})
        # An agent pool's resourceName is its cluster (a required parent), never its own name.
        pool = containerservice.AgentPool("apps", resource_name_="aks-shop", resource_group_name="rg-shop")
        grant = authorization.RoleAssignment("grant", principal_id="p", role_definition_id="r", scope=VAULT_ID)
        identity = managedidentity.UserAssignedIdentity("id", resource_group_name="rg-shop")
        pulumi.export("names", [secret.name, pool.name, grant.name])
        pulumi.export("ids", [secret.id, grant.id])
        pulumi.export("identity", [identity.name, identity.id, identity.client_id])

    first, second = (evaluate(program, mocks=KeyVaultCsiMocks(subscription_id=SUBSCRIPTION)) for _ in range(2))
    assert first.stack_outputs == second.stack_outputs  # the same answer every run
    secret, pool, grant = first.stack_outputs["names"]
    assert re.fullmatch(r"db[0-9a-f]{8}", secret) and re.fullmatch(r"apps[0-9a-f]{8}", pool)
    assert str(uuid.UUID(grant)) == grant  # role assignments are named with a GUID
    identity, identity_id, client_id = first.stack_outputs["identity"]
    assert re.fullmatch(r"id[0-9a-f]{8}", identity) and client_id == f"<{identity}.clientId>"
    assert identity_id.endswith(
        f"/resourceGroups/rg-shop/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{identity}"
    )
    assert first.stack_outputs["ids"] == [
        f"{VAULT_ID}/secrets/{secret}",
        f"{VAULT_ID}/providers/Microsoft.Authorization/roleAssignments/{grant}",
    ]


def test_other_types_are_named_by_their_own_name_input_with_a_placeholder_id() -> None:
    def program() -> None:
        # <type>Name; the optional `name` (the parent is required); the one optional ...Name input.
        link = keyvault.PrivateEndpointConnection(
            "link", private_endpoint_connection_name="pe-shop", vault_name="kv-shop", resource_group_name="rg"
        )
        hsm = keyvault.ManagedHsm("hsm", name="hsm-shop", resource_group_name="rg")
        window = containerservice.MaintenanceConfiguration(
            "window", config_name="aksManagedAutoUpgradeSchedule", resource_name_="aks-shop", resource_group_name="rg"
        )
        # The optional input the type's name ends with; `name` is the HSM here, a required parent.
        hsm_link = keyvault.MHSMPrivateEndpointConnection(
            "hsm-link", private_endpoint_connection_name="pe-hsm", name="hsm-shop", resource_group_name="rg"
        )
        unnamed = keyvault.MHSMPrivateEndpointConnection("unnamed", name="hsm-shop", resource_group_name="rg")
        pulumi.export("named", [[r.name, r.id] for r in (link, hsm, window, hsm_link)])
        pulumi.export("unnamed", unnamed.name)

    outputs = evaluate(program, mocks=KeyVaultCsiMocks()).stack_outputs
    assert outputs["named"] == [
        ["pe-shop", "<pe-shop.id>"],
        ["hsm-shop", "<hsm-shop.id>"],
        ["aksManagedAutoUpgradeSchedule", "<aksManagedAutoUpgradeSchedule.id>"],
        ["pe-hsm", "<pe-hsm.id>"],
    ]
    assert re.fullmatch(r"unnamed[0-9a-f]{8}", outputs["unnamed"])


def test_ids_are_in_the_subscription_of_the_resources_provider() -> None:
    other = "00000000-0000-0000-0000-0000000000bb"

    def program() -> None:
        elsewhere = azure_native.Provider("other", subscription_id=other)
        vault = keyvault.Vault(
            "vault",
            vault_name="kv-shop",
            resource_group_name="rg-shop",
            properties={},
            opts=pulumi.ResourceOptions(provider=elsewhere),
        )
        pulumi.export("id", vault.id)

    assert evaluate(program, mocks=KeyVaultCsiMocks(subscription_id=SUBSCRIPTION)).stack_outputs[
        "id"
    ] == VAULT_ID.replace(SUBSCRIPTION, other)
