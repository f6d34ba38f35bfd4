"""The preview's warning for a vault the nodes cannot reach over the network (docs/network.md).

The vault is read once (:meth:`KeyVaultAccess.read_vault`, shared with ``permissionModel: auto`` and the
existing-grant adoption); :func:`keyvault_csi.rules.network.network_warning` decides. A vault the
deployer cannot read is a warning that says so, never a silent skip (nor a failure: nothing else needs
the read then). A vault named by Outputs is one the program creates, with its network settings and
private endpoint declared beside it, possibly after this read would run: it is not read.
"""

from __future__ import annotations

from typing import Any

import pulumi

from keyvault_csi.azure.keyvault_access import KeyVaultAccess
from keyvault_csi.model.outputs import plain
from keyvault_csi.model.settings import KeyVaultSettings
from keyvault_csi.rules.choices import Environment
from keyvault_csi.rules.network import (
    NOT_READ,
    PrivateEndpoint,
    VaultNetwork,
    connection_name,
    network_warning,
    unreadable_warning,
)


def check_vault_network(access: KeyVaultAccess, vault: KeyVaultSettings, environment: Environment) -> None:
    """Warn (on ``access``) when the vault refuses the nodes' traffic or cannot be read; note a vault not read."""
    name, resource_group = plain(vault.name), plain(vault.resource_group)
    if name is None or resource_group is None:
        pulumi.log.info(NOT_READ, resource=access)
        return
    try:
        read = access.read_vault()
    except Exception as error:  # the provider's answer (403, 404, ...), as the engine raises it
        pulumi.log.warn(unreadable_warning(name, resource_group, error), resource=access)
        return
    if read is None:
        return
    warning = network_warning(name, resource_group, vault_network(read.properties), environment)
    if warning:
        pulumi.log.warn(warning, resource=access)


def vault_network(properties: Any) -> VaultNetwork:
    """``getVault``'s ``VaultPropertiesResponse`` -> :class:`VaultNetwork` (absent keys are ``None`` / empty)."""
    acls = getattr(properties, "network_acls", None)
    return VaultNetwork(
        public_network_access=getattr(properties, "public_network_access", None),
        default_action=getattr(acls, "default_action", None),
        ip_rules=[str(getattr(rule, "value", "")) for rule in (getattr(acls, "ip_rules", None) or [])],
        subnet_rules=[str(getattr(rule, "id", "")) for rule in (getattr(acls, "virtual_network_rules", None) or [])],
        private_endpoints=[
            PrivateEndpoint(
                name=connection_name(str(getattr(connection, "id", None) or "")),
                status=str(
                    getattr(getattr(connection, "private_link_service_connection_state", None), "status", None) or ""
                ),
            )
            for connection in (getattr(properties, "private_endpoint_connections", None) or [])
        ],
    )
