"""``make plan STACK=dev``: evaluate a stack offline and show what ``pulumi up`` would declare.

No cloud, no Pulumi CLI: the program runs under Pulumi's mock runtime (``tools.mockgraph``). Prints
the resource tree with each resource's dependencies and writes the rendered Kubernetes manifests,
one ``kubectl apply``-ready file per object, to ``build/plan/<stack>/``, next to ``graph.json``
(resources, parents, dependencies, inputs) and ``graph.mmd`` (the same graph as a Mermaid picture).
Values only Azure knows appear as ``<owner.field>`` placeholders.

``--base <git ref>`` also evaluates the stack as it is at that ref (in a temporary git worktree,
see ``tools.base_ref``) and prints the resource changes and a unified diff of the manifests; the
last line is then ``No changes.`` when the two plans are the same.
"""

from __future__ import annotations

import argparse
import runpy
import shutil
import sys
from pathlib import Path

import pulumi
import yaml

from tools.mockgraph import Graph, RecordedResource, evaluate
from tools.stackfile import ROOT, load_stack_config, stack_label

PROJECT = "keyvault-csi"


def evaluate_stack(stack: str, *, vault_rbac: dict[str, bool] | None = None) -> Graph:
    """The graph ``__main__.py`` declares for one stack file."""
    config, secret_keys = load_stack_config(stack)
    return evaluate(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config,
        secret_keys=secret_keys,
        project=PROJECT,
        stack=stack_label(stack),
        vault_rbac=vault_rbac,
    )


def kubernetes_manifests(graph: Graph) -> dict[str, dict]:
    """File name → manifest for every Kubernetes object in the graph."""
    manifests = {}
    for resource in graph.resources:
        if not resource.custom or not resource.type.startswith("kubernetes:"):
            continue
        manifest = {k: resource.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec", "data") if k in resource.inputs}
        metadata = manifest.get("metadata", {})
        file_name = f"{manifest['kind'].lower()}-{metadata.get('namespace', 'default')}-{metadata['name']}.yaml"
        manifests[file_name] = manifest
    return dict(sorted(manifests.items()))


def render_tree(graph: Graph) -> str:
    """Indented resource tree; each line lists what that resource waits for."""
    names = {r.urn: f"{r.type.rsplit(':', 1)[-1]}:{r.name}" for r in graph.resources}
    children: dict[str, list[RecordedResource]] = {}
    for resource in graph.resources:
        children.setdefault(resource.parent, []).append(resource)
    roots = [r for r in graph.resources if r.parent not in names]
    lines: list[str] = []

    def walk(resource: RecordedResource, depth: int) -> None:
        waits = sorted(
            {names[u] for u in resource.dependencies if u in names}
            | {names[u] for deps in resource.property_dependencies.values() for u in deps if u in names}
        )
        suffix = f"  ← {', '.join(waits)}" if waits else ""
        flags = " [protect]" if resource.protect else ""
        lines.append(f"{'  ' * depth}{resource.type} {resource.name}{flags}{suffix}")
        for child in sorted(children.get(resource.urn, []), key=lambda r: (r.type, r.name)):
            walk(child, depth + 1)

    for root in sorted(roots, key=lambda r: (r.type, r.name)):
        walk(root, 0)
    return "\n".join(lines)


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line strings (the ``objects`` parameter) as literal blocks, as a person would write them."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _represent_str)


def manifest_yaml(manifest: dict) -> str:
    return yaml.dump(manifest, Dumper=_ManifestDumper, sort_keys=True, default_flow_style=False)


def write_manifests(graph: Graph, folder: Path) -> list[Path]:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    written = []
    for file_name, manifest in kubernetes_manifests(graph).items():
        path = folder / file_name
        path.write_text(manifest_yaml(manifest))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", help="dev, prod, examples/user-assigned-msi or a stack file path")
    parser.add_argument("--out", default=str(ROOT / "build" / "plan"))
    parser.add_argument("--base", help="git ref to compare with: print the resource changes and the manifest diff")
    args = parser.parse_args(argv)
    # Imported here, not at the top: these modules import this one.
    from tools.base_ref import BaseRefError, BaseRender
    from tools.plan_compare import compare_stack, head_label
    from tools.plan_files import render_plan, write_plan

    try:
        base = BaseRender(args.base, [args.stack]) if args.base else None  # runs while the head evaluates
    except BaseRefError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        try:
            graph = evaluate_stack(args.stack)
        except pulumi.RunError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        label = stack_label(args.stack)
        print(f"Stack {label}: {len(graph.resources)} resources\n")
        print(render_tree(graph))
        plan = render_plan(graph, label)
        write_plan(plan, Path(args.out) / label)
        print(f"\nOutputs: {yaml.safe_dump(graph.stack_outputs, sort_keys=True, default_flow_style=True).strip()}")
        print(f"Wrote {len(plan.manifests)} manifests, graph.json and graph.mmd to {Path(args.out) / label}/")
        if base is not None:
            print()
            print(compare_stack(base, args.stack, plan, head_label()).text(), end="")
    except BaseRefError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if base is not None:
            base.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
