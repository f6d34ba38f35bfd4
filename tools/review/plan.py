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
import json
import os
import runpy
import shutil
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml

from keyvault_csi.kubernetes.driver import ASSUMED
from keyvault_csi.kubernetes.driver import TYPE as DRIVER_TYPE
from keyvault_csi.program.stack import validate_stack_settings
from keyvault_csi.program.stack_file import STACK_FILE_ENV
from keyvault_csi.rules.arm_ids import aks_managed_scale_set
from keyvault_csi.testing.mockgraph import DYNAMIC_NODE_IDENTITY, GET_VAULT, Graph, RecordedResource, evaluate
from tools.review.base_ref import BaseRefError, BaseRender
from tools.review.plan_compare import compare_stack, head_label
from tools.review.plan_files import render_plan, write_plan
from tools.review.stackfile import PROJECT, ROOT, StackFileError, load_stack_config, stack_file, stack_label


def evaluate_stack(stack: str, *, vault_rbac: dict[str, bool] | None = None, assume_rbac: bool = False) -> Graph:
    """The graph ``__main__.py`` declares for one stack file.

    ``assume_rbac``: the stack's vault answers ``enableRbacAuthorization: true`` to the ``getVault``
    look-up of ``permissionModel: auto`` (offline it answers ``false``: access policies).
    """
    config, secret_keys = load_stack_config(stack)
    if assume_rbac:
        vault_rbac = {**(vault_rbac or {}), **dict.fromkeys(_vault_names(config), True)}
    # Settings problems name this file's lines (keyvault_csi.program.stack_file).
    previous = os.environ.get(STACK_FILE_ENV)
    os.environ[STACK_FILE_ENV] = str(stack_file(stack))
    try:
        return evaluate(
            lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
            config,
            secret_keys=secret_keys,
            project=PROJECT,
            stack=stack_label(stack),
            vault_rbac=vault_rbac,
        )
    finally:
        if previous is None:
            del os.environ[STACK_FILE_ENV]
        else:
            os.environ[STACK_FILE_ENV] = previous


def _vault_names(config: dict[str, str], *, auto_only: bool = False) -> list[str]:
    """The stack's vault names, as the program's model reads them (``auto_only``: those whose
    permissionModel is auto, the default)."""
    raw: dict[str, Any] = {}
    for key, text in config.items():
        if key.startswith(f"{PROJECT}:"):
            try:
                raw[key.split(":", 1)[1]] = json.loads(text)
            except json.JSONDecodeError:
                raw[key.split(":", 1)[1]] = text
    try:
        vaults = validate_stack_settings(raw, PROJECT).vaults().values()
    except pulumi.RunError:
        return []
    return [str(v.name) for v in vaults if isinstance(v.name, str) and (not auto_only or v.permission_model == "auto")]


def permission_model_notes(graph: Graph, assume_rbac: bool, config: dict[str, str]) -> list[str]:
    """What ``make plan`` assumed for each vault whose permission model is read from Azure (``auto``).

    Every vault named by plain strings is read (the network check, docs/network.md): ``config`` says
    which of them are read for their model.
    """
    read = {str(i.args.get("vaultName")) for i in graph.invokes if i.token == GET_VAULT}
    vaults = sorted(read & set(_vault_names(config, auto_only=True)))
    if assume_rbac:
        return [f"Note: permissionModel auto: assumed vault {v} uses Azure RBAC (--assume-rbac)." for v in vaults]
    return [
        f"Note: permissionModel auto: offline, assumed vault {v} uses access policies (Azure will answer at "
        "`pulumi preview`); plan it as an RBAC vault with make plan ASSUME_RBAC=1 (--assume-rbac)."
        for v in vaults
    ]


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


def driver_note(graph: Graph) -> str:
    """Where the stack's Secrets Store CSI driver comes from (docs/driver.md), one line."""
    drivers = [r for r in graph.resources if r.type == DRIVER_TYPE]
    if not drivers:
        return f"Driver: {ASSUMED}"
    releases = [r for r in graph.resources if r.parent == drivers[0].urn and r.type == "kubernetes:helm.sh/v3:Release"]
    if releases:
        inputs = releases[0].inputs
        return (
            f"Driver: Helm release {inputs['name']} (chart {inputs['chart']} {inputs['version']}) "
            f"in {inputs['namespace']}"
        )
    return "Driver: the AKS azure-keyvault-secrets-provider add-on (verified on the managed cluster at preview)"


AKS_SUPPORT = (
    "AKS support: this plan writes an identity onto AKS-managed scale sets ({nodes}). AKS support policy discourages "
    "IaaS changes to agent nodes, and an upgrade or node-image update may drop an identity added by hand; prefer "
    "identity type workload, kubelet or aksAddon, which write nothing on the nodes (docs/node-identity.md)."
)


def aks_node_note(graph: Graph) -> str | None:
    """The AKS support caveat when the plan writes to an AKS-managed scale set: an agent pool found by name,
    or a scale set in an ``MC_*`` node resource group; None otherwise."""
    nodes = []
    for node in graph.by_type(DYNAMIC_NODE_IDENTITY):
        pool, node_id = node.inputs.get("agentPool"), str(node.inputs.get("nodeId") or "")
        if pool:
            nodes.append(f"pool {pool}")
        elif (scale_set := aks_managed_scale_set(node_id)) is not None:
            nodes.append(scale_set[1])
    return AKS_SUPPORT.format(nodes=", ".join(sorted(nodes))) if nodes else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", help="dev, prod, examples/user-assigned-msi or a stack file path")
    parser.add_argument("--out", default=str(ROOT / "build" / "plan"))
    parser.add_argument("--base", help="git ref to compare with: print the resource changes and the manifest diff")
    parser.add_argument(
        "--assume-rbac",
        action="store_true",
        default=os.environ.get("ASSUME_RBAC", "").strip().lower() in ("1", "true", "yes"),  # make passes it through
        help="permissionModel auto: plan the vault as RBAC (default: access policies, what getVault answers offline)",
    )
    args = parser.parse_args(argv)
    try:
        base = BaseRender(args.base, [args.stack]) if args.base else None  # runs while the head evaluates
    except BaseRefError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        try:
            graph = evaluate_stack(args.stack, assume_rbac=args.assume_rbac)
        except (StackFileError, pulumi.RunError) as error:
            # Nothing stale may pass for this stack's plan.
            shutil.rmtree(Path(args.out) / stack_label(args.stack), ignore_errors=True)
            print(f"error: {error}", file=sys.stderr)
            return 2 if isinstance(error, StackFileError) else 1
        label = stack_label(args.stack)
        print(f"Stack {label}: {len(graph.resources)} resources\n")
        print(render_tree(graph))
        print(f"\n{driver_note(graph)}")
        caveat = aks_node_note(graph)
        if caveat:
            print(f"\n{caveat}")
        for note in permission_model_notes(graph, args.assume_rbac, load_stack_config(args.stack)[0]):
            print(f"\n{note}")
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
