"""What each kind of Key Vault object needs: access-policy permissions and built-in roles (least privilege)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from keyvault_csi.rules.objects import KeyVaultObject

# Least privilege by what the provider calls (provider pkg/provider/keyvault.go): a secret's value
# (GET /secrets/{name}/{version}: data action secrets/getSecret/action); a key's public key (GET
# /keys/{name}/{version}: keys/read); a certificate's public certificate (GET
# /certificates/{name}/{version}: certificates/read); listing versions needs the same read. Key
# Vault Reader's data actions are vaults/*/read + secrets/readMetadata/action: keys/read and
# certificates/read, no secret value, no private-key operation. Crypto User would add
# decrypt/sign/unwrap with every key, Certificate User every secret's value (docs/azure-rules.md §kv-least-privilege).
SECRETS_USER = ("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6")
KEY_VAULT_READER = ("Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2")
# objectType -> (access-policy permission family, built-in role name, role definition GUID)
GRANTS: Mapping[str, tuple[str, str, str]] = {
    "secret": ("secrets", *SECRETS_USER),
    "key": ("keys", *KEY_VAULT_READER),
    "cert": ("certificates", *KEY_VAULT_READER),
}
# Role definition GUID -> name: every role a CSI reader needs, for checks of hand-written stacks.
READER_ROLES: Mapping[str, str] = {guid: name for _, name, guid in GRANTS.values()}
# Roles that also read what the provider needs, but grant more (GUID -> (name, what more)).
BROADER_READ_ROLES: Mapping[str, tuple[str, str]] = {
    "12338af0-0e69-4776-bea7-57ae8d297424": (
        "Key Vault Crypto User",
        "decrypt, sign, unwrap and backup with every key of the vault; a key object needs only Key Vault Reader",
    ),
    "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba": (
        "Key Vault Certificate User",
        "the value of every secret of the vault; a cert object needs only Key Vault Reader, a certificate's "
        "private key (objectType secret) Key Vault Secrets User",
    ),
}
# Fixed namespace so the same (scope, principal, role) always names the same assignment.
ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("5f0f3c1e-7a57-4b8e-9d6e-6b657976617c")


def access_policy_permissions(objects: Sequence[KeyVaultObject]) -> dict[str, list[str]]:
    """Exactly the access-policy permissions the objects need: ``get``, plus ``list`` for version history."""
    permissions: dict[str, set[str]] = {}
    for obj in objects:
        family = GRANTS[obj.object_type][0]
        permissions.setdefault(family, set()).add("get")
        if obj.needs_list:
            permissions[family].add("list")
    return {family: sorted(perms) for family, perms in sorted(permissions.items())}


def required_roles(objects: Sequence[KeyVaultObject]) -> list[tuple[str, str]]:
    """(role name, role definition GUID) pairs the objects need, sorted; each role includes listing versions."""
    return sorted({GRANTS[obj.object_type][1:] for obj in objects})


def role_assignment_name(scope: str, principal_id: str, role_guid: str) -> str:
    return str(uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{principal_id.lower()}|{role_guid}"))
