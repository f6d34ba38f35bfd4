"""``KeyVaultCsiMocks``: unit-test your own Pulumi program that embeds keyvault-csi, without a cloud.

Pulumi's mock runtime answers an invoke it knows nothing about with ``{}``, so a program that
embeds :class:`keyvault_csi.AksKeyVaultSecrets` would stop at ``/subscriptions/None/...`` or a
``TypeError``. These mocks answer every invoke the components make (client config, managed
cluster with kubelet identity, OIDC issuer and node resource group, vault, user-assigned identity,
cluster credentials) and the node-identity resource's outputs, with the same answers the
project's own tests use (:mod:`keyvault_csi.testing.mockgraph`). They also fill in the outputs
Azure computes for the resources such a program usually creates (resource group, AKS cluster,
Key Vault), so ``cluster.node_resource_group`` or ``vault.name`` resolve as in Azure.

Values only Azure knows are placeholders such as ``<id-app.clientId>``. Every answer can be
overridden: constructor keyword arguments, or a subclass overriding :meth:`answer` /
:meth:`resource_outputs`. Usage (``docs/embedding.md``)::

    pulumi.runtime.set_mocks(KeyVaultCsiMocks(), preview=False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pulumi
from azure.mgmt.core.tools import resource_id

from keyvault_csi.testing.mockgraph import (
    CLIENT_CONFIG,
    GET_MANAGED_CLUSTER,
    PlaceholderMocks,
)

Answer = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]
"""An override: a mapping merged over the default answer, or a function of the inputs giving the answer."""

# Subscription and tenant are GUIDs by default: keyvault-csi checks the values it is given, and a
# resource ID or tenant from these mocks must pass those checks.
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
# Azure-native resources whose ``name`` output is one of their inputs.
_NAME_INPUT = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:keyvault:Vault": "vaultName",
    "azure-native:containerservice:ManagedCluster": "resourceName",
    "azure-native:containerservice:AgentPool": "agentPoolName",
    "azure-native:network:VirtualNetwork": "virtualNetworkName",
    "azure-native:network:Subnet": "subnetName",
}
_ARM_TYPE = {
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault", "vaults"),
    "azure-native:containerservice:ManagedCluster": ("Microsoft.ContainerService", "managedClusters"),
    "azure-native:network:VirtualNetwork": ("Microsoft.Network", "virtualNetworks"),
}


class KeyVaultCsiMocks(PlaceholderMocks):
    """Mocks for programs that embed keyvault-csi: every invoke of its components answered.

    ``subscription_id``, ``tenant_id``, ``client_id``, ``object_id``: what ``getClientConfig``
    answers (the deployer); the subscription also appears in every resource ID. ``vault_rbac``: vault name -> ``enableRbacAuthorization`` for
    ``getVault`` (``permissionModel: auto``). ``clusters_without_oidc``: clusters whose
    ``getManagedCluster`` has no OIDC issuer. ``invokes``: token -> :data:`Answer` overriding an
    invoke's answer; ``resources``: type token -> :data:`Answer` (of the resource's inputs)
    overriding a resource's outputs. The attribute ``invokes`` records every invoke made.
    """

    def __init__(
        self,
        *,
        subscription_id: str = ZERO_GUID,
        tenant_id: str = ZERO_GUID,
        client_id: str = "<deployer.clientId>",
        object_id: str = "<deployer.objectId>",
        vault_rbac: Mapping[str, bool] | None = None,
        clusters_without_oidc: Iterable[str] = (),
        invokes: Mapping[str, Answer] | None = None,
        resources: Mapping[str, Answer] | None = None,
    ) -> None:
        super().__init__(vault_rbac, clusters_without_oidc, subscription=subscription_id)
        self.client_config = {
            "subscriptionId": subscription_id,
            "tenantId": tenant_id,
            "clientId": client_id,
            "objectId": object_id,
        }
        self.invoke_overrides = dict(invokes or {})
        self.resource_overrides = dict(resources or {})

    def answer(self, token: str, inputs: dict[str, Any]) -> dict[str, Any]:
        answer = super().answer(token, inputs)
        if token == CLIENT_CONFIG:
            answer |= self.client_config
        return _override(answer, self.invoke_overrides.get(token), inputs)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        outputs |= self.resource_outputs(args.typ, args.name, dict(args.inputs))
        outputs = _override(outputs, self.resource_overrides.get(args.typ), dict(args.inputs))
        return str(outputs.get("id", resource_id)), outputs

    def resource_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Outputs Azure computes for a resource of type ``typ`` (merged over its echoed inputs)."""
        outputs: dict[str, Any] = {}
        if typ in _NAME_INPUT and inputs.get(_NAME_INPUT[typ]):
            outputs["name"] = inputs[_NAME_INPUT[typ]]
        own = outputs.get("name", name)
        group = inputs.get("resourceGroupName", own if typ == "azure-native:resources:ResourceGroup" else "")
        if typ == "azure-native:resources:ResourceGroup":
            outputs["id"] = resource_id(subscription=self.subscription, resource_group=group)
        elif typ in _ARM_TYPE:
            namespace, arm_type = _ARM_TYPE[typ]
            outputs["id"] = resource_id(
                subscription=self.subscription,
                resource_group=group,
                namespace=namespace,
                type=arm_type,
                name=own,
            )
        if typ == "azure-native:containerservice:ManagedCluster":
            # The same shape getManagedCluster answers: kubelet identity, OIDC issuer, node resource group.
            cluster = self.answer(GET_MANAGED_CLUSTER, {"resourceGroupName": group, "resourceName": own})
            outputs["identityProfile"] = cluster["identityProfile"]
            location = inputs.get("location")
            outputs["nodeResourceGroup"] = inputs.get("nodeResourceGroup") or (
                f"MC_{group}_{own}_{location}" if location else cluster["nodeResourceGroup"]
            )
            if (inputs.get("oidcIssuerProfile") or {}).get("enabled"):
                outputs["oidcIssuerProfile"] = cluster["oidcIssuerProfile"]
        if typ == "azure-native:keyvault:Vault":
            outputs["properties"] = {**(inputs.get("properties") or {}), "vaultUri": f"https://{own}.vault.azure.net/"}
        return outputs


def _override(answer: dict[str, Any], override: Answer | None, inputs: dict[str, Any]) -> dict[str, Any]:
    if override is None:
        return answer
    if callable(override):
        return dict(override(inputs))
    return {**answer, **override}
