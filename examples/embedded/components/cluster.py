"""The AKS cluster: two agent pools (system and apps) in the platform network."""

from __future__ import annotations

import base64

import pulumi
from pulumi_azure_native import containerservice

POOLS = ("system", "apps")


class Cluster(pulumi.ComponentResource):
    """An AKS managed cluster; ``node_resource_group`` is where AKS puts the pools' scale sets."""

    name: pulumi.Output[str]
    node_resource_group: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        resource_group: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("platform:index:Cluster", name, None, opts)
        cluster = containerservice.ManagedCluster(
            name,
            resource_name_=f"aks-{name}",
            resource_group_name=resource_group,
            dns_prefix=f"aks-{name}",
            identity={"type": "SystemAssigned"},
            agent_pool_profiles=[
                {
                    "name": pool,
                    "mode": "System" if pool == "system" else "User",
                    "count": 2,
                    "vm_size": "Standard_D4s_v5",
                    "os_type": "Linux",
                    "vnet_subnet_id": subnet_id,
                }
                for pool in POOLS
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = cluster.name
        self.node_resource_group = cluster.node_resource_group.apply(lambda group: group or "")
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=resource_group,
            resource_name=cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs.apply(lambda configs: base64.b64decode(configs[0].value).decode())
        )
        self.register_outputs({"name": self.name, "nodeResourceGroup": self.node_resource_group})
