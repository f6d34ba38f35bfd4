"""Can the nodes reach the vault? Its network settings as ``getVault`` answers them (docs/network.md).

The Azure provider on each node calls ``https://<vault>.vault.azure.net`` (or the cloud's suffix). A vault
that refuses public traffic (``publicNetworkAccess: Disabled``, which overrides every firewall rule) or
denies by default (``networkAcls.defaultAction: Deny``) answers that call with 403 ``ForbiddenByFirewall``
unless the call arrives through an approved private endpoint, or (Deny only) from an allowed subnet or
address. AKS is no "trusted service", so ``bypass: AzureServices`` does not let the nodes through.
The mount then fails on every Pod, long after ``pulumi up`` succeeded: the preview says so instead.
Pure rules, no Pulumi: the azure layer reads the vault and logs the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keyvault_csi.rules.choices import Environment

# The private DNS zone a Key Vault private endpoint registers in, per cloud (docs/azure-rules.md §kv-network).
PRIVATE_DNS_ZONES = {
    Environment.PUBLIC: "privatelink.vaultcore.azure.net",
    Environment.USGOVERNMENT: "privatelink.vaultcore.usgovcloudapi.net",
    Environment.CHINA: "privatelink.vaultcore.azure.cn",
}
APPROVED = "approved"  # privateLinkServiceConnectionState.status; ARM writes "Approved"


@dataclass(frozen=True)
class PrivateEndpoint:
    """One of the vault's ``privateEndpointConnections``: its name (the id's last segment) and status."""

    name: str
    status: str


@dataclass(frozen=True)
class VaultNetwork:
    """The vault's network settings, as ``getVault`` answers them (``None``: the key is absent)."""

    public_network_access: str | None = None
    default_action: str | None = None
    ip_rules: Sequence[str] = ()
    subnet_rules: Sequence[str] = ()
    """``virtualNetworkRules[].id``: subnet resource ids."""
    private_endpoints: Sequence[PrivateEndpoint] = ()


def connection_name(connection_id: str) -> str:
    """A private endpoint connection's name: the last segment of its id."""
    return connection_id.rstrip("/").rsplit("/", 1)[-1]


def _same(value: str | None, expected: str) -> bool:
    return (value or "").strip().lower() == expected.lower()


def network_warning(
    vault: str,
    resource_group: str,
    network: VaultNetwork,
    environment: Environment = Environment.PUBLIC,
) -> str | None:
    """The warning for a vault the nodes cannot reach over the network, with the fix; ``None`` if they can.

    An approved private endpoint connection is taken as the way in: whether its DNS zone is linked to
    the cluster's network cannot be read from the vault (docs/network.md says what to check).
    """
    disabled = _same(network.public_network_access, "Disabled")
    deny = _same(network.default_action, "Deny")
    if not (disabled or deny) or any(_same(pe.status, APPROVED) for pe in network.private_endpoints):
        return None
    zone = PRIVATE_DNS_ZONES[environment]
    where = f"Key Vault '{vault}' (resource group '{resource_group}')"
    private = (
        f"a private endpoint for the vault (group id 'vault') in the cluster's virtual network or one peered to it, "
        f"with the private DNS zone '{zone}' linked to the cluster's virtual network"
    )
    pending = [pe for pe in network.private_endpoints if not _same(pe.status, APPROVED)]
    waiting = ""
    if pending:
        listed = ", ".join(f"'{pe.name}' ({pe.status or 'no status'})" for pe in pending)
        first = pending[0].name
        waiting = (
            f" Its private endpoint connections are not approved: {listed}; approve one: "
            f"az keyvault private-endpoint-connection approve -g {resource_group} --vault-name {vault} -n {first}."
        )
    failure = "every mount of its objects will fail with 403 ForbiddenByFirewall (the Pods stay in ContainerCreating)"
    if disabled:
        return (
            f"{where} has publicNetworkAccess Disabled and no approved private endpoint connection: {failure}."
            f"{waiting} Fix: {private}; or enable public network access with network rules that allow the nodes "
            "(docs/network.md)."
        )
    rules = _rules_text(network.ip_rules, network.subnet_rules)
    return (
        f"{where} denies by default (networkAcls.defaultAction Deny), has no approved private endpoint connection "
        f"and {rules}: unless they cover the nodes, {failure}.{waiting} Fix: {private}; or allow the node subnet "
        f"(service endpoint Microsoft.KeyVault on it): az keyvault network-rule add -g {resource_group} -n {vault} "
        f"--subnet <node subnet id>; or the cluster's egress IP: az keyvault network-rule add -g {resource_group} "
        f"-n {vault} --ip-address <egress IP> (docs/network.md)."
    )


def _rules_text(ip_rules: Sequence[str], subnet_rules: Sequence[str]) -> str:
    if not ip_rules and not subnet_rules:
        return "no IP or virtual network rule (nothing is allowed)"
    parts = []
    if ip_rules:
        parts.append(f"IP rules {', '.join(ip_rules)}")
    if subnet_rules:
        parts.append(f"virtual network rules for the subnets {', '.join(_subnet(s) for s in subnet_rules)}")
    return "allows only " + " and ".join(parts)


def _subnet(subnet_id: str) -> str:
    """``<vnet>/<subnet>`` of a subnet resource id (the id itself if it is not one)."""
    parts = subnet_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "virtualnetworks" in lowered and "subnets" in lowered:
        vnet, subnet = lowered.index("virtualnetworks"), lowered.index("subnets")
        if vnet + 1 < len(parts) and subnet + 1 < len(parts):
            return f"{parts[vnet + 1]}/{parts[subnet + 1]}"
    return subnet_id


def unreadable_warning(vault: str, resource_group: str, error: object) -> str:
    """The vault could not be read at preview: say so (and why) instead of skipping the network check."""
    return (
        f"Key Vault '{vault}' (resource group '{resource_group}') could not be read at preview, so whether the nodes "
        f"can reach it (public network access, firewall, private endpoints) was not checked: {error}. The deployer "
        "needs Microsoft.KeyVault/vaults/read on the vault (Reader); a vault in another subscription needs "
        "keyVault.subscriptionId (docs/network.md)."
    )


NOT_READ = (
    "keyVault.name or keyVault.resourceGroup is an Output (a vault this program creates): its network settings "
    "are not read. If it disables public network access or denies by default, give it a private endpoint the "
    "cluster can reach, or network rules for the nodes (docs/network.md)."
)
