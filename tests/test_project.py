"""The project file and CI entry point: what a fresh machine and the Pulumi CLI rely on."""

from __future__ import annotations

import yaml

from keyvault_csi.program.stack import CONFIG_KEYS
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
        assert keys - ours <= {
            "pulumi:disable-default-providers",
            "azure-native:location",
            "azure-native:environment",
            "azure-native:subscriptionId",
        }, path.name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make plan STACK=dev" in readme


def test_program_loads_only_the_modules_it_uses() -> None:
    """Importing every azure-native submodule costs 11-15 s and ~0.6 GB; we touch four.

    See docs/azure-rules.md §pulumi-startup-imports.
    """
    import json
    import subprocess
    import sys

    probe = """
import json, sys
from pulumi._utils import _LazyModule
from tools.review.plan import evaluate_stack
evaluate_stack("prod")  # every module the program can touch: identity, grants, nodes, AKS credentials
print(json.dumps(sorted(
    name.split(".")[1] for name, module in sys.modules.items()
    if name.startswith("pulumi_azure_native.") and name.count(".") == 1 and not isinstance(module, _LazyModule)
)))
print(json.dumps(sorted(m for m in ("azure.identity", "azure.mgmt.compute") if m in sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    loaded = set(json.loads(lines[-2]))
    # The Azure SDK clients serve the node-identity provider process, not the program (~0.7 s).
    assert json.loads(lines[-1]) == []
    assert loaded <= {
        "_utilities",
        "provider",
        "config",
        "keyvault",
        "managedidentity",
        "authorization",
        "containerservice",
    }
    assert {"keyvault", "managedidentity", "authorization", "containerservice"} <= loaded


def test_lazy_exports_agree_and_resolve() -> None:
    """keyvault_csi/__init__.py names each export three times (lazy map, __all__, typing imports): same set."""
    import ast

    import keyvault_csi

    tree = ast.parse((ROOT / "components" / "keyvault_csi" / "__init__.py").read_text())
    (typing_block,) = [n for n in tree.body if isinstance(n, ast.If)]
    typed = {
        alias.asname or alias.name for n in typing_block.body if isinstance(n, ast.ImportFrom) for alias in n.names
    }
    assert set(keyvault_csi._EXPORTS) == set(keyvault_csi.__all__) - {"__version__"} == typed
    assert all(getattr(keyvault_csi, name) is not None for name in keyvault_csi.__all__)


def test_typecheck_skips_only_the_sdk_roots_and_nothing_imports_a_root_whole() -> None:
    """mypy skips the two SDK roots (pyproject.toml); a name taken from a root would silently be Any."""
    import ast
    import importlib.util
    import tomllib

    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["strict"] is True and mypy["packages"] == ["keyvault_csi"]
    skipped = {module for o in mypy["overrides"] if o.get("follow_imports") == "skip" for module in o["module"]}
    assert skipped == {"pulumi_azure_native", "pulumi_kubernetes"}
    problems = []
    for path in sorted((ROOT / "components" / "keyvault_csi").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                problems += [f"{path.name}: import {a.name}" for a in node.names if a.name in skipped]
            elif isinstance(node, ast.ImportFrom) and node.module in skipped:
                problems += [
                    f"{path.name}: from {node.module} import {a.name}"
                    for a in node.names
                    if importlib.util.find_spec(f"{node.module}.{a.name}") is None
                ]
    assert not problems, "import these from their submodule instead: " + ", ".join(problems)


def test_pyproject_holds_the_one_version_the_package_and_docs_use() -> None:
    import re
    import tomllib

    import keyvault_csi

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert keyvault_csi.__version__ == version  # a stale .venv (make venv reinstalls) fails here
    docs = "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    pins = re.findall(
        r"/provider@v(\S+?)`", docs
    )  # `pulumi package add github.com/keyvault-csi/keyvault-csi/provider@vX`
    assert pins and set(pins) == {version}


def test_every_installed_distribution_is_pinned() -> None:
    """constraints.txt pins the whole transitive set: a package pulled in unpinned would drift on a fresh machine."""
    import importlib.metadata
    import re

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pinned = {
        normal(line.split("==", 1)[0])
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    installed = {normal(d.metadata["Name"]) for d in importlib.metadata.distributions()}
    assert installed - pinned - {"keyvault-csi", "pip", "setuptools", "wheel"} == set()
