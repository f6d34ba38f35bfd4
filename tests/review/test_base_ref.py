"""The base ref runs its own package in a throwaway environment, never the head's."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tools.review.base_ref import base_environment


def test_base_environment_imports_the_base_trees_package_not_the_heads(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "components" / "keyvault_csi").mkdir(parents=True)
    (tree / "components" / "keyvault_csi" / "__init__.py").write_text("MARK = 'base'\n")
    python = base_environment(tree, tmp_path / "venv")
    probe = "import keyvault_csi, yaml, pulumi; print(keyvault_csi.MARK, keyvault_csi.__file__)"
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True, env={"PATH": ""})
    mark, location = result.stdout.split()
    assert mark == "base" and location.startswith(str(tree))  # third-party packages still come from ours
