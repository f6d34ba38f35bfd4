"""Evaluate the whole program under the mock runtime with 1, 10, 100 and 1000 workloads.

Prints seconds and peak Python memory (tracemalloc) per size; each size runs in a fresh process so
imports and caches of one size do not flatter the next. Target: 100 workloads in under 3 s, cost
growing linearly. Usage, from the repository root: ``.venv/bin/python -m benchmarks.program_scale [sizes...]``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from benchmarks import in_fresh_process, timed

SIZES = (1, 10, 100, 1000)


def settings_for(workloads: int) -> dict[str, Any]:
    from tests.support import base_settings

    settings = base_settings("userAssigned")
    template = settings["workloads"][0]
    # Each workload mounts objects of its own, as in a real platform: no rendering is shared.
    settings["workloads"] = [
        {
            **template,
            "name": f"app-{i:04d}",
            "namespace": f"team-{i % 10}",
            "objects": [{**obj, "objectName": f"{obj['objectName']}-{i:04d}"} for obj in template["objects"]],
            "pod": {"image": "nginx"},
        }
        for i in range(workloads)
    ]
    return settings


def measure(workloads: int) -> dict[str, Any]:
    """Wall seconds of one evaluation (imports excluded) and, from another, peak traced MiB."""
    import tracemalloc

    from tests.support import run_program

    settings = settings_for(workloads)
    row = timed(lambda n: run_program(settings if n == workloads else settings_for(n)), workloads)
    tracemalloc.start()  # a second run: tracing would double the timed one
    run_program(settings)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        **row,
        "seconds": round(row["seconds"], 3),
        "cpu_seconds": round(row["cpu_seconds"], 3),
        "peak_mib": round(peak, 1),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(measure(int(argv[1]))))
        return 0
    sizes = [int(a) for a in argv] or list(SIZES)
    rows = []
    for size in sizes:
        rows.append(in_fresh_process("benchmarks.program_scale", str(size)))
    print(f"{'workloads':>9} {'resources':>9} {'seconds':>8} {'CPU s':>8} {'s/workload':>10} {'peak MiB':>9}")
    for row in rows:
        print(
            f"{row['workloads']:>9} {row['resources']:>9} {row['seconds']:>8.3f} {row['cpu_seconds']:>8.3f} "
            f"{row['seconds'] / row['workloads']:>10.4f} {row['peak_mib']:>9.1f}"
        )
    print(json.dumps(rows[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
