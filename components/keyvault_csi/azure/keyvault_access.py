"""Key Vault data-plane access for the identities that mount objects (seed step 3, least privilege).

A vault authorizes one way (``properties.enableRbacAuthorization``):

* access policies — one ``keyvault.AccessPolicy`` per principal with exactly the permissions the
  declared objects need. Writes to one vault are chained one after another because parallel
  writes fail with ``ConflictError``.
* RBAC — one ``authorization.RoleAssignment`` per principal and built-in *User* role, scoped to
  the vault, with a deterministic GUID name (re-running never duplicates an assignment).

``auto`` reads the vault and picks; access-policy calls against an RBAC vault would do nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization, keyvault

from keyvault_csi.rules.choices import PermissionModel
from keyvault_csi.rules.grants import access_policy_permissions, required_roles, role_assignment_name
from keyvault_csi.rules.objects import KeyVaultObject

TYPE = "keyvault-csi:index:KeyVaultAccess"


class KeyVaultAccessArgs(TypedDict):
    vaultName: str
    resourceGroup: str
    tenantId: str
    objects: Sequence[KeyVaultObject]
    """Every object the principals mount: decides the permissions / roles."""
    principals: Mapping[str, pulumi.Input[str]]
    """Stable key (used in resource names) -> Entra object (principal) ID."""
    permissionModel: NotRequired[PermissionModel]
    subscriptionId: NotRequired[pulumi.Input[str]]
    """The vault's subscription (RBAC scope); default: the Azure provider's."""
    protect: NotRequired[bool]
    retainOnDelete: NotRequired[bool]
    """Keep the grants in Azure when they leave the program (default: ``protect``): running pods
    would lose access at their next mount or rotation. A retained grant must be removed by hand."""


class KeyVaultAccess(pulumi.ComponentResource):
    """Grants each principal read access to exactly the kinds of objects it mounts from one vault."""

    permission_model: str
    grants: list[pulumi.CustomResource]

    def __init__(self, name: str, args: KeyVaultAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self.permission_model = self._resolve_model(args)
        self.grants = []
        if self.permission_model == "accessPolicy":
            self._access_policies(name, args)
        else:
            self._role_assignments(name, args)
        self.register_outputs({"permissionModel": self.permission_model, "grants": [g.id for g in self.grants]})

    def _resolve_model(self, args: KeyVaultAccessArgs) -> str:
        model = args.get("permissionModel", "auto")
        if model != "auto":
            return model
        vault = keyvault.get_vault(
            resource_group_name=args["resourceGroup"],
            vault_name=args["vaultName"],
            opts=pulumi.InvokeOptions(parent=self),
        )
        return "rbac" if vault.properties.enable_rbac_authorization else "accessPolicy"

    def _access_policies(self, name: str, args: KeyVaultAccessArgs) -> None:
        permissions = access_policy_permissions(args["objects"])
        previous: pulumi.Resource | None = None
        for key, principal_id in sorted(args["principals"].items()):
            policy = keyvault.AccessPolicy(
                f"{name}-{key}",
                resource_group_name=args["resourceGroup"],
                vault_name=args["vaultName"],
                policy={"tenant_id": args["tenantId"], "object_id": principal_id, "permissions": permissions},
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.get("protect", False),
                    retain_on_delete=args.get("retainOnDelete", args.get("protect", False)),
                    # ARM rejects concurrent writes to one vault's policy list: one at a time.
                    depends_on=[previous] if previous else None,
                ),
            )
            self.grants.append(policy)
            previous = policy

    def _role_assignments(self, name: str, args: KeyVaultAccessArgs) -> None:
        subscription = pulumi.Output.from_input(
            args.get("subscriptionId")
            or authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).subscription_id
        )
        scope = subscription.apply(
            lambda sub: (
                f"/subscriptions/{sub}/resourceGroups/{args['resourceGroup']}"
                f"/providers/Microsoft.KeyVault/vaults/{args['vaultName']}"
            )
        )
        for key, principal_id in sorted(args["principals"].items()):
            for role_name, role_guid in required_roles(args["objects"]):
                short = role_name.removeprefix("Key Vault ").removesuffix(" User").lower()
                self.grants.append(
                    authorization.RoleAssignment(
                        f"{name}-{key}-{short}",
                        principal_id=principal_id,
                        principal_type="ServicePrincipal",
                        role_definition_id=subscription.apply(
                            lambda sub, guid=role_guid: (
                                f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
                            )
                        ),
                        scope=scope,
                        role_assignment_name=pulumi.Output.all(scope, principal_id).apply(
                            lambda v, guid=role_guid: role_assignment_name(v[0], v[1], guid)
                        ),
                        description=f"keyvault-csi: {role_name} for {key}",
                        opts=pulumi.ResourceOptions(
                            parent=self,
                            protect=args.get("protect", False),
                            retain_on_delete=args.get("retainOnDelete", args.get("protect", False)),
                        ),
                    )
                )
