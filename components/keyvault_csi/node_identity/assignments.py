"""Puts the identity on the nodes (seed step 2: ``az vmss identity assign`` / ``az vm identity assign``).

One :class:`~keyvault_csi.node_identity.resource.NodeIdentityAssignment` per scale set or VM carries every
identity this component needs on that node, so each node sees one write; nodes are independent
resources and go in parallel. In ``systemAssigned`` mode the nodes' own identities are turned on
and each node's principal ID is exposed for the Key Vault grants.

A node is a scale set or VM by name, or (``kind: "pool"``) an AKS agent pool whose scale set the
resource discovers at deploy time from the cluster (``resourceGroup`` + ``clusterName``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from keyvault_csi.model.settings import NodeSettings
from keyvault_csi.node_identity.resource import NodeIdentityAssignment, NodeIdentityAssignmentArgs
from keyvault_csi.rules.arm_ids import SCALE_SET, VIRTUAL_MACHINE, node_id
from keyvault_csi.rules.choices import NodeKind

TYPE = "keyvault-csi:index:NodeIdentityAssignments"
COMPUTE_TYPES: dict[NodeKind, str] = {NodeKind.VMSS: SCALE_SET, NodeKind.VM: VIRTUAL_MACHINE}
POOL = "pool"


@dataclass(frozen=True)
class Node:
    """A scale set or VM (``kind`` vmss / vm), or an AKS agent pool (``kind`` pool): ``resource_group``
    is then the cluster's, ``name`` the pool's and ``cluster_name`` the cluster's."""

    kind: str
    resource_group: pulumi.Input[str]
    name: str
    subscription_id: pulumi.Input[str] | None = None
    cluster_name: pulumi.Input[str] = ""


def nodes_of(nodes: NodeSettings) -> list[Node]:
    """The listed scale sets and VMs, then the cluster's agent pools (found by name at deploy time)."""
    result = [Node(kind, ref.resource_group, ref.name, ref.subscription_id) for kind, ref in nodes.compute()]
    cluster = nodes.cluster
    if cluster is not None:
        result += [
            Node(POOL, cluster.resource_group, pool, cluster.subscription_id, cluster.name)
            for pool in nodes.agent_pools
        ]
    return result


def node_key(node: Node) -> str:
    """Stable, readable key of a node, used in resource names and output maps.

    A resource group given as an Output cannot be part of a name: the key is then kind and name.
    """
    group = node.resource_group
    if node.kind == POOL:  # pool names are plain; the cluster's names may be Outputs
        parts = [part for part in (group, node.cluster_name) if isinstance(part, str)]
        return "-".join(["pool", *parts, node.name]).lower()
    return (f"{node.kind}-{group}-{node.name}" if isinstance(group, str) else f"{node.kind}-{node.name}").lower()


def _target(node: Node, subscription: pulumi.Input[str]) -> NodeIdentityAssignmentArgs:
    """The resource's node inputs: ``nodeId`` for a scale set / VM, the cluster and pool for a pool."""
    if node.kind == POOL:
        return {
            "clusterResourceGroup": node.resource_group,
            "clusterName": node.cluster_name,
            "agentPool": node.name,
            "subscriptionId": subscription,
        }
    kind = COMPUTE_TYPES[NodeKind(node.kind)]
    return {
        "nodeId": pulumi.Output.all(subscription, node.resource_group).apply(
            lambda parts: node_id(parts[0], parts[1], kind, node.name)
        )
    }


class NodeIdentityAssignments(pulumi.ComponentResource):
    """One node-identity resource per listed scale set, VM or agent pool; ``principal_ids`` per node key."""

    assignments: dict[str, NodeIdentityAssignment]
    principal_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        nodes: NodeSettings,
        *,
        user_assigned_identity_id: pulumi.Input[str] | None = None,
        system_assigned: bool = False,
        owned_identity_ids: Sequence[pulumi.Input[str]] = (),
        arm_endpoint: str = "",
        environment: str = "public",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``user_assigned_identity_id``: the identity put on every node; ``system_assigned``: turn on
        each node's own identity and expose its principal; ``owned_identity_ids``: identities this stack
        created (on a node they are ours even after a failed-but-applied write)."""
        super().__init__(TYPE, name, None, opts)
        default_subscription: pulumi.Output[str] | None = None
        self.assignments = {}
        for node in nodes_of(nodes):
            subscription: pulumi.Input[str] | None = node.subscription_id
            if subscription is None:
                if default_subscription is None:
                    default_subscription = authorization.get_client_config_output(
                        opts=pulumi.InvokeOutputOptions(parent=self)
                    ).subscription_id
                subscription = default_subscription
            key = node_key(node)
            identities = [user_assigned_identity_id] if user_assigned_identity_id is not None else []
            self.assignments[key] = NodeIdentityAssignment(
                f"{name}-{key}",
                {
                    **_target(node, subscription),
                    "userAssignedIdentities": identities,
                    "ownedIdentities": list(owned_identity_ids),
                    "systemAssigned": system_assigned,
                    "armEndpoint": arm_endpoint,
                    "environment": environment,
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.principal_ids = {key: a.principal_id for key, a in self.assignments.items()}
        self.register_outputs({"principalIds": self.principal_ids})
