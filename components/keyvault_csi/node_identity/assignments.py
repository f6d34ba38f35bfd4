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
from typing import Literal, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization

from keyvault_csi.node_identity.resource import NodeIdentityAssignment, NodeIdentityAssignmentArgs
from keyvault_csi.package.args import ComputeNode
from keyvault_csi.rules.arm_ids import SCALE_SET, VIRTUAL_MACHINE, node_id
from keyvault_csi.rules.choices import NodeKind
from keyvault_csi.settings.model import NodeSettings

TYPE = "keyvault-csi:index:NodeIdentityAssignments"
COMPUTE_TYPES: dict[NodeKind, str] = {"vmss": SCALE_SET, "vm": VIRTUAL_MACHINE}


class NodeArgs(ComputeNode):
    """A scale set or VM (the input shape ``ComputeNode``) and which of the two it is, or (``kind: "pool"``)
    an AKS agent pool: ``resourceGroup`` is then the cluster's and ``name`` the pool's."""

    kind: NodeKind | Literal["pool"]
    clusterName: NotRequired[pulumi.Input[str]]
    """Pools only: the AKS cluster."""


class NodeIdentityAssignmentsArgs(TypedDict):
    nodes: Sequence[NodeArgs]
    userAssignedIdentityId: NotRequired[pulumi.Input[str]]
    """Resource ID of the user-assigned identity to put on every node."""
    systemAssigned: NotRequired[bool]
    """Turn on each node's system-assigned identity and expose its principal ID."""
    armEndpoint: NotRequired[str]
    environment: NotRequired[str]
    ownedIdentityIds: NotRequired[Sequence[pulumi.Input[str]]]
    """Identities this stack created: on a node they are ours even after a failed-but-applied write."""


def nodes_from_settings(nodes: NodeSettings) -> list[NodeArgs]:
    """The listed scale sets and VMs, then the cluster's agent pools (found by name at deploy time)."""
    result: list[NodeArgs] = []
    for kind, ref in nodes.all():
        node: NodeArgs = {
            "kind": "vmss" if kind == "vmss" else "vm",
            "resourceGroup": ref.resource_group,
            "name": ref.name,
        }
        if ref.subscription_id:
            node["subscriptionId"] = ref.subscription_id
        result.append(node)
    cluster = nodes.cluster
    for pool in nodes.agent_pools if cluster else []:
        assert cluster is not None
        pool_node: NodeArgs = {
            "kind": "pool",
            "resourceGroup": cluster.resource_group,
            "clusterName": cluster.name,
            "name": pool,
        }
        if cluster.subscription_id:
            pool_node["subscriptionId"] = cluster.subscription_id
        result.append(pool_node)
    return result


def node_key(node: NodeArgs) -> str:
    """Stable, readable key of a node, used in resource names and output maps.

    A resource group given as an Output cannot be part of a name: the key is then kind and name.
    """
    group = node["resourceGroup"]
    if node["kind"] == "pool":  # pool names are plain; the cluster's names may be Outputs
        parts = [part for part in (group, node.get("clusterName", "")) if isinstance(part, str)]
        return "-".join(["pool", *parts, node["name"]]).lower()
    return (
        f"{node['kind']}-{group}-{node['name']}" if isinstance(group, str) else f"{node['kind']}-{node['name']}"
    ).lower()


def _target(node: NodeArgs, subscription: pulumi.Input[str]) -> NodeIdentityAssignmentArgs:
    """The resource's node inputs: ``nodeId`` for a scale set / VM, the cluster and pool for a pool."""
    if node["kind"] == "pool":
        return {
            "clusterResourceGroup": node["resourceGroup"],
            "clusterName": node.get("clusterName", ""),
            "agentPool": node["name"],
            "subscriptionId": subscription,
        }
    kind = COMPUTE_TYPES[node["kind"]]
    return {
        "nodeId": pulumi.Output.all(subscription, node["resourceGroup"]).apply(
            lambda parts: node_id(parts[0], parts[1], kind, node["name"])
        )
    }


class NodeIdentityAssignments(pulumi.ComponentResource):
    """One node-identity resource per listed scale set / VM; ``principal_ids`` per node key."""

    assignments: dict[str, NodeIdentityAssignment]
    principal_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: NodeIdentityAssignmentsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        default_subscription: pulumi.Output[str] | None = None
        self.assignments = {}
        for node in args["nodes"]:
            subscription: pulumi.Input[str] | None = node.get("subscriptionId")
            if subscription is None:
                if default_subscription is None:
                    default_subscription = authorization.get_client_config_output(
                        opts=pulumi.InvokeOutputOptions(parent=self)
                    ).subscription_id
                subscription = default_subscription
            key = node_key(node)
            identities = [args["userAssignedIdentityId"]] if args.get("userAssignedIdentityId") is not None else []
            self.assignments[key] = NodeIdentityAssignment(
                f"{name}-{key}",
                {
                    **_target(node, subscription),
                    "userAssignedIdentities": identities,
                    "ownedIdentities": list(args.get("ownedIdentityIds", [])),
                    "systemAssigned": bool(args.get("systemAssigned", False)),
                    "armEndpoint": args.get("armEndpoint", ""),
                    "environment": args.get("environment", "public"),
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.principal_ids = {key: a.principal_id for key, a in self.assignments.items()}
        self.register_outputs({"principalIds": self.principal_ids})
