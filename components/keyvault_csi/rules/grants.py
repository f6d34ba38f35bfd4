"""What each kind of Key Vault object needs: access-policy permissions and built-in roles (least privilege)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from keyvault_csi.rules.objects import KeyVaultObject

# objectType -> (access-policy permission family, built-in role name, role definition GUID)
GRANTS: Mapping[str, tuple[str, str, str]] = {
    "secret": ("secrets", "Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6"),
    "key": ("keys", "Key Vault Crypto User", "12338af0-0e69-4776-bea7-57ae8d297424"),
    "cert": ("certificates", "Key Vault Certificate User", "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"),
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
    """(role name, role definition GUID) pairs the objects need, sorted; each role includes ``list``."""
    return sorted({GRANTS[obj.object_type][1:] for obj in objects})


def role_assignment_name(scope: str, principal_id: str, role_guid: str) -> str:
    return str(uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{principal_id.lower()}|{role_guid}"))
