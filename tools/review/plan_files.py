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

import yaml

from keyvault_csi.testing.mockgraph import PLACEHOLDER, Graph, RecordedResource
from tools.review.plan_graph import graph_document
from tools.review.plan_mermaid import render_mermaid


def manifest_of(resource: RecordedResource) -> dict[str, Any]:
    """The object as the Kubernetes API receives it, from the inputs the engine recorded."""
    fields = ("apiVersion", "kind", "metadata", "spec", "data", "rules", "roleRef", "subjects")  # RBAC: no spec
    return {k: resource.inputs[k] for k in fields if k in resource.inputs}


# Kinds without a namespace: their file is named <kind>-<name>.yaml.
CLUSTER_SCOPED = frozenset({"ClusterRole", "ClusterRoleBinding"})


def kubernetes_manifests(graph: Graph) -> dict[str, dict]:
    """File name → manifest for every Kubernetes object in the graph."""
    manifests = {}
    for resource in graph.resources:
        if not resource.custom or not resource.type.startswith("kubernetes:"):
            continue
        manifest = manifest_of(resource)
        if "kind" not in manifest:  # a Helm release is no object of its own: its inputs are in graph.json
            continue
        metadata = manifest.get("metadata", {})
        scope = "" if manifest["kind"] in CLUSTER_SCOPED else f"{metadata.get('namespace', 'default')}-"
        file_name = f"{manifest['kind'].lower()}-{scope}{metadata['name']}.yaml"
        manifests[file_name] = manifest
    return dict(sorted(manifests.items()))


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line strings (the ``objects`` parameter) as literal blocks, as a person would write them."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _represent_str)


def _represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.Node:
    # The engine carries every number as a double; Kubernetes reads replicas: 2, as a person writes it.
    return dumper.represent_int(int(value)) if value.is_integer() else dumper.represent_float(value)


_ManifestDumper.add_representer(float, _represent_float)


def manifest_yaml(manifest: dict) -> str:
    """The manifest as YAML; one that holds placeholders says so in a comment at its top."""
    text = yaml.dump(manifest, Dumper=_ManifestDumper, sort_keys=True, default_flow_style=False)
    return placeholder_note(text) + text


def placeholder_note(text: str) -> str:
    """``# ...`` lines naming the placeholders in ``text`` (none: ``""``), so nobody applies the file as is."""
    found = sorted(set(PLACEHOLDER.findall(text)))
    if not found:
        return ""
    return (
        f"# Planned offline: {', '.join(found)} "
        + ("is a placeholder for a value" if len(found) == 1 else "are placeholders for values")
        + " only Azure knows;\n# `pulumi up` resolves them: do not kubectl apply this file as is.\n"
    )


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
