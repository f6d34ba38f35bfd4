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
# Derived views of GRANTS for readers of declared grants (the policy pack, the plan graph).
FAMILIES: Mapping[str, str] = {object_type: grant[0] for object_type, grant in GRANTS.items()}
# Role definition GUID -> name: every role a CSI reader needs, for checks of hand-written stacks.
USER_ROLES: Mapping[str, str] = {guid: role for _, role, guid in GRANTS.values()}
# The permissions the provider ever needs on a family (docs/azure-rules.md §kv-least-privilege): get, and list
# for version history.
READ_PERMISSIONS = frozenset({"get", "list"})
# Other built-in Key Vault data-plane roles: never needed by the CSI driver.
OTHER_KEY_VAULT_ROLES: Mapping[str, str] = {
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": "Key Vault Crypto Officer",
    "a4417e6f-fecd-4de8-b567-7b0420556985": "Key Vault Certificates Officer",
    "e147488a-f6f5-4113-8e2d-b22465e65bf6": "Key Vault Crypto Service Encryption User",
    **{guid: name for guid, (name, _) in BROADER_READ_ROLES.items()},
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
