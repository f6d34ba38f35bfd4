"""What our components cost over a hand-written program declaring the same cloud resources.

The hand-written program (``benchmarks/programs/handwritten/__main__.py``) uses no component and no
keyvault-csi rule: providers, one ``UserAssignedIdentity``, one ``NodeIdentityAssignment`` dynamic
resource per node, the access policy, and per workload one SecretProviderClass ``CustomResource``
and one ``Pod``, with the same inputs as ours for :func:`benchmarks.program_scale.settings_for`
(``tests/test_benchmarks.py`` checks that both graphs declare the same custom resources with the
same inputs). Both are program files run the same way (``runpy``, as Pulumi's language host runs
``__main__.py``) under the same mock runtime (``keyvault_csi.testing.mockgraph.evaluate``).

Each measurement is one evaluation in a fresh process (as ``pulumi up`` is), imports warmed by a
1-workload run first. The machine this runs on is shared and its speed drifts by tens of percent
within minutes, so every size is measured ``--repeat`` times (default 5) as pairs run back to back
(ours first, then hand-written first, alternately): the ratio reported is the median of the pairs'
ratios, and the seconds are each kind's least (noise only ever adds time).

Prints a Markdown table, the registrations per workload and the ratio ours / hand-written at 300
workloads, then one JSON line. The ratio is a reported figure, not a rule the code is shaped by: the
reference is at most 1.5 by instructions at 300 workloads (docs/performance.md). From the repository root::

    .venv/bin/python -m benchmarks.handwritten [--repeat N] [sizes...]

CPU seconds on a shared machine move by tens of percent; ``--instructions`` counts instead what
each evaluation executes (valgrind's cachegrind, ``PYTHONHASHSEED=0``: the same count to within
0.01 % from run to run; the count includes the interpreter's shut-down, which grows with the size).
It is exact but blind to memory stalls (a full garbage collection walks the whole heap, which costs
more time per instruction than most code), so it complements the CPU ratio rather than replaces it::

    .venv/bin/python -m benchmarks.handwritten --instructions [sizes...]
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import ROOT, in_fresh_process, run_from_root, timed
from keyvault_csi.testing.mockgraph import Graph, evaluate

PROGRAM = ROOT / "benchmarks" / "programs" / "handwritten" / "__main__.py"
SIZES = (1, 10, 100, 300)
TARGET_SIZE, REFERENCE_RATIO = 300, 1.5  # by instructions (docs/performance.md)
KINDS = ("ours", "handwritten")


def run_file(program: Path, config: dict[str, str]) -> Graph:
    """``program`` run as Pulumi's language host runs ``__main__.py`` (``runpy``), under the mock runtime.

    Both kinds go through this one function, so each registration has the same frames above the
    program (Pulumi records the call stack at every registration, docs/performance.md).
    """
    return evaluate(lambda: runpy.run_path(str(program), run_name="__main__"), config)


def run_handwritten(workloads: int) -> Graph:
    return run_file(PROGRAM, {"handwritten:workloads": str(workloads)})


def run_ours(workloads: int) -> Graph:
    """Our ``__main__.py`` with ``benchmarks.program_scale``'s settings, as ``tests.support.run_program`` runs it."""
    from benchmarks.program_scale import settings_for
    from tests.support import as_stack_config

    return run_file(ROOT / "__main__.py", as_stack_config(settings_for(workloads)))


def measure(kind: str, workloads: int) -> dict[str, Any]:
    """One timed evaluation of ``kind`` (ours or handwritten) and its registrations."""
    return {"kind": kind, **timed({"ours": run_ours, "handwritten": run_handwritten}[kind], workloads)}


def pair_orders(repeat: int) -> list[tuple[str, ...]]:
    """Which kind runs first in each pair: ours, then hand-written, alternately (so machine drift favours neither)."""
    return [KINDS if i % 2 == 0 else KINDS[::-1] for i in range(repeat)]


