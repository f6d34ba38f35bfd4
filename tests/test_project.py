"""The project file and CI entry point: what a fresh machine and the Pulumi CLI rely on."""

from __future__ import annotations

import yaml

from components.config import CONFIG_KEYS
from tests.support import ROOT


def test_project_declares_and_describes_every_config_key() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "keyvault-csi"
    assert project["runtime"]["name"] == "python" and project["runtime"]["options"]["virtualenv"] == ".venv"
    assert project["stackConfigDir"] == "stacks"
    assert set(project["config"]) == set(CONFIG_KEYS)
    for key, declaration in project["config"].items():
        assert declaration.get("description"), f"{key} has no description"
        assert declaration.get("type", "string") in ("string", "integer", "boolean", "array"), key


def test_stack_files_use_only_declared_keys() -> None:
    allowed = {f"keyvault-csi:{k}" for k in CONFIG_KEYS}
    for path in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("Pulumi.*.yaml")):
        keys = set(yaml.safe_load(path.read_text())["config"])
        ours = {k for k in keys if k.startswith("keyvault-csi:")}
        assert ours <= allowed, f"{path.name}: {sorted(ours - allowed)}"
        assert keys - ours <= {"pulumi:disable-default-providers", "azure-native:location", "azure-native:environment",
                               "azure-native:subscriptionId"}, path.name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make plan STACK=dev" in readme
