"""The rules the pack shares with the components: imported from ``keyvault_csi.rules``.

``keyvault_csi.rules`` imports only the standard library, pydantic and PyYAML (no Pulumi, no
Azure SDK), so the pack's virtualenv stays small: it installs ``keyvault-csi`` with the
``policy`` extra (see ``policy/requirements.txt``).
"""

from __future__ import annotations

from keyvault_csi.rules import names as naming
from keyvault_csi.rules.grants import BROADER_READ_ROLES, READER_ROLES
from keyvault_csi.rules.model import input_keys
from keyvault_csi.rules.names import KEY_VAULT_NAME
from keyvault_csi.rules.objects import KeyVaultObject, file_conflicts, parse_objects
from keyvault_csi.rules.parameters import parse_flag

__all__ = [
    "BROADER_READ_ROLES",
    "KEY_VAULT_NAME",
    "READER_ROLES",
    "KeyVaultObject",
    "file_conflicts",
    "input_keys",
    "naming",
    "parse_flag",
    "parse_objects",
]
