"""The Azure identity that reads the vault on the workloads' behalf (seed step 1).

Five sources, one shape of outputs:

* ``userAssigned`` — declare a ``managedidentity.UserAssignedIdentity`` (name + resourceGroup) or
  look up an existing one (resourceId); it must then be put on the nodes.
* ``kubelet`` — the AKS kubelet identity (``identityProfile.kubeletidentity`` of the managed
  cluster): AKS already put it on every node, so nothing is created or assigned.
* ``workload`` — a created user-assigned identity, federated with the Pods' service accounts
  (:mod:`keyvault_csi.azure.workload_identity`) instead of being put on the nodes.
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
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import containerservice, managedidentity

from keyvault_csi.azure.keeping import check_keeping, protect, retain_on_delete
from keyvault_csi.azure.subscriptions import provider_for_subscription
from keyvault_csi.outputs import checked, plain
from keyvault_csi.package.args import AksCluster
from keyvault_csi.rules.choices import IdentityType
from keyvault_csi.rules.driver import addon_profile, enable_addon_fix
from keyvault_csi.rules.names import parse_identity_resource_id

TYPE = "keyvault-csi:index:ManagedIdentity"


class ManagedIdentityArgs(TypedDict):
    type: IdentityType
    name: NotRequired[pulumi.Input[str]]
    """Name of the user-assigned identity to create (with ``resourceGroup``)."""
    resourceGroup: NotRequired[pulumi.Input[str]]
    resourceId: NotRequired[pulumi.Input[str]]
    """ARM id of an existing user-assigned identity to reuse."""
    cluster: NotRequired[AksCluster]
    """The AKS cluster whose kubelet (type ``kubelet``) or add-on (type ``aksAddon``) identity is used."""
    location: NotRequired[pulumi.Input[str]]
    environment: NotRequired[str]
    """``environment`` (cloud) of a provider declared for another subscription (as the program's)."""
    subscriptionProviders: NotRequired[Mapping[str, pulumi.ProviderResource] | None]
    """Explicit azure-native providers by subscription ID; one for ``resourceId``'s subscription is
    used instead of declaring a provider child."""
    tags: NotRequired[Mapping[str, str]]
    protect: NotRequired[bool]
    """Protect a created identity from deletion (its client ID is baked into running pods)."""
    retainOnDelete: NotRequired[bool]
    """Keep a created identity in Azure when it leaves the program (default: ``protect``): deleting it
    breaks every mount of the running pods that use its client ID."""


class ManagedIdentity(pulumi.ComponentResource):
    """Resolves or declares the identity and exposes its client ID, principal ID and resource ID.

    ``client_id`` is what the SecretProviderClass names (``userAssignedIdentityID``; ``""`` for the
    nodes' system-assigned identities); ``principal_id`` is what Key Vault grants name (``None``
    for ``systemAssigned``: one principal per node); ``resource_id`` is what goes on the nodes
    (``None`` when nothing must be assigned).
    """

    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str] | None
    resource_id: pulumi.Output[str] | None
    known_principal_id: str | None
    """The principal as a plain string when it was read at preview (existing and kubelet identities)."""
    identity_provider: pulumi.ProviderResource | None
    """The provider for ``resourceId``'s subscription, when it is not the inherited one."""
    subscription_providers: dict[str, pulumi.ProviderResource]
    """The explicit providers plus the one declared here, by subscription: siblings reuse them."""

    def __init__(self, name: str, args: ManagedIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_keeping(args)  # a bad flag declares nothing
        super().__init__(TYPE, name, None, opts)
        kind = args["type"]
        self.known_principal_id, self.identity_provider = None, None
        self.subscription_providers = dict(args.get("subscriptionProviders") or {})
        # workload identity creates its identity like userAssigned; it is federated, not put on nodes.
        if kind in ("userAssigned", "workload") and "resourceId" not in args:
            identity = managedidentity.UserAssignedIdentity(
                name,
                resource_name_=args["name"],
                resource_group_name=args["resourceGroup"],
                location=args.get("location"),
                tags=dict(args.get("tags") or {}),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=protect(args),
                    retain_on_delete=retain_on_delete(args),
                ),
            )
            self.client_id, self.principal_id, self.resource_id = identity.client_id, identity.principal_id, identity.id
        elif kind == "userAssigned":
            resource_id = args["resourceId"]
            if isinstance(resource_id, str):
                self._read_existing(name, resource_id, args)
            else:
                # An Output (an identity this program creates) carries its dependency into the look-up;
                # its subscription is not known at preview, so it is read in the inherited provider's.
                parts = checked(
                    pulumi.Output.from_input(resource_id), parse_identity_resource_id, "identity.resourceId"
                )
                found = managedidentity.get_user_assigned_identity_output(
                    resource_group_name=parts.apply(lambda p: p[1]),
                    resource_name=parts.apply(lambda p: p[2]),
                    opts=pulumi.InvokeOutputOptions(parent=self),
                )
                self.client_id, self.principal_id = found.client_id, found.principal_id
                self.resource_id = pulumi.Output.from_input(resource_id)
        elif kind == "kubelet":
            group, cluster_name = args["cluster"]["resourceGroup"], args["cluster"]["name"]
            if isinstance(group, str) and isinstance(cluster_name, str):
                # Read at preview, so the principal is known to the grants (existing access-policy entries).
                cluster = containerservice.get_managed_cluster(
                    resource_group_name=group, resource_name=cluster_name, opts=pulumi.InvokeOptions(parent=self)
                )
                client_id, object_id = _kubelet_identity(cluster_name, cluster.identity_profile)
                self.known_principal_id = object_id
                self.client_id = pulumi.Output.from_input(client_id)
                self.principal_id = pulumi.Output.from_input(object_id)
            else:  # a cluster the program creates: read once its name is known
                read = containerservice.get_managed_cluster_output(
                    resource_group_name=group, resource_name=cluster_name, opts=pulumi.InvokeOutputOptions(parent=self)
                )
                kubelet = read.identity_profile.apply(
                    lambda profile: _kubelet_identity(plain(cluster_name) or "(an Output)", profile)
                )
                self.client_id = kubelet.apply(lambda k: k[0])
                self.principal_id = kubelet.apply(lambda k: k[1])
            self.resource_id = None
        elif kind == "aksAddon":
            managed = containerservice.get_managed_cluster_output(
                resource_group_name=args["cluster"]["resourceGroup"],
                resource_name=args["cluster"]["name"],
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            addon = managed.addon_profiles.apply(
                _addon_identity(
                    plain(args["cluster"]["resourceGroup"]) or "(an Output)",
                    plain(args["cluster"]["name"]) or "(an Output)",
                )
            )
            self.client_id = addon.apply(lambda a: a.client_id)
            self.principal_id = addon.apply(lambda a: a.object_id)
            self.resource_id = None
        else:
            self.client_id = pulumi.Output.from_input("")
            self.principal_id = None
            self.resource_id = None
        self.register_outputs(
            {"clientId": self.client_id, "principalId": self.principal_id, "resourceId": self.resource_id}
        )

    def _read_existing(self, name: str, resource_id: str, args: ManagedIdentityArgs) -> None:
        """Read an existing identity named by a plain ID at preview, in its own subscription."""
        subscription, resource_group, identity_name = parse_identity_resource_id(resource_id)
        # The lookup takes no subscription: it reads in its provider's (docs/azure-rules.md §kv-other-subscriptions).
        self.identity_provider = provider_for_subscription(
            self,
            f"{name}-identity",
            subscription,
            explicit=args.get("subscriptionProviders"),
            location=args.get("location"),
            environment=args.get("environment"),
        )
        existing = managedidentity.get_user_assigned_identity(
            resource_group_name=resource_group,
            resource_name=identity_name,
            opts=pulumi.InvokeOptions(parent=self, provider=self.identity_provider),
        )
        if self.identity_provider is not None:
            self.subscription_providers.setdefault(subscription.lower(), self.identity_provider)
        self.known_principal_id = existing.principal_id
        self.client_id = pulumi.Output.from_input(existing.client_id)
        self.principal_id = pulumi.Output.from_input(existing.principal_id)
        self.resource_id = pulumi.Output.from_input(resource_id)


def _kubelet_identity(
    cluster: str, profile: Mapping[str, containerservice.outputs.UserAssignedIdentityManagedClusterResponse] | None
) -> tuple[str, str]:
    """(client ID, object ID) of the cluster's kubelet identity, read at preview."""
    kubelet = (profile or {}).get("kubeletidentity")
    if kubelet is None or not kubelet.client_id or not kubelet.object_id:
        raise pulumi.RunError(
            f"identity.cluster: AKS cluster {cluster!r} has no identityProfile.kubeletidentity "
            "(a service-principal cluster); use identity type userAssigned or systemAssigned"
        )
    return kubelet.client_id, kubelet.object_id


def _addon_identity(resource_group: str, cluster: str) -> Callable[[Mapping[str, Any] | None], Any]:
    def pick(profiles: Mapping[str, Any] | None) -> Any:
        profile = addon_profile(profiles)
        identity = profile.identity if profile is not None and profile.enabled else None
        if identity is None or not identity.client_id:
            raise pulumi.RunError(
                f"identity.cluster: AKS cluster {resource_group}/{cluster} does not run the azure-keyvault-secrets-provider "
                "add-on (no addonProfiles.azureKeyvaultSecretsProvider.identity), so it has no add-on identity; "
                f"enable it: {enable_addon_fix(resource_group, cluster)}"
            )
        return identity

    return pick
