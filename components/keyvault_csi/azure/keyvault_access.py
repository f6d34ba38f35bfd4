"""Key Vault data-plane access for the identities that mount objects (seed step 3, least privilege).

A vault authorizes one way (``properties.enableRbacAuthorization``):

* access policies — one ``keyvault.AccessPolicy`` per principal with exactly the permissions the
  declared objects need. Writes to one vault are chained one after another because parallel
  writes fail with ``ConflictError``.
* RBAC — one ``authorization.RoleAssignment`` per principal and built-in *User* role, scoped to
  the vault, with a deterministic GUID name (re-running never duplicates an assignment).

``auto`` reads the vault and picks; access-policy calls against an RBAC vault would do nothing.

A vault in another subscription is read and written through a provider for that subscription
(:mod:`keyvault_csi.azure.subscriptions`); RBAC needs none (the scope names the subscription).
A principal whose object ID is known at preview and already has an access-policy entry gets it
adopted, never replaced (:mod:`keyvault_csi.rules.existing_grants`, docs/existing-grants.md).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization, keyvault

from keyvault_csi.azure.keeping import check_keeping, protect, retain_on_delete
from keyvault_csi.azure.subscriptions import provider_for_subscription
from keyvault_csi.outputs import plain
from keyvault_csi.rules.arm_ids import role_definition_id, vault_id
from keyvault_csi.rules.choices import PermissionModel
from keyvault_csi.rules.existing_grants import (
    FAMILIES,
    ExistingEntry,
    access_policy_import_id,
    adopt,
    describe,
    find_entry,
    set_policy_command,
)
from keyvault_csi.rules.grants import access_policy_permissions, required_roles, role_assignment_name
from keyvault_csi.rules.objects import KeyVaultObject

TYPE = "keyvault-csi:index:KeyVaultAccess"


class KeyVaultAccessArgs(TypedDict):
    vaultName: pulumi.Input[str]
    resourceGroup: pulumi.Input[str]
    """Vault name and resource group: Outputs (a vault this program creates) need an explicit permissionModel."""
    tenantId: pulumi.Input[str]
    objects: Sequence[KeyVaultObject]
    """Every object the principals mount: decides the permissions / roles."""
    principals: Mapping[str, pulumi.Input[str]]
    """Stable key (used in resource names) -> Entra object (principal) ID. A plain ``str`` is
    checked against the vault's existing access-policy entries at preview; an ``Output`` (a
    principal this program creates) cannot have one yet."""
    permissionModel: NotRequired[PermissionModel]
    subscriptionId: NotRequired[pulumi.Input[str]]
    """The vault's subscription (RBAC scope; access policies and ``auto`` go through a provider for
    it when it is not the inherited provider's); default: the Azure provider's."""
    subscriptionProviders: NotRequired[Mapping[str, pulumi.ProviderResource] | None]
    """Explicit azure-native providers by subscription ID; one for ``subscriptionId`` is used
    instead of declaring a provider child."""
    location: NotRequired[pulumi.Input[str] | None]
    """``location`` of a declared provider (as the program's provider)."""
    environment: NotRequired[str]
    """``environment`` (cloud) of a declared provider (as the program's provider)."""
    protect: NotRequired[bool]
    retainOnDelete: NotRequired[bool]
    """Keep the grants in Azure when they leave the program (default: ``protect``): running pods
    would lose access at their next mount or rotation. A retained grant must be removed by hand."""


class KeyVaultAccess(pulumi.ComponentResource):
    """Grants each principal read access to exactly the kinds of objects it mounts from one vault."""

    permission_model: str
    grants: list[pulumi.CustomResource]
    vault_provider: pulumi.ProviderResource | None
    """The provider for the vault's subscription, when it is not the inherited one."""
    adopted: dict[str, str]
    """Principal key -> import id of each existing access-policy entry adopted (docs/existing-grants.md)."""

    def __init__(self, name: str, args: KeyVaultAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_keeping(args)  # a bad flag declares nothing
        super().__init__(TYPE, name, None, opts)
        self._args = args
        self._vault: keyvault.GetVaultResult | None = None
        self.adopted = {}
        model = args.get("permissionModel", "auto")
        # RBAC names the subscription in its scope; only vault reads and access policies need a provider there.
        self.vault_provider = (
            provider_for_subscription(
                self,
                f"{name}-vault",
                plain(args.get("subscriptionId")) or None,
                explicit=args.get("subscriptionProviders"),
                location=args.get("location"),
                environment=args.get("environment"),
            )
            if model != "rbac"
            else None
        )
        self.permission_model = self._resolve_model(args)
        self.grants = []
        if self.permission_model == "accessPolicy":
            self._access_policies(name, args)
        else:
            self._role_assignments(name, args)
        self.register_outputs(
            {"permissionModel": self.permission_model, "grants": [g.id for g in self.grants], "adopted": self.adopted}
        )

    def _read_vault(self, vault: tuple[str, str]) -> keyvault.GetVaultResult:
        """The vault named by ``(vaultName, resourceGroup)`` known at preview (see :func:`_plain_vault`)."""
        if self._vault is None:
            vault_name, resource_group = vault
            self._vault = keyvault.get_vault(
                resource_group_name=resource_group,
                vault_name=vault_name,
                opts=pulumi.InvokeOptions(parent=self, provider=self.vault_provider),
            )
        return self._vault

    def _resolve_model(self, args: KeyVaultAccessArgs) -> str:
        model = args.get("permissionModel", "auto")
        if model != "auto":
            return model
        vault = _plain_vault(args)
        if vault is None:
            # The choice decides which resources exist: it cannot wait for a deployment.
            raise pulumi.RunError(
                "permissionModel 'auto' reads the vault before anything is declared, but its name or resource "
                "group is an Output; set permissionModel to accessPolicy or rbac"
            )
        return "rbac" if self._read_vault(vault).properties.enable_rbac_authorization else "accessPolicy"

    def _existing_entries(self, args: KeyVaultAccessArgs) -> list[ExistingEntry]:
        """The vault's access-policy entries; read only when some principal is known at preview."""
        if not any(isinstance(p, str) for p in args["principals"].values()):
            return []
        vault = _plain_vault(args)
        if vault is None:
            return []  # a vault this program creates (an Output) has only the entries we declare
        return [_entry(e) for e in (self._read_vault(vault).properties.access_policies or [])]

    @functools.cached_property
    def _vault_subscription(self) -> str:
        """The subscription the writing provider puts into the ids it assigns (exactly its string);
        read once, however many principals are adopted."""
        return str(
            authorization.get_client_config(
                opts=pulumi.InvokeOptions(parent=self, provider=self.vault_provider)
            ).subscription_id
        )

    def _access_policies(self, name: str, args: KeyVaultAccessArgs) -> None:
        needed = access_policy_permissions(args["objects"])
        entries = self._existing_entries(args)
        vault = _plain_vault(args)  # None: no entries were read, so none is adopted
        previous: pulumi.Resource | None = None
        for key, principal_id in sorted(args["principals"].items()):
            retain = retain_on_delete(args)
            policy: keyvault.AccessPolicyEntryArgsDict = {
                "tenant_id": args["tenantId"],
                "object_id": principal_id,
                "permissions": _permissions(needed),
            }
            import_id: str | None = None
            entry = find_entry(entries, principal_id) if isinstance(principal_id, str) else None
            if entry is not None and vault is not None:
                # azure-native refuses to create an entry that exists, and its delete drops the whole
                # entry: import it, keep every permission it has, never delete it (existing-grants.md).
                policy, import_id = self._adopt(key, entry, needed, args, vault)
                retain = True
            self.grants.append(
                keyvault.AccessPolicy(
                    f"{name}-{key}",
                    resource_group_name=args["resourceGroup"],
                    vault_name=args["vaultName"],
                    policy=policy,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        provider=self.vault_provider,
                        protect=protect(args),
                        retain_on_delete=retain,
                        import_=import_id,
                        # ARM rejects concurrent writes to one vault's policy list: one at a time.
                        depends_on=[previous] if previous else None,
                    ),
                )
            )
            previous = self.grants[-1]

    def _adopt(
        self,
        key: str,
        entry: ExistingEntry,
        needed: dict[str, list[str]],
        args: KeyVaultAccessArgs,
        vault: tuple[str, str],
    ) -> tuple[keyvault.AccessPolicyEntryArgsDict, str]:
        """The policy that adopts ``entry`` (its permissions plus ours) and the id to import it by."""
        vault_name, resource_group = vault
        adoption = adopt(entry, needed)
        policy: keyvault.AccessPolicyEntryArgsDict = {
            "tenant_id": entry.tenant_id,
            "object_id": entry.object_id,
            "permissions": _permissions(adoption.permissions),
        }
        if entry.application_id:
            policy["application_id"] = entry.application_id
        import_id = access_policy_import_id(self._vault_subscription, resource_group, vault_name, entry.object_id)
        self.adopted[key] = import_id
        fix = set_policy_command(
            vault_name,
            resource_group,
            entry.object_id,
            adoption.permissions,
            plain(args.get("subscriptionId")) or None,
        )
        pulumi.log.warn(
            f"Key Vault {args['vaultName']!r}: principal {entry.object_id} ({key}) already has an access policy "
            f"({describe(entry.permissions)}); adopting it "
            + (f"and adding {describe(adoption.added)}" if adoption.added else "unchanged")
            + ". It is retained on destroy (remove it with `az keyvault delete-policy` once nothing needs it). "
            f"To grant by hand instead: {fix}",
            resource=self,
        )
        return policy, import_id

    def _role_assignments(self, name: str, args: KeyVaultAccessArgs) -> None:
        subscription = pulumi.Output.from_input(
            args.get("subscriptionId")
            or authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).subscription_id
        )
        scope = pulumi.Output.all(subscription, args["resourceGroup"], args["vaultName"]).apply(lambda v: vault_id(*v))
        for key, principal_id in sorted(args["principals"].items()):
            for role_name, role_guid in required_roles(args["objects"]):
                short = role_name.removeprefix("Key Vault ").removesuffix(" User").lower()
                self.grants.append(
                    authorization.RoleAssignment(
                        f"{name}-{key}-{short}",
                        principal_id=principal_id,
                        principal_type="ServicePrincipal",
                        role_definition_id=subscription.apply(partial(role_definition_id, role_guid=role_guid)),
                        scope=scope,
                        role_assignment_name=pulumi.Output.all(scope, principal_id).apply(
                            partial(_assignment_name, role_guid)
                        ),
                        description=f"keyvault-csi: {role_name} for {key}",
                        opts=pulumi.ResourceOptions(
                            parent=self,
                            protect=protect(args),
                            retain_on_delete=retain_on_delete(args),
                        ),
                    )
                )


