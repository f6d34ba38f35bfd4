"""The Azure identity that reads the vault on the workloads' behalf (seed step 1).

Four sources, one shape of outputs:

* ``userAssigned`` — declare a ``managedidentity.UserAssignedIdentity`` (name + resourceGroup) or
  look up an existing one (resourceId); it must then be put on the nodes.
* ``kubelet`` — the AKS kubelet identity (``identityProfile.kubeletidentity`` of the managed
  cluster): AKS already put it on every node, so nothing is created or assigned.
* ``workload`` — a created user-assigned identity, federated with the Pods' service accounts
  (:mod:`keyvault_csi.azure.workload_identity`) instead of being put on the nodes.
* ``systemAssigned`` — the nodes' own identities: there is no single principal; the node
  assignment turns them on and reports one principal per node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import containerservice, managedidentity

from keyvault_csi.package.args import AksCluster
from keyvault_csi.rules.choices import IdentityType
from keyvault_csi.rules.names import parse_identity_resource_id

TYPE = "keyvault-csi:index:ManagedIdentity"


class ManagedIdentityArgs(TypedDict):
    type: IdentityType
    name: NotRequired[str]
    """Name of the user-assigned identity to create (with ``resourceGroup``)."""
    resourceGroup: NotRequired[str]
    resourceId: NotRequired[str]
    """ARM id of an existing user-assigned identity to reuse."""
    cluster: NotRequired[AksCluster]
    """The AKS cluster whose kubelet identity is used (type ``kubelet``)."""
    location: NotRequired[pulumi.Input[str]]
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

    def __init__(self, name: str, args: ManagedIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        kind = args["type"]
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
                    protect=args.get("protect", False),
                    retain_on_delete=args.get("retainOnDelete", args.get("protect", False)),
                ),
            )
            self.client_id, self.principal_id, self.resource_id = identity.client_id, identity.principal_id, identity.id
        elif kind == "userAssigned":
            _, resource_group, identity_name = parse_identity_resource_id(args["resourceId"])
            existing = managedidentity.get_user_assigned_identity_output(
                resource_group_name=resource_group,
                resource_name=identity_name,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            self.client_id, self.principal_id = existing.client_id, existing.principal_id
            self.resource_id = pulumi.Output.from_input(args["resourceId"])
        elif kind == "kubelet":
            cluster = containerservice.get_managed_cluster_output(
                resource_group_name=args["cluster"]["resourceGroup"],
                resource_name=args["cluster"]["name"],
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            kubelet = cluster.identity_profile.apply(_kubelet_identity(args["cluster"]["name"]))
            self.client_id = kubelet.apply(lambda k: k.client_id)
            self.principal_id = kubelet.apply(lambda k: k.object_id)
            self.resource_id = None
        else:
            self.client_id = pulumi.Output.from_input("")
            self.principal_id = None
            self.resource_id = None
        self.register_outputs(
            {"clientId": self.client_id, "principalId": self.principal_id, "resourceId": self.resource_id}
        )


def _kubelet_identity(cluster: str):
    def pick(profile):
        kubelet = (profile or {}).get("kubeletidentity")
        if kubelet is None:
            raise pulumi.RunError(
                f"identity.cluster: AKS cluster {cluster!r} has no identityProfile.kubeletidentity "
                "(a service-principal cluster); use identity type userAssigned or systemAssigned"
            )
        return kubelet

    return pick
