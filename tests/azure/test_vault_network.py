"""A private vault gets its warning at preview, read through stack config like a user's stack (docs/network.md)."""

from __future__ import annotations

import logging
from typing import Any

import pulumi
import pytest

from keyvault_csi import AksKeyVaultSecrets
from keyvault_csi.rules.network import NOT_READ
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import ACCESS_POLICY, ROLE_ASSIGNMENT, base_settings, run_program

GET_VAULT = "azure-native:keyvault:getVault"
KEY_VAULT_ACCESS = "keyvault-csi:index:KeyVaultAccess"
CONNECTION = (
    "/subscriptions/s/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kvname/privateEndpointConnections"
)


def connection(name: str, status: str) -> dict[str, Any]:
    """A privateEndpointConnections item as azure-native's getVault answers it (properties flattened)."""
    return {
        "id": f"{CONNECTION}/{name}",
        "provisioningState": "Succeeded",
        "privateEndpoint": {
            "id": f"/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/{name}"
        },
        "privateLinkServiceConnectionState": {"status": status, "actionsRequired": "None"},
    }


PRIVATE = {"publicNetworkAccess": "Disabled", "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny"}}


def with_model(model: str) -> dict[str, Any]:
    settings = base_settings("userAssigned")
    settings["keyVault"]["permissionModel"] = model
    return settings


def messages(caplog: pytest.LogCaptureFixture, level: int, fragment: str = "Key Vault") -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and fragment in r.getMessage()]


@pytest.mark.parametrize("model", ["accessPolicy", "rbac", "auto"])
def test_a_private_vault_without_an_endpoint_is_warned_about_at_preview(
    model: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        graph = run_program(with_model(model), vault_properties={"kvname": PRIVATE})
    (warned,) = messages(caplog, logging.WARNING)
    assert warned.startswith(
        "Key Vault 'kvname' (resource group 'rg-secrets') has publicNetworkAccess Disabled and no approved private "
        "endpoint connection: every mount of its objects will fail with 403 ForbiddenByFirewall"
    )
    assert "privatelink.vaultcore.azure.net" in warned
    # One read serves the permission model, the entries and the network check; the deployment goes on.
    assert [i.token for i in graph.invokes].count(GET_VAULT) == 1
    assert graph.by_type(ACCESS_POLICY) or graph.by_type(ROLE_ASSIGNMENT)


def test_an_approved_private_endpoint_is_the_way_in(caplog: pytest.LogCaptureFixture) -> None:
    answer = {
        **PRIVATE,
        "privateEndpointConnections": [connection("pe-old", "Rejected"), connection("pe-aks", "Approved")],
    }
    with caplog.at_level(logging.INFO):
        run_program(base_settings("userAssigned"), vault_properties={"kvname": answer})
    assert messages(caplog, logging.WARNING) == []


def test_a_pending_endpoint_is_named_with_its_approval(caplog: pytest.LogCaptureFixture) -> None:
    answer = {**PRIVATE, "privateEndpointConnections": [connection("kvname.pe-aks", "Pending")]}
    with caplog.at_level(logging.WARNING):
        run_program(base_settings("userAssigned"), vault_properties={"kvname": answer})
    (warned,) = messages(caplog, logging.WARNING)
    assert "'kvname.pe-aks' (Pending); approve one: az keyvault private-endpoint-connection approve" in warned


def test_a_firewalled_vault_lists_its_rules_and_the_cloud_decides_the_zone(caplog: pytest.LogCaptureFixture) -> None:
    settings = base_settings("userAssigned") | {"environment": "usgovernment"}
    answer = {
        "networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "20.1.2.3/32"}], "virtualNetworkRules": []}
    }
    with caplog.at_level(logging.WARNING):
        run_program(settings, vault_properties={"kvname": answer})
    (warned,) = messages(caplog, logging.WARNING)
    assert (
        "denies by default (networkAcls.defaultAction Deny)" in warned and "allows only IP rules 20.1.2.3/32" in warned
    )
    assert "'privatelink.vaultcore.usgovcloudapi.net'" in warned


def test_a_public_vault_is_read_and_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        graph = run_program(base_settings("userAssigned"))
    assert [i.args for i in graph.invokes if i.token == GET_VAULT] == [
        {"resourceGroupName": "rg-secrets", "vaultName": "kvname"}
    ]
    assert messages(caplog, logging.WARNING) == [] and messages(caplog, logging.INFO) == []


@pytest.mark.parametrize("model", ["accessPolicy", "rbac"])
def test_a_vault_the_deployer_cannot_read_is_a_warning_not_a_failure(
    model: str, caplog: pytest.LogCaptureFixture
) -> None:
    error = 'Status=403 Code="AuthorizationFailed" Message="The client does not have authorization"'
    with caplog.at_level(logging.WARNING):
        graph = run_program(with_model(model), unreadable_vaults={"kvname": error})
    (warned,) = messages(caplog, logging.WARNING)
    assert warned.startswith(
        "Key Vault 'kvname' (resource group 'rg-secrets') could not be read at preview, so whether the nodes can "
        "reach it (public network access, firewall, private endpoints) was not checked: invoke of "
        "azure-native:keyvault:getVault failed: Status=403"
    )
    assert graph.by_type(ACCESS_POLICY) or graph.by_type(ROLE_ASSIGNMENT)  # the grants are declared all the same
    # Read once: the access policies' look for existing entries failed too, and the failure was kept.
    assert [i.token for i in graph.invokes].count(GET_VAULT) == 1


def test_auto_still_needs_the_read() -> None:
    settings = with_model("auto")
    with pytest.raises(Exception, match="invoke of azure-native:keyvault:getVault failed: Status=404"):
        run_program(settings, unreadable_vaults={"kvname": 'Status=404 Code="ResourceNotFound"'})


def test_a_vault_named_by_outputs_is_not_read_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    def program() -> None:
        settings = base_settings("userAssigned")
        settings["keyVault"]["name"] = pulumi.Output.from_input("kv-created")
        settings["workloads"][0]["secretProviderClass"] = "app"
        AksKeyVaultSecrets("app", settings)

    with caplog.at_level(logging.INFO):
        graph = evaluate(program)
    assert GET_VAULT not in [i.token for i in graph.invokes]
    (access,) = graph.by_type(KEY_VAULT_ACCESS)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and r.getMessage() == NOT_READ] == [
        NOT_READ
    ]
    assert access.name == "app-access"
