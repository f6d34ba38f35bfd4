"""The virtual network the AKS nodes run in."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import network


class Network(pulumi.ComponentResource):
    """A virtual network with one subnet for the AKS node pools."""

    subnet_id: pulumi.Output[str]

    def __init__(
        self, name: str, resource_group: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:Network", name, None, opts)
        vnet = network.VirtualNetwork(
            name,
            virtual_network_name=f"vnet-{name}",
            resource_group_name=resource_group,
            address_space={"address_prefixes": ["10.20.0.0/16"]},
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )
        subnet = network.Subnet(
            f"{name}-nodes",
            subnet_name="nodes",
            virtual_network_name=vnet.name,
            resource_group_name=resource_group,
            address_prefix="10.20.0.0/22",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.subnet_id = subnet.id
        self.register_outputs({"subnetId": self.subnet_id})
