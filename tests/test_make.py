"""The Makefile's targets run what they say (``make -n`` prints the recipe without running it)."""

from __future__ import annotations

import json
import subprocess

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


def test_test_runs_lint_then_typecheck_then_pytest() -> None:
    steps = [line.strip() for line in _make("-n", "test").stdout.splitlines() if line.strip()]
    assert steps[-4:] == [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/python -m mypy",
        ".venv/bin/python -m pytest -n auto",
    ]
    assert _make("-n", "typecheck").stdout.strip() == ".venv/bin/python -m mypy"
