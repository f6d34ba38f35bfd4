"""Settings problems get the stack file's line, only where the file holds the value the program received."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keyvault_csi.program.stack_file import with_stack_file_lines

STACK = """\
config:
  keyvault-csi:driver:
    install: helm
    values:
      secrets-store-csi-driver:
        syncSecret: {enabled: true}
  keyvault-csi:tags: {app.kubernetes.io/name: shop, owner: x}
  keyvault-csi:protect: true
  keyvault-csi:workloads:
    - {name: a, objects: [{objectName: s, objectType: secret}]}
    - name: b
      objects:
        - objectName: k
          objectType: key
"""
VALUES = {
    "keyvault-csi:driver": {
        "install": "helm",
        "values": {"secrets-store-csi-driver": {"syncSecret": {"enabled": True}}},
    },
    "keyvault-csi:tags": {"app.kubernetes.io/name": "shop", "owner": "x"},
    "keyvault-csi:protect": True,
    "keyvault-csi:workloads": [
        {"name": "a", "objects": [{"objectName": "s", "objectType": "secret"}]},
        {"name": "b", "objects": [{"objectName": "k", "objectType": "key"}]},
    ],
}


def received(key: str) -> str | None:
    value = VALUES.get(key)
    return None if value is None else json.dumps(value)


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(STACK)
    return path


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("keyvault-csi:driver.values.secrets-store-csi-driver.syncSecret.enabled", 6),  # keys with '-' and flow maps
        ("keyvault-csi:tags.app.kubernetes.io/name", 7),  # a key with dots
        ("keyvault-csi:protect", 8),
        ("keyvault-csi:workloads[0].objects[0].objectType", 10),  # flow style: the item's line
        ("keyvault-csi:workloads[1].objects[0].objectType", 14),
        ("keyvault-csi:workloads[1].pod.image", 11),  # not in the file: the deepest key that is
        ("keyvault-csi:workloads[5].name", 9),
    ],
)
def test_a_key_path_finds_its_line(stack: Path, path: str, line: int) -> None:
    message = f"invalid keyvault-csi settings (1 problem):\n  - {path}: bad"
    assert with_stack_file_lines(message, received, stack).splitlines()[1] == f"  - {stack}:{line}: {path}: bad"


def test_indexes_after_the_path_are_kept(stack: Path) -> None:
    message = "x (1 problem):\n  - keyvault-csi:workloads [0, 1]: the name 'a' is used more than once"
    assert f"  - {stack}:9: keyvault-csi:workloads [0, 1]: the name" in with_stack_file_lines(message, received, stack)


def test_no_line_when_the_received_value_differs_or_the_file_is_broken(stack: Path) -> None:
    message = "x (1 problem):\n  - keyvault-csi:protect: bad"
    assert with_stack_file_lines(message, lambda key: "false", stack) == message
    assert with_stack_file_lines(message, lambda key: None, stack) == message
    stack.write_text("config:\n  keyvault-csi:protect: [\n")
    assert with_stack_file_lines(message, received, stack) == message
