"""Read a ``Pulumi.<stack>.yaml`` the way the Pulumi CLI hands it to a program.

Objects become JSON strings, scalars strings; ``secure:`` values (encrypted by the CLI) cannot be
decrypted offline, so they become a visible placeholder and their key is marked secret.

A file the CLI would refuse is refused here too, with one :class:`StackFileError` naming the file
(and line): a missing file or a folder, a document or ``config:`` that is not a mapping, malformed
YAML (with the offending line, a caret and a hint: ``tools.review.yaml_errors``), and a config key
without a namespace. The CLI parses every stack-file key as
``<namespace>:<name>`` (``config.ParseKey`` in the Pulumi SDK: "could not parse tenantId as a
configuration key"); only ``pulumi config set tenantId`` and ``Pulumi.yaml`` prefix the project name.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import yaml

from keyvault_csi.model.offline import secure_placeholder
from tools.review.ci import ROOT, stack_names_in
from tools.review.yaml_errors import yaml_error_text

PROJECT = "keyvault-csi"


class StackFileError(Exception):
    """A stack file ``make plan`` cannot read (a usage error: exit code 2)."""


def stack_file(stack: str) -> Path:
    """``dev`` → ``stacks/Pulumi.dev.yaml``; ``examples/x`` → ``examples/Pulumi.x.yaml``; a path as is."""
    path = Path(stack)
    if path.suffix in (".yaml", ".yml"):
        return path if path.is_absolute() else ROOT / path
    folder = path.parent if str(path.parent) != "." else Path("stacks")
    return ROOT / folder / f"Pulumi.{path.name}.yaml"


def stack_label(stack: str) -> str:
    return stack_file(stack).name.removeprefix("Pulumi.").removesuffix(".yaml")


def available_stacks() -> list[str]:
    """The ``--stack`` values that name a stack file of this project: ``stacks/`` then ``examples/``."""
    return stack_names_in(ROOT / "stacks") + [f"examples/{name}" for name in stack_names_in(ROOT / "examples")]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read_stack_document(stack: str) -> dict[str, Any]:
    """The stack file's ``config:`` mapping, or a :class:`StackFileError` that says what is wrong."""
    folder = Path(stack) if Path(stack).is_absolute() else ROOT / stack
    if folder.is_dir():
        project = folder / "Pulumi.yaml"
        runtime = ""
        if project.is_file():
            with contextlib.suppress(yaml.YAMLError, AttributeError):
                declared = (yaml.safe_load(project.read_text()) or {}).get("runtime") or ""
                runtime = str(declared.get("name", "") if isinstance(declared, dict) else declared)
        what = f"a Pulumi project of its own (runtime: {runtime})" if runtime else "a folder"
        raise StackFileError(
            f"{_shown(folder)} is {what}, not a stack file of this project; make plan evaluates __main__.py "
            f"with a stack file: STACK=<name> for stacks/Pulumi.<name>.yaml, examples/<name> for "
            f"examples/Pulumi.<name>.yaml, or a path ending in .yaml; stacks: {', '.join(available_stacks())}"
        )
    path = stack_file(stack)
    if not path.is_file():
        raise StackFileError(f"{_shown(path)}: no such stack file; stacks: {', '.join(available_stacks())}")
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        raise StackFileError(yaml_error_text(_shown(path), text, error)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise StackFileError(f"{_shown(path)}: not valid YAML: {error}") from None
    document = {} if document is None else document
    if not isinstance(document, dict):
        raise StackFileError(
            f"{_shown(path)}: a stack file is a mapping with a config: mapping inside; got a {_kind(document)}"
        )
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(
            f"{_shown(path)}: config: must be a mapping of <namespace>:<key> to value "
            f"(such as keyvault-csi:tenantId: <GUID>); got a {_kind(config)}"
        )
    unprefixed = [str(key) for key in config if ":" not in str(key)]
    if unprefixed:
        spelled = ", ".join(f"{key} → {PROJECT}:{key}" for key in unprefixed)
        raise StackFileError(
            f"{_shown(path)}: config keys need a namespace, as the Pulumi CLI reads a stack file "
            f"(<namespace>:<key>; it refuses a bare key): {spelled}"
        )
    return config


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def load_stack_config(stack: str) -> tuple[dict[str, str], list[str]]:
    """(config for ``pulumi.runtime.set_all_config``, secret keys) of a stack file."""
    document = read_stack_document(stack)
    config, secret_keys = {}, []
    for key, value in document.items():
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
        return secure_placeholder(key), True
    if isinstance(value, dict):
        pairs = {k: _unsecure(v, f"{key}.{k}") for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        pairs = [_unsecure(v, f"{key}[{i}]") for i, v in enumerate(value)]
        return [v for v, _ in pairs], any(s for _, s in pairs)
    return value, False
