"""The stack's ``keyvault-csi:*`` configuration, read and validated before any resource is declared.

Only the keyvault-csi program reads stack config; the component takes its settings as arguments.
"""

from __future__ import annotations

from typing import Any

import pulumi

from keyvault_csi.model.settings import StackSettings
from keyvault_csi.model.validate import validate
from keyvault_csi.rules.model import input_keys

NAMESPACE = "keyvault-csi"
# Keys of the keyvault-csi namespace (location and environment come from azure-native:*).
CONFIG_KEYS = tuple(key for key in input_keys(StackSettings) if key not in ("location", "environment"))


def settings_from_stack_config(namespace: str = NAMESPACE) -> StackSettings:
    """Read and validate every ``keyvault-csi:*`` key of the current stack (plus ``azure-native:location``
    and ``azure-native:environment``).

    Unknown keys in the namespace are reported too, with a "did you mean".
    """
    raw: dict[str, Any] = {}
    config = pulumi.Config(namespace)
    for key in _keys_in_namespace(namespace):
        try:
            raw[key] = config.get_object(key)
        except Exception:  # a scalar that is not JSON: keep the text
            raw[key] = config.get(key)
    azure = pulumi.Config("azure-native")
    for key in ("location", "environment"):
        if azure.get(key):
            raw[key] = azure.get(key)
    return validate_stack_settings(raw, namespace)


def _keys_in_namespace(namespace: str) -> list[str]:
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    found = sorted(k.split(":", 1)[1] for k in keys if k.startswith(f"{namespace}:"))
    # `pulumi config set --path` style keys never reach the program split; config objects arrive whole.
    return [k for k in found if ":" not in k]


def validate_stack_settings(raw: dict[str, Any], namespace: str = NAMESPACE) -> StackSettings:
    """A stack's ``keyvault-csi:*`` values (without the namespace) as :class:`StackSettings`, or one RunError."""
    return validate(raw, StackSettings, prefix=f"{namespace}:")
