"""Benchmarks, each a module run from the repository root (``python -m benchmarks.<name>``).

The two evaluation benchmarks share how one measurement is taken: :func:`timed` in a process that
:func:`in_fresh_process` starts, so imports and caches of one run never flatter the next.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the parent process of a benchmark imports no Pulumi
    from keyvault_csi.testing.mockgraph import Graph

ROOT = Path(__file__).resolve().parents[1]


def timed(run: Callable[[int], Graph], workloads: int) -> dict[str, Any]:
    """Seconds of one evaluation of ``workloads`` workloads (imports warmed by a 1-workload run first)."""
    run(1)
    started, cpu_started = time.perf_counter(), time.process_time()
    graph = run(workloads)
    return {
        "workloads": workloads,
        "resources": len(graph.resources),
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,  # what other processes on the machine cannot inflate
    }


def run_from_root(command: list[str], env: Mapping[str, str] | None = None) -> str:
    """``command``'s output, run from the repository root; a failing run raises with its stderr."""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def in_fresh_process(module: str, *args: str) -> dict[str, Any]:
    """``python -m <module> --one <args>`` from the repository root: the JSON its last line prints."""
    out = run_from_root([sys.executable, "-m", module, "--one", *args])
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result
