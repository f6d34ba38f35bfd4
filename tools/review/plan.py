"""``make plan STACK=dev``: evaluate a stack offline and show what ``pulumi up`` would declare.

No cloud, no Pulumi CLI: the program runs under Pulumi's mock runtime (``keyvault_csi.testing.mockgraph``). Prints
the resource tree with each resource's dependencies and writes the rendered Kubernetes manifests,
one ``kubectl apply``-ready file per object, to ``build/plan/<stack>/``, next to ``graph.json``
(resources, parents, dependencies, inputs) and ``graph.mmd`` (the same graph as a Mermaid picture).
Values only Azure knows appear as ``<owner.field>`` placeholders.

``--base <git ref>`` also evaluates the stack as it is at that ref (in a temporary git worktree,
see ``tools.review.base_ref``) and prints the resource changes and a unified diff of the manifests; the
last line is then ``No changes.`` when the two plans are the same.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

import pulumi
import yaml

from keyvault_csi.testing.mockgraph import Graph, RecordedResource, evaluate
from tools.review.base_ref import BaseRefError, BaseRender
from tools.review.plan_compare import compare_stack, head_label
from tools.review.plan_files import render_plan, write_plan
from tools.review.stackfile import ROOT, StackFileError, load_stack_config, stack_label

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", help="dev, prod, examples/user-assigned-msi or a stack file path")
    parser.add_argument("--out", default=str(ROOT / "build" / "plan"))
    parser.add_argument("--base", help="git ref to compare with: print the resource changes and the manifest diff")
    args = parser.parse_args(argv)
    try:
        base = BaseRender(args.base, [args.stack]) if args.base else None  # runs while the head evaluates
    except BaseRefError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        try:
            graph = evaluate_stack(args.stack)
        except StackFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
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
