"""The Azure identity that reads the vault on the workloads' behalf (seed step 1).

Six sources, one shape of outputs:

* ``userAssigned`` — declare a ``managedidentity.UserAssignedIdentity`` (name + resourceGroup) or
  look up an existing one (resourceId); it must then be put on the nodes.
* ``kubelet`` — the AKS kubelet identity (``identityProfile.kubeletidentity`` of the managed
  cluster): AKS already put it on every node, so nothing is created or assigned.
* ``workload`` — a created user-assigned identity, federated with the Pods' service accounts
  (:mod:`keyvault_csi.azure.workload_identity`) instead of being put on the nodes.
* ``identityBinding`` — a created or existing user-assigned identity, bound to the AKS cluster
  (:mod:`keyvault_csi.azure.identity_binding`) instead of being put on the nodes.
* ``aksAddon`` — the identity AKS created for the ``azureKeyvaultSecretsProvider`` add-on
  (``addonProfiles.azureKeyvaultSecretsProvider.identity``): AKS put it on the nodes, so, like
  ``kubelet``, nothing is created or assigned (docs/azure-rules.md §driver-addon, §driver-helm).
* ``systemAssigned`` — the nodes' own identities: there is no single principal; the node
  assignment turns them on and reports one principal per node.

An existing identity (``resourceId``) in another subscription is read from that subscription,
through a provider for it (:mod:`keyvault_csi.azure.subscriptions`). Existing and kubelet
identities are read with plain invokes, so their principal is known at preview
(``known_principal_id``): Key Vault grants check it against the vault's existing entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
from pulumi_azure_native import containerservice, managedidentity

from keyvault_csi.azure.keeping import keeping
from keyvault_csi.azure.providers import SubscriptionProviders
from keyvault_csi.model.outputs import checked, plain
from keyvault_csi.model.settings import ClusterRef, IdentitySettings
from keyvault_csi.rules.choices import IdentityType
from keyvault_csi.rules.driver import addon_profile, enable_addon_fix
from keyvault_csi.rules.names import parse_identity_resource_id

TYPE = "keyvault-csi:index:ManagedIdentity"


class ManagedIdentity(pulumi.ComponentResource):
    """Resolves or declares the identity and exposes its client ID, principal ID and resource ID.

    ``client_id`` is what the SecretProviderClass names (``userAssignedIdentityID``; ``""`` for the
    nodes' system-assigned identities); ``principal_id`` is what Key Vault grants name (``None``
    for ``systemAssigned``: one principal per node); ``identity_resource_id`` is what goes on the
    nodes in the modes that put it there (userAssigned).
    """

    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str] | None
    identity_resource_id: pulumi.Output[str]
    """The identity's ARM id, whichever its source (kubelet and add-on identities too); ``""`` for systemAssigned."""
    known_principal_id: str | None
    """The principal as a plain string when it was read at preview (existing and kubelet identities)."""
    identity_provider: pulumi.ProviderResource | None
    """The provider for ``resourceId``'s subscription, when it is not the inherited one."""

    def __init__(
        self,
        name: str,
        identity: IdentitySettings,
        *,
        providers: SubscriptionProviders,
        tags: Mapping[str, str],
        protect: bool,
        location: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``providers``: where an existing identity in another subscription is read (one declared
        here is added for siblings); ``protect``: a created identity is protected and retained (its
        client ID is baked into running Pods)."""
        super().__init__(TYPE, name, None, opts)
        kind = identity.type
        self.known_principal_id, self.identity_provider = None, None
        if identity.creates_identity:
            created = managedidentity.UserAssignedIdentity(
                name,
                resource_name_=identity.name,
                resource_group_name=identity.resource_group,
                location=location,
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self, **keeping(protect)),
            )
            self.client_id, self.principal_id = created.client_id, created.principal_id
            self.identity_resource_id = created.id
        elif kind in (IdentityType.USER_ASSIGNED, IdentityType.IDENTITY_BINDING) and identity.resource_id is not None:
            resource_id = identity.resource_id
            if isinstance(resource_id, str):
                self._read_existing(name, resource_id, providers)
            else:
                # An Output (an identity this program creates) carries its dependency into the look-up;
                # its subscription is not known at preview, so it is read in the inherited provider's.
                parts = checked(resource_id, parse_identity_resource_id, "identity.resourceId")
                found = managedidentity.get_user_assigned_identity_output(
                    resource_group_name=parts.apply(lambda p: p[1]),
                    resource_name=parts.apply(lambda p: p[2]),
                    opts=pulumi.InvokeOutputOptions(parent=self),
                )
                self.client_id, self.principal_id = found.client_id, found.principal_id
                self.identity_resource_id = pulumi.Output.from_input(resource_id)
        elif kind == IdentityType.KUBELET and identity.cluster is not None:
            self._read_kubelet(identity.cluster)
        elif kind == IdentityType.AKS_ADDON and identity.cluster is not None:
            cluster = identity.cluster
            managed = containerservice.get_managed_cluster_output(
                resource_group_name=cluster.resource_group,
                resource_name=cluster.name,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            addon = managed.addon_profiles.apply(
                _addon_identity(plain(cluster.resource_group) or "(an Output)", plain(cluster.name) or "(an Output)")
            )
            self.client_id = addon.apply(lambda a: a.client_id)
            self.principal_id = addon.apply(lambda a: a.object_id)
            self.identity_resource_id = addon.apply(lambda a: a.resource_id or "")
        else:  # systemAssigned: the nodes' own identities
            self.client_id = pulumi.Output.from_input("")
            self.principal_id = None
            self.identity_resource_id = pulumi.Output.from_input("")
        self.register_outputs(
            {"clientId": self.client_id, "principalId": self.principal_id, "resourceId": self.identity_resource_id}
        )

    def _read_kubelet(self, cluster: ClusterRef) -> None:
        group, cluster_name = cluster.resource_group, cluster.name
        if isinstance(group, str) and isinstance(cluster_name, str):
            # Read at preview, so the principal is known to the grants (existing access-policy entries).
            managed = containerservice.get_managed_cluster(
                resource_group_name=group, resource_name=cluster_name, opts=pulumi.InvokeOptions(parent=self)
            )
            client_id, object_id, resource_id = _kubelet_identity(cluster_name, managed.identity_profile)
            self.known_principal_id = object_id
            self.client_id = pulumi.Output.from_input(client_id)
            self.principal_id = pulumi.Output.from_input(object_id)
            self.identity_resource_id = pulumi.Output.from_input(resource_id)
        else:  # a cluster the program creates: read once its name is known
            read = containerservice.get_managed_cluster_output(
                resource_group_name=group, resource_name=cluster_name, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            kubelet = read.identity_profile.apply(
                lambda profile: _kubelet_identity(plain(cluster_name) or "(an Output)", profile)
            )
            self.client_id = kubelet.apply(lambda k: k[0])
            self.principal_id = kubelet.apply(lambda k: k[1])
            self.identity_resource_id = kubelet.apply(lambda k: k[2])

    def _read_existing(self, name: str, resource_id: str, providers: SubscriptionProviders) -> None:
        """Read an existing identity named by a plain ID at preview, in its own subscription."""
        subscription, resource_group, identity_name = parse_identity_resource_id(resource_id)
        # The lookup takes no subscription: it reads in its provider's (docs/azure-rules.md §kv-other-subscriptions).
        self.identity_provider = providers.for_subscription(self, f"{name}-identity", subscription)
        existing = managedidentity.get_user_assigned_identity(
            resource_group_name=resource_group,
            resource_name=identity_name,
            opts=pulumi.InvokeOptions(parent=self, provider=self.identity_provider),
        )
        self.known_principal_id = existing.principal_id
        self.client_id = pulumi.Output.from_input(existing.client_id)
        self.principal_id = pulumi.Output.from_input(existing.principal_id)
        self.identity_resource_id = pulumi.Output.from_input(resource_id)


def _kubelet_identity(
    cluster: str, profile: Mapping[str, containerservice.outputs.UserAssignedIdentityManagedClusterResponse] | None
) -> tuple[str, str, str]:
    """(client ID, object ID, resource ID) of the cluster's kubelet identity, read at preview."""
    kubelet = (profile or {}).get("kubeletidentity")
    if kubelet is None or not kubelet.client_id or not kubelet.object_id:
        raise pulumi.RunError(
            f"identity.cluster: AKS cluster {cluster!r} has no identityProfile.kubeletidentity "
            "(a service-principal cluster); use identity type userAssigned or systemAssigned"
        )
    return kubelet.client_id, kubelet.object_id, kubelet.resource_id or ""


def _addon_identity(resource_group: str, cluster: str) -> Callable[[Mapping[str, Any] | None], Any]:
    def pick(profiles: Mapping[str, Any] | None) -> Any:
        profile = addon_profile(profiles)
        identity = profile.identity if profile is not None and profile.enabled else None
        if identity is None or not identity.client_id:
            raise pulumi.RunError(
                f"identity.cluster: AKS cluster {resource_group}/{cluster} does not run the "
                "azure-keyvault-secrets-provider add-on (no addonProfiles.azureKeyvaultSecretsProvider.identity), "
                "so it has no add-on identity; "
                f"enable it: {enable_addon_fix(resource_group, cluster)}"
            )
        return identity

    return pick
