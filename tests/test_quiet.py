"""The suite and ``make plan`` stay quiet: no event loop, task or socket is left for the garbage collector.

Each evaluation runs in a fresh interpreter with every warning an error, so a loop that is
finalized unclosed ("unclosed event loop", "Invalid file descriptor: -1") or a task destroyed
pending prints to stderr and fails the test; ``pytest.ini`` turns warnings into errors for the rest.
"""

from __future__ import annotations

import configparser
import subprocess
import sys

from tests.support import ROOT

# Good stacks, a config error (the program stops with Outputs pending) and a second round, as a test worker does.
_EVALUATIONS = """
import gc, pulumi
from tests.support import base_settings, run_program
from tools.review.plan import evaluate_stack
bad = base_settings()
bad["tenantId"] = "contoso"
for _ in range(2):
    evaluate_stack("dev")
    run_program(base_settings("workload"))
    try:
        run_program(bad)
    except pulumi.RunError:
        pass
    gc.collect()
pulumi.Output.from_input("after").apply(str)  # a test may use Outputs between evaluations
gc.collect()
"""


def test_evaluations_leave_no_loop_task_or_socket_behind() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-W", "ignore::DeprecationWarning", "-c", _EVALUATIONS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin"},  # -c puts the working directory (the repository) on the path
    )
    assert result.returncode == 0, result.stderr
    noise = [line for line in result.stderr.splitlines() if line.strip()]
    assert noise == [], "\n".join(noise)


def test_pytest_turns_every_warning_into_an_error() -> None:
    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    filters = [line.strip() for line in ini["pytest"]["filterwarnings"].splitlines() if line.strip()]
    assert filters[0] == "error"
    assert all(f.startswith("ignore::") for f in filters[1:]), filters
