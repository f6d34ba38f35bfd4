"""The stack's ``keyvault-csi:*`` configuration, read and validated before any resource is declared.

Only the keyvault-csi program reads stack config; the component takes its settings as arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from keyvault_csi.model.settings import StackSettings
from keyvault_csi.model.validate import validate
from keyvault_csi.program.stack_file import with_stack_file_lines
from keyvault_csi.rules.config_keys import NAMESPACE, namespace_typo_problem, namespace_typos
from keyvault_csi.rules.model import input_keys

# Keys of the keyvault-csi namespace (location and environment come from azure-native:*).
CONFIG_KEYS = tuple(key for key in input_keys(StackSettings) if key not in ("location", "environment"))


def settings_from_stack_config(namespace: str = NAMESPACE) -> StackSettings:
    """Read and validate every ``keyvault-csi:*`` key of the current stack (plus ``azure-native:location``
    and ``azure-native:environment``).

    Unknown keys in the namespace are reported too, with a "did you mean", and so are keys in a namespace one
    edit away (``keyvault-cs:protect``), which the program would otherwise never read. Each problem names the
    stack file's line where that file can be found (:mod:`keyvault_csi.program.stack_file`).
    """
    given = _config_keys()
    typos = [namespace_typo_problem(key, meant, namespace) for key, meant in namespace_typos(given, namespace)]
    raw: dict[str, Any] = {}
    config = pulumi.Config(namespace)
    for key in _keys_in_namespace(given, namespace):
        try:
            raw[key] = config.get_object(key)
        except Exception:  # a scalar that is not JSON: keep the text
            raw[key] = config.get(key)
    azure = pulumi.Config("azure-native")
    for key in ("location", "environment"):
        value = azure.get(key)
        if value:
            raw[key] = value
    try:
        return validate_stack_settings(raw, namespace, also=typos)
    except pulumi.RunError as error:
        raise pulumi.RunError(with_stack_file_lines(str(error), runtime_config.get_config)) from None


def _config_keys() -> set[str]:
    """Every full config key the program was given (``<namespace>:<key>``)."""
    return set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())


def _keys_in_namespace(given: set[str], namespace: str) -> list[str]:
    found = sorted(k.split(":", 1)[1] for k in given if k.startswith(f"{namespace}:"))
    # `pulumi config set --path` style keys never reach the program split; config objects arrive whole.
    return [k for k in found if ":" not in k]


def validate_stack_settings(
    raw: dict[str, Any], namespace: str = NAMESPACE, *, also: Sequence[str] = ()
) -> StackSettings:
    """A stack's ``keyvault-csi:*`` values (without the namespace) as :class:`StackSettings`, or one RunError.

    ``also``: problems found outside the namespace (as rendered lines), reported in the same error.
    """
    return validate(raw, StackSettings, prefix=f"{namespace}:", also=also)
