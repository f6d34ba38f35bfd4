"""The stack's keyvault-csi:* config as the program reads it: misspelt namespaces, and the stack file's lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from keyvault_csi.program.stack_file import STACK_FILE_ENV
from tests.support import RELEASE, as_stack_config, base_settings, program_errors


def problems_of(config: dict[str, str]) -> str:
    graph, errors = program_errors(config)
    assert len(errors) == 1 and graph.resources == [], "a settings error comes before any resource"
    return str(errors[0])


@pytest.mark.parametrize("namespace", ["keyvault-cs", "keyvalut-csi", "key-vault-csi", "keyvault-csj", "KeyVault-CSI"])
def test_a_namespace_one_edit_away_is_an_error_with_the_key_it_meant(namespace: str) -> None:
    config = as_stack_config(base_settings("kubelet")) | {f"{namespace}:protect": "true"}
    message = problems_of(config)
    assert (
        f"  - {namespace}:protect: unknown config namespace '{namespace}'; did you mean 'keyvault-csi:protect'? "
        "This program reads only keyvault-csi:* keys, so this value is ignored"
    ) in message


def test_namespace_typos_come_with_every_other_problem() -> None:
    settings = base_settings("kubelet")
    settings["keyVault"]["name"] = "my--vault"
    config = as_stack_config(settings) | {"keyvault-cs:protect": "true", "keyvalut-csi:tags": "{}"}
    message = problems_of(config)
    # First, sorted by key; then the settings' own problems.
    assert message.startswith("invalid keyvault-csi settings (3 problems):\n  - keyvalut-csi:tags: ")
    assert "\n  - keyvault-cs:protect: " in message and "keyvault-csi:keyVault.name: 'my--vault'" in message


@pytest.mark.parametrize("key", ["azure-native:location", "kubernetes:context", "pulumi:tags", "keyvault:x", "csi:y"])
def test_other_namespaces_are_left_alone(key: str) -> None:
    config = as_stack_config(base_settings("kubelet")) | {key: "westeurope"}
    _, errors = program_errors(config)
    assert errors == []


# --- the stack file's lines ---

STACK = """\
config:
  keyvault-csi:tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
  keyvault-cs:protect: true
  keyvault-csi:keyVault:
    name: kvname
    permissionModel: accessPolicy
  keyvault-csi:identity: {type: kubelet, cluster: {resourceGroup: rg-aks, name: aks}}
  keyvault-csi:kubeconfig: {secure: v1:abc}
  keyvault-csi:workloads:
    - name: nginx
      objects:
        - {objectName: secret1, objectType: secret}
        - objectName: key1
          objectType: keys
"""


def stack_config(text: str) -> dict[str, str]:
    """What the CLI hands the program for a stack file (objects as JSON, scalars as their text)."""
    config = {}
    for key, value in yaml.safe_load(text)["config"].items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            value = "decrypted"
        config[key] = json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)
    return config


@pytest.fixture
def stack_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(STACK)
    monkeypatch.setenv(STACK_FILE_ENV, str(path))
    return path


def test_each_problem_names_the_stack_files_line(stack_file: Path) -> None:
    lines = problems_of(stack_config(STACK)).splitlines()[1:]
    where = {line.split(": ", 2)[1]: line.split(": ", 1)[0] for line in lines}
    assert where == {
        "keyvault-cs:protect": f"  - {stack_file}:3",
        # A missing key: the line of its parent.
        "keyvault-csi:keyVault.resourceGroup": f"  - {stack_file}:4",
        # A secure value (only the CLI decrypts it) counts as the file's.
        "keyvault-csi:kubeconfig": f"  - {stack_file}:8",
        "keyvault-csi:workloads[0].objects[1].objectType": f"  - {stack_file}:14",
    }
    assert f"  - {stack_file}:14: keyvault-csi:workloads[0].objects[1].objectType: 'keys' is not allowed" in lines[2]


def test_a_value_the_file_does_not_hold_gets_no_line(stack_file: Path) -> None:
    # As with `pulumi preview --config` or an ESC environment: the file's line would be a guess.
    config = stack_config(STACK) | {"keyvault-csi:keyVault": json.dumps({"name": "other"})}
    message = problems_of(config)
    assert "\n  - keyvault-csi:keyVault.resourceGroup: required but not set" in message
    assert f"{stack_file}:14: keyvault-csi:workloads[0].objects[1].objectType" in message


def test_without_a_stack_file_the_message_is_unchanged(stack_file: Path) -> None:
    stack_file.unlink()
    message = problems_of(stack_config(STACK))
    assert "\n  - keyvault-csi:keyVault.resourceGroup: required but not set" in message
    assert str(stack_file) not in message


def test_a_valid_stack_declares_its_resources(stack_file: Path) -> None:
    settings = base_settings("kubelet")
    settings["driver"] = {"install": "helm"}
    graph, errors = program_errors(as_stack_config(settings))
    assert errors == [] and len(graph.by_type(RELEASE)) == 1
