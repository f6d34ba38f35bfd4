"""Settings problems with the stack file's line: ``stacks/Pulumi.dev.yaml:23: keyvault-csi:workloads[1]...``.

The Pulumi CLI reads the stack file and hands the program only the values, so the program finds
the file itself: ``KEYVAULT_CSI_STACK_FILE`` when set (``make plan`` sets it to the file it
planned), else ``Pulumi.<stack>.yaml`` in the project's ``stackConfigDir``. A problem gets a line
only where that file holds the value the program received (the CLI may also take values from
``--config`` flags or ESC environments, and then the file's line would be a guess); ``secure:``
values count as the same, as only the CLI can decrypt them. Anything that cannot be read leaves
the message as it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml

STACK_FILE_ENV = "KEYVAULT_CSI_STACK_FILE"
# A problem line of keyvault_csi.model.errors.render_problems: "  - <key path>[ [indexes]]: <message>".
_PROBLEM = re.compile(r"^(?P<lead>  - )(?P<path>\S+?)(?=(?: \[[0-9, ]+\])?: )")


def stack_file_path() -> Path | None:
    """The stack file the configuration came from, if it can be found."""
    given = os.environ.get(STACK_FILE_ENV)
    if given:
        return Path(given)
    given_root: str | None = pulumi.get_root_directory()  # None under the mock runtime
    root = Path(given_root) if given_root else Path.cwd()  # the CLI runs the program in the project folder
    folder = "."
    with contextlib.suppress(OSError, yaml.YAMLError, AttributeError):
        project = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
        folder = str(project.get("stackConfigDir") or ".")
    path = root / folder / f"Pulumi.{pulumi.get_stack()}.yaml"
    return path if path.is_file() else None


def with_stack_file_lines(message: str, config: Callable[[str], str | None], path: Path | None = None) -> str:
    """``message`` (a settings RunError's text) with ``<file>:<line>: `` before each problem whose key path is in
    the stack file; ``config`` gives the value the program received for a full key (``keyvault-csi:tags``)."""
    path = path if path is not None else stack_file_path()
    if path is None:
        return message
    try:
        text = path.read_text(encoding="utf-8")
        root, values = yaml.compose(text), yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return message
    section = _value_of(root, "config") if root is not None and isinstance(values, dict) else None
    if not isinstance(section, yaml.MappingNode) or not isinstance(values.get("config"), dict):
        return message
    shown = _shown(path)

    def annotate(line: str) -> str:
        match = _PROBLEM.match(line)
        if match is None:
            return line
        found = _line_of(section, match["path"], values["config"], config)
        return line if found is None else f"{match['lead']}{shown}:{found}: {line[match.end('lead') :]}"

    return "\n".join(annotate(line) for line in message.split("\n"))


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    return str(path)


def _value_of(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def _line_of(
    section: yaml.MappingNode, path: str, values: Mapping[Any, Any], config: Callable[[str], str | None]
) -> int | None:
    """The line of the deepest node of ``path`` in the stack file's ``config:``, if its top key holds the value the
    program received."""
    top = _key_at(section, path)
    if top is None:
        return None
    key_node, node, rest = top
    received = config(key_node.value)
    if received is None or not _same(values.get(key_node.value), received):
        return None
    line = key_node.start_mark.line + 1
    while rest:
        if rest.startswith("[") and isinstance(node, yaml.SequenceNode):
            index, _, rest = rest[1:].partition("]")
            if not index.isdigit() or int(index) >= len(node.value):
                break
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        elif rest.startswith(".") and isinstance(node, yaml.MappingNode):
            step = _key_at(node, rest[1:])
            if step is None:
                break
            key_node, node, rest = step
            line = key_node.start_mark.line + 1
        else:
            break
    return line


def _key_at(node: yaml.MappingNode, path: str) -> tuple[yaml.ScalarNode, yaml.Node, str] | None:
    """(key, value, the rest of ``path``) for the longest key of ``node`` that ``path`` starts with."""
    found: tuple[yaml.ScalarNode, yaml.Node, str] | None = None
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or not path.startswith(key.value):
            continue
        rest = path[len(key.value) :]
        if (rest == "" or rest[0] in ".[") and (found is None or len(key.value) > len(found[0].value)):
            found = (key, value, rest)
    return found


def _same(in_file: Any, received: str) -> bool:
    """True when the stack file's value is what the CLI handed the program (``secure:`` values: always)."""
    if _is_secure(in_file):
        return True
    if isinstance(in_file, (dict, list)):
        try:
            return _equal(in_file, json.loads(received))
        except json.JSONDecodeError:
            return False
    text = json.dumps(in_file) if isinstance(in_file, bool) or in_file is None else str(in_file)
    return text == received


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _equal(in_file: Any, received: Any) -> bool:
    if _is_secure(in_file):
        return True
    if isinstance(in_file, dict):
        return (
            isinstance(received, dict)
            and set(map(str, in_file)) == set(received)
            and all(_equal(v, received[str(k)]) for k, v in in_file.items())
        )
    if isinstance(in_file, list):
        return (
            isinstance(received, list)
            and len(in_file) == len(received)
            and all(_equal(a, b) for a, b in zip(in_file, received, strict=True))
        )
    return bool(in_file == received)
