"""What ``make plan`` writes for one stack: the manifests, ``graph.json`` and ``graph.mmd``.

A :class:`RenderedPlan` is the text of every file, computed once from an evaluated graph, so the
same object is written to ``build/plan/<stack>/``, compared with a golden copy, or diffed against
the plan of another git ref — always through the same rendering.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

from tools.mockgraph import Graph
from tools.plan import kubernetes_manifests, manifest_yaml
from tools.plan_graph import graph_document
from tools.plan_mermaid import render_mermaid

GRAPH_JSON = "graph.json"
GRAPH_MERMAID = "graph.mmd"


@dataclasses.dataclass(frozen=True)
class RenderedPlan:
    """One stack's plan as file name → text, plus the graph document the graph files come from."""

    stack: str
    manifests: dict[str, str]
    graph: dict[str, Any]

    def graph_json(self) -> str:
        return json.dumps(self.graph, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def mermaid(self) -> str:
        return render_mermaid(self.graph)

    def files(self) -> dict[str, str]:
        """Every file of the plan folder, sorted by name."""
        files = dict(self.manifests)
        files[GRAPH_JSON] = self.graph_json()
        files[GRAPH_MERMAID] = self.mermaid()
        return dict(sorted(files.items()))


def render_plan(graph: Graph, stack: str) -> RenderedPlan:
    """Render an evaluated stack; ``stack`` is its label (``dev``, ``user-assigned-msi``)."""
    manifests = {name: manifest_yaml(manifest) for name, manifest in kubernetes_manifests(graph).items()}
    return RenderedPlan(stack=stack, manifests=manifests, graph=graph_document(graph, stack))


def write_plan(plan: RenderedPlan, folder: Path) -> list[Path]:
    """Replace ``folder`` with the plan's files (a stale manifest must not survive a re-plan)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    written = []
    for name, text in plan.files().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
