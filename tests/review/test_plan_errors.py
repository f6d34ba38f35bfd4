"""``make plan`` with a stack it cannot read: one line on stderr naming the file (and line), exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.review.plan import main as plan_main


def _plan(stack: str | Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = plan_main(["--stack", str(stack), "--out", str(tmp_path / "plan")])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


def _stack(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(text)
    return path


def test_missing_stack_is_a_usage_error_that_lists_the_stacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _plan("staging", tmp_path, capsys)
    assert code == 2
    assert err.startswith("error: stacks/Pulumi.staging.yaml: no such stack file; stacks: dev, prod, examples/")


def test_a_typescript_project_folder_is_not_a_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _plan("examples/typescript", tmp_path, capsys)
    assert code == 2
    assert "examples/typescript is a Pulumi project of its own (runtime: nodejs), not a stack file" in err
    assert "examples/user-assigned-msi" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- keyvault-csi:tenantId: x\n",
            "Pulumi.broken.yaml: a stack file is a mapping with a config: mapping inside; got a list",
        ),
        (
            "config:\n  - keyvault-csi:tenantId\n",
            "Pulumi.broken.yaml: config: must be a mapping of <namespace>:<key> to value",
        ),
        (
            "config:\n  keyvault-csi:tenantId: x\n\tkeyvault-csi:tags: {}\n",
            "Pulumi.broken.yaml:3:1: not valid YAML: found character '\\t'",
        ),
        ("config:\n  keyvault-csi:keyVault: {name: kv\n", "Pulumi.broken.yaml:3:1: not valid YAML"),
    ],
    ids=["document-list", "config-list", "tab-indent", "unclosed-flow"],
)
def test_unreadable_stack_file_names_file_and_line(
    text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _plan(_stack(tmp_path, text), tmp_path, capsys)
    assert code == 2
    assert expected in err and err.count("\n") == 1


def test_unprefixed_key_is_refused_with_its_prefixed_spelling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI parses stack-file keys with config.ParseKey, which refuses a key without ':'.
    stack = _stack(
        tmp_path,
        "config:\n  tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47\n  keyVault: {}\n  azure-native:location: x\n",
    )
    code, err = _plan(stack, tmp_path, capsys)
    assert code == 2
    assert "tenantId → keyvault-csi:tenantId, keyVault → keyvault-csi:keyVault" in err
    assert "azure-native:location" not in err
