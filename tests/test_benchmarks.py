"""The evaluation benchmark compares like with like: the hand-written program declares our resources."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.handwritten import run_handwritten, run_ours
from keyvault_csi.testing.mockgraph import Graph


def custom_resources(graph: Graph) -> Counter[tuple[str, str]]:
    """(type, inputs) of every custom resource: what reaches the cloud, whatever the names."""
    return Counter((r.type, json.dumps(r.inputs, sort_keys=True)) for r in graph.resources if r.custom)


def test_handwritten_program_declares_the_same_cloud_resources() -> None:
    ours, hand = run_ours(3), run_handwritten(3)
    assert custom_resources(hand) == custom_resources(ours)
    assert (
        sum(custom_resources(ours).values()) == 2 + 1 + 3 + 1 + 2 * 3
    )  # providers, identity, nodes, grant, per workload


def test_ours_costs_three_registrations_a_workload() -> None:
    """The Workload component, its SecretProviderClass and its Pod; the hand-written program: 2."""
    ours = len(run_ours(5).resources) - len(run_ours(4).resources)
    hand = len(run_handwritten(5).resources) - len(run_handwritten(4).resources)
    assert (ours, hand) == (3, 2)


def test_benchmarks_run_as_modules_without_path_hacks() -> None:
    """``make bench`` runs each benchmark with ``-m`` from the root; none edits the import path."""
    root = Path(__file__).resolve().parents[1]
    for script in sorted((root / "benchmarks").glob("*.py")):
        text = script.read_text()
        assert "sys.path" not in text and "PYTHONPATH" not in text, script.name
    makefile = (root / "Makefile").read_text()
    bench = makefile[makefile.index("\nbench:") : makefile.index("\nclean:")]
    modules = {s.stem for s in (root / "benchmarks").glob("*.py") if s.stem != "__init__"}
    assert {f"$(PY) -m benchmarks.{module}" for module in modules} <= {line.strip() for line in bench.splitlines()}


def test_pairs_alternate_which_kind_runs_first() -> None:
    from benchmarks.handwritten import pair_orders

    assert pair_orders(3) == [("ours", "handwritten"), ("handwritten", "ours"), ("ours", "handwritten")]


def test_summarise_takes_the_median_pair_ratio_and_each_kinds_least_run() -> None:
    """A slow minute of the machine slows both runs of a pair; the least seconds are reported apart."""
    from benchmarks.handwritten import summarise

    def run(cpu: float) -> dict[str, float]:
        return {"cpu_seconds": cpu, "workloads": 300, "resources": 1}

    pairs = [
        {"ours": run(2.6), "handwritten": run(2.0)},  # 1.3
        {"ours": run(4.0), "handwritten": run(2.5)},  # 1.6: a pair in a slow minute
        {"ours": run(2.4), "handwritten": run(2.0)},  # 1.2
    ]
    row = summarise(pairs)
    assert row["cpu_ratio"] == 1.3 and row["pair_ratios"] == [1.2, 1.3, 1.6]
    assert (row["ours"]["cpu_seconds"], row["handwritten"]["cpu_seconds"]) == (2.4, 2.0)


def test_instruction_counts_are_read_from_cachegrinds_summary_line() -> None:
    from benchmarks.handwritten import cachegrind_total

    report = "desc: --tool=cachegrind\ncmd: python\nevents: Ir\nfl=x.c\n1 5\nsummary: 6172250272\n"
    assert cachegrind_total(report) == 6172250272
    with pytest.raises(ValueError, match="no summary line"):
        cachegrind_total("events: Ir\n")
