"""The Key Vault the apps read from (RBAC authorization)."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import keyvault


class Vault(pulumi.ComponentResource):
    """A Key Vault with RBAC authorization: data access goes through role assignments."""

    name: pulumi.Output[str]
    id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        resource_group: pulumi.Input[str],
        tenant_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("platform:index:Vault", name, None, opts)
        vault = keyvault.Vault(
            name,
            vault_name=f"kv-{name}",
            resource_group_name=resource_group,
            properties={
                "tenant_id": tenant_id,
                "sku": {"family": "A", "name": "standard"},
                "enable_rbac_authorization": True,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name, self.id = vault.name, vault.id
        self.register_outputs({"name": self.name, "id": self.id})
