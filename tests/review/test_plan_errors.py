"""``make plan`` with a stack it cannot read: one line on stderr naming the file (and line), exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import ROOT
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
    ],
    ids=["document-list", "config-list"],
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "config:\n  keyvault-csi:tenantId: x\n\tkeyvault-csi:tags: {}\n",
            [
                "Pulumi.broken.yaml:3:1: not valid YAML: a tab character (found character '\\t' that cannot start "
                "any token)",
                "  2 |   keyvault-csi:tenantId: x",
                "  3 | \tkeyvault-csi:tags: {}",
                "    | ^",
                "  hint: YAML indents with spaces only: replace the tab with spaces",
            ],
        ),
        (
            "config:\n  keyvault-csi:keyVault: {name: kv\n",
            [
                "Pulumi.broken.yaml:2:35: not valid YAML: a '{' is not closed (expected ',' or '}', but got "
                "'<stream end>')",
                "  1 | config:",
                "  2 |   keyvault-csi:keyVault: {name: kv",
                "    |                                   ^",
                "  hint: close the mapping with '}' (each entry key: value, separated by ', ') (the '{' at line 2)",
            ],
        ),
        (
            "config:\n  keyvault-csi:workloads:\n    - name: a\n      objects:\n      - objectName: x\n"
            "        objectType: secret\n       objectAlias: y\n",
            [
                "Pulumi.broken.yaml:7:8: not valid YAML: this line's indentation does not fit the lines above "
                "(expected <block end>, but found '<block mapping start>')",
                "  3 |     - name: a",
                "    | ...",
                "  6 |         objectType: secret",
                "  7 |        objectAlias: y",
                "    |        ^",
                "  hint: keys of one mapping start in the same column, and the '- ' items of one list line up; "
                "indent this line like its siblings",
            ],
        ),
        (
            "config:\n  keyvault-csi:keyVault:\n    name: kv\n      resourceGroup: rg\n",
            [
                "Pulumi.broken.yaml:4:20: not valid YAML: a ': ' where no key can start (mapping values are not "
                "allowed here)",
                "  3 |     name: kv",
                "  4 |       resourceGroup: rg",
                "    |                    ^",
                "  hint: either this line is indented deeper than the key above it",
            ],
        ),
    ],
    ids=["tab-indent", "unclosed-flow", "under-indented", "over-indented"],
)
def test_yaml_errors_show_the_line_a_caret_and_a_hint(
    text: str, expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _plan(_stack(tmp_path, text), tmp_path, capsys)
    assert code == 2
    lines = err.removeprefix("error: ").splitlines()
    assert lines[0].endswith(expected[0]) and lines[1:-1] == expected[1:-1] and lines[-1].startswith(expected[-1])


def test_settings_problems_name_the_stack_files_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the file is named relative to the working directory
    dev = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    broken = dev.replace("keyvault-csi:tags:", "keyvault-cs:tags:").replace("objectType: key}", "objectType: keys}")
    assert broken.count("keyvault-cs:tags:") == 1 and "keys}" in broken
    stack = _stack(tmp_path, broken)
    code, err = _plan(stack, tmp_path, capsys)
    line_of = {text: n for n, text in enumerate(broken.splitlines(), start=1)}
    tags = next(n for text, n in line_of.items() if "keyvault-cs:tags:" in text)
    key = next(n for text, n in line_of.items() if "objectType: keys}" in text)
    assert code == 1
    assert f"  - {stack.name}:{tags}: keyvault-cs:tags: unknown config namespace 'keyvault-cs'; did you mean " in err
    assert f"  - {stack.name}:{key}: keyvault-csi:workloads[0].objects[1].objectType: 'keys' is not allowed" in err
