"""``KeyVaultCsiMocks``: unit-test your own Pulumi program that embeds keyvault-csi, without a cloud.

Pulumi's mock runtime answers an invoke it knows nothing about with ``{}``, so a program that
embeds :class:`keyvault_csi.AksKeyVaultSecrets` would stop at ``/subscriptions/None/...`` or a
``TypeError``. These mocks answer every invoke the components make (client config, managed
cluster with kubelet identity, OIDC issuer and node resource group, vault, user-assigned identity,
cluster credentials) and the node-identity resource's outputs, with the same answers the
project's own tests use (:mod:`keyvault_csi.testing.mockgraph`). They also fill in the outputs
Azure computes for the resources such a program creates: every azure-native resource's ``name``
is its name input as in Azure (``keyvault.Secret(..., secret_name="db-password").name`` is
``db-password``, not the Pulumi name; :mod:`keyvault_csi.testing.azure_names`) and its ``id`` the
ARM id with that name; an AKS cluster's node resource group and identities; a vault's URI; an
identity binding's identity ids and issuer.

Values only Azure knows are placeholders such as ``<id-app.clientId>``. Every answer can be
overridden: constructor keyword arguments (a mapping or a function of the inputs, laid over the
default answer), or a subclass overriding :meth:`answer` / :meth:`resource_outputs`. Usage
(``docs/embedding.md``)::

    pulumi.runtime.set_mocks(KeyVaultCsiMocks(), preview=False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pulumi

from keyvault_csi.testing.azure_names import azure_id, azure_name
from keyvault_csi.testing.mockgraph import (
    CLIENT_CONFIG,
    GET_MANAGED_CLUSTER,
    PlaceholderMocks,
    placeholder,
)

Answer = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]
"""An override, laid over the default answer: a mapping, or a function of the inputs giving one."""

# Subscription and tenant are GUIDs by default: keyvault-csi checks the values it is given, and a
# resource ID or tenant from these mocks must pass those checks.
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


class KeyVaultCsiMocks(PlaceholderMocks):
    """Mocks for programs that embed keyvault-csi: every invoke of its components answered.

    ``subscription_id``, ``tenant_id``, ``client_id``, ``object_id``: what ``getClientConfig``
    answers (the deployer); the subscription also appears in every resource ID. ``vault_rbac``: vault name ->
    ``enableRbacAuthorization`` for ``getVault`` (``permissionModel: auto``). ``clusters_without_oidc``:
    clusters whose ``getManagedCluster`` has no OIDC issuer. ``invokes``: token -> :data:`Answer` laid over an
    invoke's answer; ``resources``: type token -> :data:`Answer` (of the resource's inputs) laid
    over a resource's outputs. Either kind of override replaces only the keys it gives: a function
    returning ``{"name": "x"}`` changes the name and keeps every other default output. The attribute
    ``invokes`` records every invoke made.
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
        if args.typ.startswith("azure-native:"):
            outputs |= self._named(args.typ, args.name, dict(args.inputs), args.provider)
        outputs |= self.resource_outputs(args.typ, args.name, dict(args.inputs))
        outputs = _override(outputs, self.resource_overrides.get(args.typ), dict(args.inputs))
        return str(outputs.get("id", resource_id)), outputs

    def _named(self, typ: str, name: str, inputs: dict[str, Any], provider: str | None) -> dict[str, Any]:
        """``name`` and ``id`` as Azure gives them; ids in the subscription of the resource's provider."""
        own = azure_name(typ, name, inputs)
        subscription = self.provider_subscriptions.get((provider or "").rsplit("::", 1)[-1], self.subscription)
        return {"name": own, "id": azure_id(typ, own, inputs, subscription) or placeholder(own, "id")}

    def resource_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Outputs Azure computes for a ``typ`` resource beyond name and id (merged over its echoed inputs)."""
        outputs: dict[str, Any] = {}
        own = azure_name(typ, name, inputs)
        group = inputs.get("resourceGroupName", "")
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
    given = override(inputs) if callable(override) else override
    return {**answer, **given}
