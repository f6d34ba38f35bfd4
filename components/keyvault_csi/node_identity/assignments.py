"""Puts the identity on the nodes (seed step 2: ``az vmss identity assign`` / ``az vm identity assign``).

One :class:`~keyvault_csi.node_identity.resource.NodeIdentityAssignment` per scale set or VM carries every
identity this component needs on that node, so each node sees one write; nodes are independent
resources and go in parallel. In ``systemAssigned`` mode the nodes' own identities are turned on
and each node's principal ID is exposed for the Key Vault grants.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization

from keyvault_csi.node_identity.resource import NodeIdentityAssignment
from keyvault_csi.package.args import ComputeNode
from keyvault_csi.rules.choices import NodeKind

TYPE = "keyvault-csi:index:NodeIdentityAssignments"
COMPUTE_TYPES: dict[NodeKind, str] = {"vmss": "virtualMachineScaleSets", "vm": "virtualMachines"}


class NodeArgs(ComputeNode):
    """A scale set or VM (the input shape ``ComputeNode``) and which of the two it is."""

    kind: NodeKind


class NodeIdentityAssignmentsArgs(TypedDict):
    nodes: Sequence[NodeArgs]
    userAssignedIdentityId: NotRequired[pulumi.Input[str]]
    """Resource ID of the user-assigned identity to put on every node."""
    systemAssigned: NotRequired[bool]
    """Turn on each node's system-assigned identity and expose its principal ID."""
    armEndpoint: NotRequired[str]
    environment: NotRequired[str]


def node_key(node: NodeArgs) -> str:
    """Stable, readable key of a node, used in resource names and output maps."""
    return f"{node['kind']}-{node['resourceGroup']}-{node['name']}".lower()


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
            subscription = node.get("subscriptionId")
            if subscription is None:
                if default_subscription is None:
                    default_subscription = authorization.get_client_config_output(
                        opts=pulumi.InvokeOutputOptions(parent=self)
                    ).subscription_id
                subscription = default_subscription
            key = node_key(node)
            node_id = pulumi.Output.concat(
                "/subscriptions/",
                subscription,
                f"/resourceGroups/{node['resourceGroup']}",
                f"/providers/Microsoft.Compute/{COMPUTE_TYPES[node['kind']]}/{node['name']}",
            )
            identities = [args["userAssignedIdentityId"]] if args.get("userAssignedIdentityId") is not None else []
            self.assignments[key] = NodeIdentityAssignment(
                f"{name}-{key}",
                {
                    "nodeId": node_id,
                    "userAssignedIdentities": identities,
                    "systemAssigned": bool(args.get("systemAssigned", False)),
                    "armEndpoint": args.get("armEndpoint", ""),
                    "environment": args.get("environment", "public"),
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.principal_ids = {key: a.principal_id for key, a in self.assignments.items()}
        self.register_outputs({"principalIds": self.principal_ids})
