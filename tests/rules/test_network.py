"""Can the nodes reach the vault: the pure decision over getVault's network settings.

docs/azure-rules.md §kv-network.
"""

from __future__ import annotations

import pytest

from keyvault_csi.rules.choices import Environment
from keyvault_csi.rules.network import (
    PrivateEndpoint,
    VaultNetwork,
    connection_name,
    network_warning,
    unreadable_warning,
)

SUBNET = "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-aks/subnets/nodes"


def warning(network: VaultNetwork, environment: Environment = Environment.PUBLIC) -> str | None:
    return network_warning("kv-shop", "rg-secrets", network, environment)


@pytest.mark.parametrize(
    "network",
    [
        VaultNetwork(),  # a vault that predates the properties: Azure's defaults
        VaultNetwork(public_network_access="Enabled", default_action="Allow"),
        VaultNetwork(public_network_access="enabled"),  # the REST default's spelling
        VaultNetwork(public_network_access="Disabled", private_endpoints=[PrivateEndpoint("pe1", "Approved")]),
        VaultNetwork(
            default_action="Deny",
            private_endpoints=[PrivateEndpoint("a", "Rejected"), PrivateEndpoint("b", "approved")],
        ),
    ],
)
def test_reachable_vaults_get_no_warning(network: VaultNetwork) -> None:
    assert warning(network) is None


def test_public_access_disabled_without_an_approved_endpoint_names_the_vault_and_the_fix() -> None:
    assert warning(VaultNetwork(public_network_access="Disabled", default_action="Allow")) == (
        "Key Vault 'kv-shop' (resource group 'rg-secrets') has publicNetworkAccess Disabled and no approved private "
        "endpoint connection: every mount of its objects will fail with 403 ForbiddenByFirewall (the Pods stay in "
        "ContainerCreating). Fix: a private endpoint for the vault (group id 'vault') in the cluster's virtual network "
        "or one peered to it, with the private DNS zone 'privatelink.vaultcore.azure.net' linked to the cluster's "
        "virtual network; or enable public network access with network rules that allow the nodes (docs/network.md)."
    )


def test_disabled_public_access_overrides_the_firewall_rules() -> None:
    text = warning(VaultNetwork(public_network_access="Disabled", default_action="Allow", ip_rules=["20.1.2.3/32"]))
    assert text is not None and "publicNetworkAccess Disabled" in text and "20.1.2.3" not in text


def test_pending_connections_are_named_with_the_approve_command() -> None:
    network = VaultNetwork(
        public_network_access="Disabled",
        private_endpoints=[PrivateEndpoint("kv-shop.pe-aks", "Pending"), PrivateEndpoint("old", "Disconnected")],
    )
    text = warning(network) or ""
    assert (
        "Its private endpoint connections are not approved: 'kv-shop.pe-aks' (Pending), 'old' (Disconnected); "
        "approve one: az keyvault private-endpoint-connection approve -g rg-secrets --vault-name kv-shop "
        "-n kv-shop.pe-aks."
    ) in text


def test_deny_by_default_lists_the_rules_the_nodes_must_be_in() -> None:
    text = warning(VaultNetwork(default_action="Deny", ip_rules=["20.1.2.3/32"], subnet_rules=[SUBNET])) or ""
    assert text.startswith(
        "Key Vault 'kv-shop' (resource group 'rg-secrets') denies by default (networkAcls.defaultAction Deny), has no "
        "approved private endpoint connection and allows only IP rules 20.1.2.3/32 and virtual network rules for the "
        "subnets vnet-aks/nodes: unless they cover the nodes, every mount of its objects will fail"
    )
    assert "az keyvault network-rule add -g rg-secrets -n kv-shop --subnet <node subnet id>" in text
    assert "az keyvault network-rule add -g rg-secrets -n kv-shop --ip-address <egress IP>" in text


def test_deny_without_rules_says_nothing_is_allowed() -> None:
    text = warning(VaultNetwork(public_network_access="Enabled", default_action="Deny")) or ""
    assert "has no approved private endpoint connection and no IP or virtual network rule (nothing is allowed)" in text


@pytest.mark.parametrize(
    ("environment", "zone"),
    [
        (Environment.PUBLIC, "privatelink.vaultcore.azure.net"),
        (Environment.USGOVERNMENT, "privatelink.vaultcore.usgovcloudapi.net"),
        (Environment.CHINA, "privatelink.vaultcore.azure.cn"),
    ],
)
def test_the_private_dns_zone_is_the_clouds(environment: Environment, zone: str) -> None:
    assert f"the private DNS zone '{zone}' linked" in (
        warning(VaultNetwork(public_network_access="Disabled"), environment) or ""
    )


def test_connection_names_are_the_last_segment_of_their_id() -> None:
    assert (
        connection_name(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/privateEndpointConnections/pe1"
        )
        == "pe1"
    )
    assert connection_name("") == ""


def test_an_unreadable_vault_says_what_was_not_checked_and_why() -> None:
    text = unreadable_warning("kv-shop", "rg-secrets", 'Status=403 Code="AuthorizationFailed"')
    assert text.startswith("Key Vault 'kv-shop' (resource group 'rg-secrets') could not be read at preview")
    assert 'was not checked: Status=403 Code="AuthorizationFailed".' in text
    assert "Microsoft.KeyVault/vaults/read" in text