def summarise(pairs: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Each kind's fastest run, and the median of the pairs' CPU ratios (ours / hand-written)."""
    row: dict[str, Any] = {kind: dict(min((p[kind] for p in pairs), key=lambda r: r["cpu_seconds"])) for kind in KINDS}
    ratios = sorted(p["ours"]["cpu_seconds"] / p["handwritten"]["cpu_seconds"] for p in pairs)
    row["cpu_ratio"] = statistics.median(ratios)
    row["pair_ratios"] = [round(r, 2) for r in ratios]
    return row


def per_workload(rows: list[dict[str, Any]], kind: str) -> float:
    """Registrations each added workload costs (the slope between the smallest and largest size)."""
    first, last = rows[0][kind], rows[-1][kind]
    added: int = last["resources"] - first["resources"]
    span: int = last["workloads"] - first["workloads"]
    return added / span


def evaluate_command(kind: str, workloads: int) -> list[str]:
    return [sys.executable, "-m", "benchmarks.handwritten", "--evaluate", kind, str(workloads)]


def counted_instructions(kind: str, workloads: int) -> int:
    """Instructions a run of ``--evaluate kind workloads`` executes under cachegrind (imports and warm-up included)."""
    with tempfile.NamedTemporaryFile() as out:
        grind = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out.name}"]
        run_from_root(grind + evaluate_command(kind, workloads), env={**os.environ, "PYTHONHASHSEED": "0"})
        return cachegrind_total(Path(out.name).read_text())


def cachegrind_total(report: str) -> int:
    """The instruction count (``Ir``) in a cachegrind output file's ``summary:`` line."""
    for line in report.splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise ValueError("no summary line in the cachegrind output")


def instruction_rows(sizes: list[int]) -> int:
    if shutil.which("valgrind") is None:
        print("--instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    if min(sizes) < 1:
        print("--instructions counts sizes of 1 workload or more", file=sys.stderr)
        return 2
    print("| workloads | ours instructions | hand-written instructions | ratio |")
    print("|---:|---:|---:|---:|")
    for kind in KINDS:
        # Compiled first, outside the count: a module edited since the last run would otherwise be
        # compiled inside whichever counted run imports it first.
        run_from_root(evaluate_command(kind, 0))
    warm_up = {kind: counted_instructions(kind, 0) for kind in KINDS}  # imports and the warm-up, once per kind
    summary = {}
    for size in sizes:
        ours, hand = (counted_instructions(kind, size) - warm_up[kind] for kind in KINDS)
        print(f"| {size} | {ours:,} | {hand:,} | {ours / hand:.3f} |")
        summary[size] = round(ours / hand, 3)
    if TARGET_SIZE in summary:
        within = "within" if summary[TARGET_SIZE] <= REFERENCE_RATIO else "above"
        print(
            f"Ratio at {TARGET_SIZE} workloads: {summary[TARGET_SIZE]:.3f} ({within} the reference {REFERENCE_RATIO})."
        )
    print(json.dumps({"instruction_ratio": summary}))
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(measure(argv[1], int(argv[2]))))
        return 0
    if argv[:1] == ["--evaluate"]:  # what --instructions counts: imports and a warm-up, then the size asked
        run = {"ours": run_ours, "handwritten": run_handwritten}[argv[1]]
        run(1)
        if int(argv[2]):
            run(int(argv[2]))
        return 0
    if argv[:1] == ["--instructions"]:
        return instruction_rows(sorted({int(a) for a in argv[1:]} or {TARGET_SIZE}))
    repeat = 5
    if argv[:1] == ["--repeat"]:
        repeat, argv = int(argv[1]), argv[2:]
    sizes = sorted({int(a) for a in argv} or set(SIZES))
    rows = []
    for size in sizes:
        pairs = []
        for order in pair_orders(repeat):
            pairs.append({kind: in_fresh_process("benchmarks.handwritten", kind, str(size)) for kind in order})
        rows.append(summarise(pairs))
    print(
        "| workloads | ours CPU s | hand-written CPU s | CPU ratio (median of pairs) | pairs' ratios "
        "| ours registrations | hand-written registrations |"
    )
    print("|---:|---:|---:|---:|---|---:|---:|")
    for row in rows:
        ours, hand = row["ours"], row["handwritten"]
        print(
            f"| {ours['workloads']} | {ours['cpu_seconds']:.2f} | {hand['cpu_seconds']:.2f} | {row['cpu_ratio']:.2f} "
            f"| {', '.join(f'{r:.2f}' for r in row['pair_ratios'])} | {ours['resources']} | {hand['resources']} |"
        )
    summary: dict[str, Any] = {"repeat": repeat}
    if len(rows) > 1:
        summary["registrations_per_workload"] = {k: per_workload(rows, k) for k in KINDS}
        print(
            f"\nRegistrations per workload: ours {summary['registrations_per_workload']['ours']:g}, "
            f"hand-written {summary['registrations_per_workload']['handwritten']:g}."
        )
    at_target = [row for row in rows if row["ours"]["workloads"] == TARGET_SIZE]
    if at_target:
        row = at_target[0]
        summary.update(cpu_ratio_at_300=round(row["cpu_ratio"], 2), pair_ratios_at_300=row["pair_ratios"])
        print(f"CPU ratio at {TARGET_SIZE} workloads, median of {repeat} pairs: {row['cpu_ratio']:.2f}.")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
