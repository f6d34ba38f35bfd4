"""The rules the pack shares with the components: imported from ``keyvault_csi.rules``.

``keyvault_csi.rules`` imports only the standard library, pydantic and PyYAML (no Pulumi, no
Azure SDK), so the pack's virtualenv stays small: it installs ``keyvault-csi`` with the
``policy`` extra (see ``policy/requirements.txt``).
"""

from __future__ import annotations

from keyvault_csi.rules.driver import addon_profile, addon_rotates, chart_rotates
from keyvault_csi.rules.grants import BROADER_READ_ROLES, FAMILIES, OTHER_KEY_VAULT_ROLES, READ_PERMISSIONS, USER_ROLES
from keyvault_csi.rules.model import input_keys
from keyvault_csi.rules.names import cloud_env_file_problem, cloud_name_problem, key_vault_name_problem
from keyvault_csi.rules.objects import KeyVaultObject, equal_fold, file_conflicts, parse_objects
from keyvault_csi.rules.parameters import (
    CRD_API_VERSION,
    CRD_GROUP,
    DEPRECATED_PARAMETERS,
    IDENTITY_FLAGS,
    PARAMETER_KEYS,
    parse_flag,
)
from keyvault_csi.rules.pod import CSI_DRIVER

__all__ = [
    "BROADER_READ_ROLES",
    "CRD_API_VERSION",
    "CRD_GROUP",
    "CSI_DRIVER",
    "DEPRECATED_PARAMETERS",
    "IDENTITY_FLAGS",
    "FAMILIES",
    "OTHER_KEY_VAULT_ROLES",
    "READ_PERMISSIONS",
    "PARAMETER_KEYS",
    "USER_ROLES",
    "KeyVaultObject",
    "addon_profile",
    "addon_rotates",
    "chart_rotates",
    "cloud_env_file_problem",
    "cloud_name_problem",
    "equal_fold",
    "file_conflicts",
    "input_keys",
    "key_vault_name_problem",
    "parse_flag",
    "parse_objects",
]