def _plain_vault(args: KeyVaultAccessArgs) -> tuple[str, str] | None:
    """``(vaultName, resourceGroup)`` if both are plain strings (the vault can be read at preview), else None."""
    vault_name, resource_group = args["vaultName"], args["resourceGroup"]
    if isinstance(vault_name, str) and isinstance(resource_group, str):
        return vault_name, resource_group
    return None


def _entry(raw: object) -> ExistingEntry:
    """``getVault``'s ``AccessPolicyEntryResponse`` -> :class:`ExistingEntry`."""
    permissions = getattr(raw, "permissions", None)
    return ExistingEntry(
        object_id=str(getattr(raw, "object_id", "")),
        tenant_id=str(getattr(raw, "tenant_id", "")),
        application_id=getattr(raw, "application_id", None) or None,
        permissions={
            family: list(getattr(permissions, family, None) or [])
            for family in FAMILIES
            if getattr(permissions, family, None)
        },
    )


def _permissions(permissions: Mapping[str, Sequence[str]]) -> keyvault.PermissionsArgsDict:
    typed: keyvault.PermissionsArgsDict = {}
    for family in FAMILIES:
        if family in permissions:
            typed[family] = list(permissions[family])  # type: ignore[literal-required]  # family is one of the four keys
    return typed


def _assignment_name(role_guid: str, values: list[Any]) -> str:
    return role_assignment_name(str(values[0]), str(values[1]), role_guid)
