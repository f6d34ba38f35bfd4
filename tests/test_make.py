"""The Makefile's targets run what they say (``make -n`` prints the recipe without running it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support import ROOT


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_doctor_reads_an_events_file_and_passes_stack_and_args() -> None:
    result = _make("doctor", "EVENTS=tests/doctor/corpus/events.json", "ARGS=--json")
    findings = json.loads(result.stdout)
    assert findings and {"pod", "cause", "fix"} <= set(findings[0])
    dry = _make("-n", "doctor", "STACK=prod").stdout
    assert "kubectl get events -A -o json |" in dry and "--stack prod" in dry
    assert "--stack" not in _make("-n", "doctor", "EVENTS=e.json").stdout  # STACK only from the command line


def test_test_lints_then_runs_typecheck_and_pytest_side_by_side() -> None:
    steps = [line.strip() for line in _make("-n", "test").stdout.splitlines() if line.strip()]
    parallel = "make --no-print-directory -j2 --keep-going --output-sync=target typecheck pytest"
    assert steps[-6:] == [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/lint-imports",
        parallel,
        ".venv/bin/python -m mypy",
        ".venv/bin/python -m pytest -n auto",
    ]
    assert _make("-n", "typecheck").stdout.strip() == ".venv/bin/python -m mypy"
    assert _make("-n", "pytest").stdout.strip() == ".venv/bin/python -m pytest -n auto"


def test_test_fails_when_the_type_check_fails_and_still_reports_the_suite(tmp_path: Path) -> None:
    # Stand-in tools in a stand-in virtualenv: mypy fails, ruff and pytest pass.
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for tool, script in {
        "ruff": 'echo "ruff $*"',
        "lint-imports": 'echo "lint-imports"',
        "python": 'echo "python $*"; [[ "$*" != *mypy* ]]',
    }.items():
        (venv / "bin" / tool).write_text(f"#!/usr/bin/env bash\n{script}\n")
        (venv / "bin" / tool).chmod(0o755)
    (venv / ".installed").touch()
    result = _make("test", f"VENV={venv}")
    assert result.returncode != 0
    assert "python -m mypy" in result.stdout and "python -m pytest -n auto" in result.stdout


def test_venv_announces_itself_and_shows_pips_progress() -> None:
    recipe = _make("-n", "-B", "venv", "VENV=build/make-test-venv").stdout.replace("\\\n", " ")
    lines = [line.strip() for line in recipe.splitlines() if not line.startswith("#")]  # make -n shows @# too
    assert lines[0].startswith('echo "Creating build/make-test-venv: installing the pinned dependencies (~800 MB')
    (install,) = [line for line in lines if " -m pip install " in line]
    assert "-q" not in install.split("2>")[0].split()  # pip's progress is shown
    # ... on stderr, like every line of the install: the first run of a target keeps its stdout clean.
    assert lines[0].endswith(">&2") and lines[1].endswith("-m venv build/make-test-venv >&2")
    assert " -r requirements-dev.txt >&2 2> >(" in " ".join(install.split())
    # Only the extra-index warning is filtered, from stderr alone.
    assert "2> >(grep -v --line-buffered 'is ignored: it is neither a file nor a directory' >&2)" in install
