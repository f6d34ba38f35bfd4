"""Read a ``Pulumi.<stack>.yaml`` the way the Pulumi CLI hands it to a program.

Objects become JSON strings, scalars strings; ``secure:`` values (encrypted by the CLI) cannot be
decrypted offline, so they become a visible placeholder and their key is marked secret.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def stack_file(stack: str) -> Path:
    """``dev`` → ``stacks/Pulumi.dev.yaml``; ``examples/x`` → ``examples/Pulumi.x.yaml``; a path as is."""
    path = Path(stack)
    if path.suffix in (".yaml", ".yml"):
        return path if path.is_absolute() else ROOT / path
    folder = path.parent if str(path.parent) != "." else Path("stacks")
    return ROOT / folder / f"Pulumi.{path.name}.yaml"


def stack_label(stack: str) -> str:
    return stack_file(stack).name.removeprefix("Pulumi.").removesuffix(".yaml")


def load_stack_config(stack: str) -> tuple[dict[str, str], list[str]]:
    """(config for ``pulumi.runtime.set_all_config``, secret keys) of a stack file."""
    document = yaml.safe_load(stack_file(stack).read_text()) or {}
    config, secret_keys = {}, []
    for key, value in (document.get("config") or {}).items():
        value, secret = _unsecure(value, key)
        if secret:
            secret_keys.append(key)
        if isinstance(value, (dict, list)):
            config[key] = json.dumps(value)
        else:  # the CLI hands scalars over as their YAML text: true → "true"
            config[key] = json.dumps(value) if isinstance(value, bool) else str(value)
    return config, secret_keys


def _unsecure(value: Any, key: str) -> tuple[Any, bool]:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return f"<secret {key}>", True
    if isinstance(value, dict):
        pairs = {k: _unsecure(v, f"{key}.{k}") for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        pairs = [_unsecure(v, f"{key}[{i}]") for i, v in enumerate(value)]
        return [v for v, _ in pairs], any(s for _, s in pairs)
    return value, False
