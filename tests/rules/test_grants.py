"""Least-privilege grants per object kind (rules.grants)."""

from __future__ import annotations

from keyvault_csi.rules.grants import GRANTS, KEY_VAULT_READER, SECRETS_USER, required_roles
from keyvault_csi.rules.objects import KeyVaultObject


def obj(name: str = "a", **fields) -> KeyVaultObject:
    return KeyVaultObject.model_validate({"objectName": name, "objectType": "secret", **fields})


# --- least privilege: Key Vault Reader for key and cert objects ---


def test_keys_and_certs_get_key_vault_reader_secrets_get_secrets_user() -> None:
    assert (
        GRANTS["key"][1:]
        == GRANTS["cert"][1:]
        == KEY_VAULT_READER
        == (
            "Key Vault Reader",
            "21090545-7ca7-4776-b22c-e363652d74d2",
        )
    )
    assert GRANTS["secret"][1:] == SECRETS_USER
    objects = [obj("s"), obj("k", objectType="key"), obj("c", objectType="cert")]
    assert required_roles(objects) == [KEY_VAULT_READER, SECRETS_USER]
