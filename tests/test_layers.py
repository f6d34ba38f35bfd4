"""The layer order of keyvault_csi (README, "Layout"): each layer imports only the layers below it, and the
rules import no Pulumi. The contracts live in pyproject.toml ([tool.importlinter]); import-linter checks them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
]


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        LINT, cwd=root, capture_output=True, text=True, check=False, env={"PYTHONPATH": str(root / "components")}
    )


def test_every_layer_imports_only_the_layers_below_it() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "rules/names.py",
            "import keyvault_csi.model.settings",
            "keyvault_csi.rules is not allowed to import keyvault_csi.model",
        ),
        (
            "azure/keeping.py",
            "import keyvault_csi.kubernetes.pod",
            "keyvault_csi.azure is not allowed to import keyvault_csi.kubernetes",
        ),
        ("rules/tags.py", "import pulumi", "keyvault_csi.rules is not allowed to import pulumi"),
    ],
)
def test_an_upward_import_breaks_a_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    """The check is live: a copy of the package with one import against the order fails."""
    copy = tmp_path / "repo"
    (copy / "components").mkdir(parents=True)
    subprocess.run(["cp", "-r", str(ROOT / "components" / "keyvault_csi"), str(copy / "components")], check=True)
    subprocess.run(["cp", str(ROOT / "pyproject.toml"), str(copy)], check=True)
    target = copy / "components" / "keyvault_csi" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    result = lint(copy)
    assert result.returncode != 0 and broken in result.stdout, result.stdout
