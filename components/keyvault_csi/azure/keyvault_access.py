"""Key Vault data-plane access for the identities that mount objects (seed step 3, least privilege).

A vault authorizes one way (``properties.enableRbacAuthorization``):

* access policies — one ``keyvault.AccessPolicy`` per principal with exactly the permissions the
  declared objects need. Writes to one vault are chained one after another because parallel
  writes fail with ``ConflictError``.
* RBAC — one ``authorization.RoleAssignment`` per principal and built-in *User* role, scoped to
  the vault, with a deterministic GUID name (re-running never duplicates an assignment).

``auto`` reads the vault and picks; access-policy calls against an RBAC vault would do nothing.

A vault in another subscription is read and written through a provider for that subscription
(:mod:`keyvault_csi.azure.providers`); role assignments need none (their scope names the subscription).
A vault named by plain strings is read once, for ``auto``, existing entries and the network check
(:mod:`keyvault_csi.azure.vault_network`).
A principal whose object ID is known at preview and already has an access-policy entry gets it
adopted, never replaced (:mod:`keyvault_csi.rules.existing_grants`, docs/existing-grants.md).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import pulumi
from pulumi_azure_native import authorization, keyvault

from keyvault_csi.azure.keeping import keeping
from keyvault_csi.azure.providers import SubscriptionProviders
from keyvault_csi.model.outputs import plain
from keyvault_csi.model.settings import KeyVaultSettings
from keyvault_csi.rules.arm_ids import role_definition_id, vault_id
from keyvault_csi.rules.choices import PermissionModel
from keyvault_csi.rules.existing_grants import (
    FAMILIES,
    ExistingEntry,
    access_policy_import_id,
    access_policy_limit_problem,
    adopt,
    describe,
    find_entry,
    set_policy_command,
)
from keyvault_csi.rules.grants import access_policy_permissions, required_roles, role_assignment_name
from keyvault_csi.rules.objects import KeyVaultObject

TYPE = "keyvault-csi:index:KeyVaultAccess"


class KeyVaultAccess(pulumi.ComponentResource):
    """Grants each principal read access to exactly the kinds of objects it mounts from one vault."""

    permission_model: PermissionModel
    grants: list[pulumi.CustomResource]
    vault_provider: pulumi.ProviderResource | None
    """The provider for the vault's subscription, when it is not the inherited one."""
    adopted: dict[str, str]
    """Principal key -> import id of each existing access-policy entry adopted (docs/existing-grants.md)."""

    def __init__(
        self,
        name: str,
        vault: KeyVaultSettings,
        *,
        tenant_id: pulumi.Input[str],
        objects: Sequence[KeyVaultObject],
        principals: Mapping[str, pulumi.Input[str]],
        providers: SubscriptionProviders,
        protect: bool,
        setting: str = "keyVault",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``objects``: every object the principals mount (it decides the permissions or roles).
        ``principals``: stable key (used in resource names) -> Entra object (principal) ID; a plain
        ``str`` is checked against the vault's existing access-policy entries at preview, an Output
        (a principal this program creates) cannot have one yet. A vault named by Outputs (one this
        program creates) needs an explicit ``permissionModel``. ``setting``: the vault's key path, for messages."""
        super().__init__(TYPE, name, None, opts)
        self._settings, self._tenant_id, self._objects, self._principals = vault, tenant_id, objects, principals
        self._setting = setting
        self._keep_grants = protect
        self._vault: keyvault.GetVaultResult | Exception | None = None
        self.adopted = {}
        # Vault reads (every model: the network check, docs/network.md) and access policies need a provider
        # in the vault's subscription; RBAC grants name it in their scope.
        self.vault_provider = providers.for_subscription(self, f"{name}-vault", plain(vault.subscription_id) or None)
        self.permission_model = self._resolve_model()
        self.grants = []
        if self.permission_model == PermissionModel.ACCESS_POLICY:
            self._access_policies(name)
        else:
            self._role_assignments(name)
        self.register_outputs(
            {"permissionModel": self.permission_model, "grants": [g.id for g in self.grants], "adopted": self.adopted}
        )

    def _read_vault(self, vault: tuple[str, str]) -> keyvault.GetVaultResult:
        """The vault named by ``(vaultName, resourceGroup)`` known at preview (see :func:`_plain_vault`).

        Read once: a read that failed is raised again to every later use, not sent again.
        """
        if self._vault is None:
            vault_name, resource_group = vault
            try:
                self._vault = keyvault.get_vault(
                    resource_group_name=resource_group,
                    vault_name=vault_name,
                    opts=pulumi.InvokeOptions(parent=self, provider=self.vault_provider),
                )
            except Exception as error:  # the provider's answer (403, 404, ...), as the engine raises it
                self._vault = error
        if isinstance(self._vault, Exception):
            raise self._vault
        return self._vault

    def read_vault(self) -> keyvault.GetVaultResult | None:
        """The vault as ``getVault`` answers it (read once for every use), ``None`` if it is named by Outputs.

        Raises what the read raises (a vault the deployer cannot read, or that does not exist).
        """
        vault = _plain_vault(self._settings)
        return self._read_vault(vault) if vault is not None else None

    def _resolve_model(self) -> PermissionModel:
        model = self._settings.permission_model
        if model != PermissionModel.AUTO:
            return model
        vault = _plain_vault(self._settings)
        if vault is None:
            # The choice decides which resources exist: it cannot wait for a deployment.
            raise pulumi.RunError(
                "permissionModel 'auto' reads the vault before anything is declared, but its name or resource "
                "group is an Output; set permissionModel to accessPolicy or rbac"
            )
        rbac = self._read_vault(vault).properties.enable_rbac_authorization
        return PermissionModel.RBAC if rbac else PermissionModel.ACCESS_POLICY

    def _existing_entries(self) -> list[ExistingEntry]:
        """The vault's access-policy entries, read at preview (the read is shared with the network check).

        A principal known at preview needs them to be adopted, so then a failed read fails the preview; for
        principals this program creates they only count towards the vault's limit, and a vault that cannot be
        read is left to the network check's warning.
        """
        vault = _plain_vault(self._settings)
        if vault is None:
            return []  # a vault this program creates (an Output) has only the entries we declare
        try:
            read = self._read_vault(vault)
        except Exception:  # the provider's answer (403, 404, ...), as the engine raises it
            if any(isinstance(p, str) for p in self._principals.values()):
                raise
            return []
        return [_entry(e) for e in (read.properties.access_policies or [])]

    @functools.cached_property
    def _vault_subscription(self) -> str:
        """The subscription the writing provider puts into the ids it assigns (exactly its string);
        read once, however many principals are adopted."""
        return str(
            authorization.get_client_config(
                opts=pulumi.InvokeOptions(parent=self, provider=self.vault_provider)
            ).subscription_id
        )

    def _access_policies(self, name: str) -> None:
        needed = access_policy_permissions(self._objects)
        entries = self._existing_entries()
        vault = _plain_vault(self._settings)  # None: no entries were read, so none is adopted
        # At most 1024 entries per vault (docs/azure-rules.md §kv-access-policy-serial).
        too_many = access_policy_limit_problem(entries, self._principals.values())
        if too_many and vault is not None:
            raise pulumi.RunError(f"{self._setting}: Key Vault {vault[0]!r} (resource group {vault[1]!r}): {too_many}")
        previous: pulumi.Resource | None = None
        for key, principal_id in sorted(self._principals.items()):
            options = keeping(self._keep_grants)
            policy: keyvault.AccessPolicyEntryArgsDict = {
                "tenant_id": self._tenant_id,
                "object_id": principal_id,
                "permissions": _permissions(needed),
            }
            import_id: str | None = None
            entry = find_entry(entries, principal_id) if isinstance(principal_id, str) else None
            if entry is not None and vault is not None:
                # azure-native refuses to create an entry that exists, and its delete drops the whole
                # entry: import it, keep every permission it has, never delete it (existing-grants.md).
                policy, import_id = self._adopt(key, entry, needed, vault)
                options["retain_on_delete"] = True  # never delete an entry we did not create
            self.grants.append(
                keyvault.AccessPolicy(
                    f"{name}-{key}",
                    resource_group_name=self._settings.resource_group,
                    vault_name=self._settings.name,
                    policy=policy,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        provider=self.vault_provider,
                        **options,
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
            plain(self._settings.subscription_id) or None,
        )
        pulumi.log.warn(
            f"Key Vault {vault_name!r}: principal {entry.object_id} ({key}) already has an access policy "
            f"({describe(entry.permissions)}); adopting it "
            + (f"and adding {describe(adoption.added)}" if adoption.added else "unchanged")
            + ". It is retained on destroy (remove it with `az keyvault delete-policy` once nothing needs it). "
            f"To grant by hand instead: {fix}",
            resource=self,
        )
        return policy, import_id

    def _role_assignments(self, name: str) -> None:
        vault = self._settings
        subscription = pulumi.Output.from_input(
            vault.subscription_id
            or authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).subscription_id
        )
        scope = pulumi.Output.all(subscription, vault.resource_group, vault.name).apply(lambda v: vault_id(*v))
        for key, principal_id in sorted(self._principals.items()):
            for role_name, role_guid in required_roles(self._objects):
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
                        opts=pulumi.ResourceOptions(parent=self, **keeping(self._keep_grants)),
                    )
                )


def _plain_vault(vault: KeyVaultSettings) -> tuple[str, str] | None:
    """``(name, resourceGroup)`` if both are plain strings (the vault can be read at preview), else None."""
    vault_name, resource_group = vault.name, vault.resource_group
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
