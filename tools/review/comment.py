"""``make review BASE=<ref>``: the offline plan diff of every stack as one PR comment body.

For each ``stacks/Pulumi.<stack>.yaml`` the working tree is planned against the base ref (one
worktree and one child process for all stacks, see :mod:`tools.review.base_ref`), and the results become
one Markdown document: a summary table, then per stack the resource changes, the manifest diff and
the Mermaid graph with created / updated / deleted resources coloured. The first line is a hidden
marker by which the PR workflow finds and updates its previous comment (one sticky comment).

Nothing here needs cloud credentials, so it runs for pull requests from forks too. GitHub refuses
comment bodies over 65,536 characters: when the full body is longer, the manifest diffs and then
the graphs are left out of the comment (the job summary and the artifact keep the full text).

Writes ``<out>/comment.md`` (what fits in a comment), ``<out>/full.md`` (everything) and
``<out>/<stack>.diff`` (the text ``make plan BASE=…`` prints). Exits 1 if a stack fails to
evaluate in the working tree (the comment still says which and why).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pulumi

from tools.review.base_ref import BaseRefError, BaseRender
from tools.review.ci import stack_names
from tools.review.plan import evaluate_stack
from tools.review.plan_compare import StackComparison, compare_stack, head_label
from tools.review.plan_diff import format_output_changes, format_resource_changes, resource_names
from tools.review.plan_files import render_plan
from tools.review.plan_mermaid import render_mermaid
from tools.review.stackfile import ROOT, stack_label

MARKER = "<!-- keyvault-csi:offline-plan -->"
COMMENT_LIMIT = 65_536
DETAIL_LEVELS = ("full", "no-manifests", "summary")
ACTION_STYLE = {"create": "added", "update": "changed"}


def fenced(text: str, language: str) -> str:
    """A code block whose fence is longer than any backtick run inside (a manifest may hold one)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


def details(summary: str, body: str, *, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>\n\n{body}\n\n</details>"


def highlighted_graph(comparison: StackComparison) -> str:
    """The head graph with this PR's created / updated resources coloured and deleted ones ghosted in."""
    diff = comparison.diff
    changes = {c.urn: ACTION_STYLE[c.action] for c in diff.resources if c.action in ACTION_STYLE}
    deleted = {c.urn for c in diff.resources if c.action == "delete"}
    # Deleted custom resources are ghosted in; a deleted component box would only repeat them.
    base = comparison.base.graph["resources"] if comparison.base else []
    removed = [r for r in base if r["urn"] in deleted and r["kind"] != "component"]
    return render_mermaid(comparison.head.graph, changes=changes, removed=removed)


def stack_section(comparison: StackComparison, detail: str) -> str:
    """One stack's part of the comment at the given level of detail."""
    diff = comparison.diff
    title = "no changes" if diff.empty else diff.summary().removesuffix(".")
    parts = [f"### `{diff.stack}`: {title}"]
    parts += [f"> **Note:** {note}" for note in diff.notes]
    if diff.resources or diff.outputs:
        changes = format_resource_changes(diff, resource_names(comparison.base, comparison.head))
        outputs = ["Outputs:", *format_output_changes(diff)] if diff.outputs else []
        parts.append(details("Resource changes", fenced("\n".join(changes + outputs), "diff"), open_=True))
    if diff.manifest_diff:
        files = len(diff.manifests_changed)
        body = (
            fenced(diff.manifest_diff, "diff") if detail == "full" else "_Too long for a comment: see the job summary._"
        )
        parts.append(details(f"Manifest diff ({files} file{'s' if files != 1 else ''})", body, open_=True))
    if detail != "summary":
        legend = " (green: created, yellow: updated, red dashed: deleted)" if not diff.empty else ""
        parts.append(details(f"Graph{legend}", fenced(highlighted_graph(comparison), "mermaid"), open_=not diff.empty))
    return "\n\n".join(parts)


def comment_body(comparisons: Sequence[StackComparison], failures: dict[str, str], detail: str = "full") -> str:
    """The whole comment: marker, what was compared, a summary table and one section per stack."""
    first = comparisons[0] if comparisons else None
    compared = f"`{first.base_label}` → `{first.head_label}`" if first else "the base ref"
    lines = [
        MARKER,
        "## Offline plan diff",
        "",
        f"{compared}, every stack evaluated under Pulumi's mock runtime (`make review`): no cloud "
        "credentials, values only Azure knows shown as `<owner.field>`. Whether an update replaces a "
        "resource, and drift, show in the `pulumi preview` checks.",
        "",
        "| Stack | Create | Update | Delete | Manifests changed |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in comparisons:
        d = c.diff
        lines.append(
            f"| `{d.stack}` | {d.count('create')} | {d.count('update')} | {d.count('delete')} "
            f"| {len(d.manifests_changed)} |"
        )
    lines += [f"| `{stack}` | evaluation failed | | | |" for stack in sorted(failures)]
    sections = [stack_section(c, detail) for c in comparisons]
    sections += [
        f"### `{stack}`: evaluation failed\n\n{fenced(error, 'text')}" for stack, error in sorted(failures.items())
    ]
    return "\n".join(lines) + "\n\n" + "\n\n".join(sections) + "\n"


def fitting_comment(comparisons: Sequence[StackComparison], failures: dict[str, str]) -> str:
    """The most detailed body GitHub accepts as a comment."""
    for detail in DETAIL_LEVELS:
        body = comment_body(comparisons, failures, detail)
        if len(body) <= COMMENT_LIMIT:
            return body
    return body[: COMMENT_LIMIT - 200] + "\n\n_Truncated: see the job summary._\n"


def review(ref: str, stacks: Sequence[str]) -> tuple[list[StackComparison], dict[str, str]]:
    """Plan every stack here and at ``ref``; the comparisons, and the stacks that failed here."""
    comparisons, failures = [], {}
    with BaseRender(ref, stacks) as base:  # evaluates the base while the loop below evaluates the head
        head_name = head_label()
        for stack in stacks:
            try:
                head = render_plan(evaluate_stack(stack), stack_label(stack))
            except pulumi.RunError as error:
                failures[stack] = str(error)
                continue
            comparisons.append(compare_stack(base, stack, head, head_name))
    return comparisons, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main or a commit")
    parser.add_argument("--stacks", nargs="*", help="stack names (default: every stacks/Pulumi.<stack>.yaml)")
    parser.add_argument("--out", default=str(ROOT / "build" / "review"))
    args = parser.parse_args(argv)
    try:
        comparisons, failures = review(args.base, args.stacks or stack_names())
    except BaseRefError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for comparison in comparisons:
        (out / f"{comparison.diff.stack}.diff").write_text(comparison.text(), encoding="utf-8")
    (out / "full.md").write_text(comment_body(comparisons, failures), encoding="utf-8")
    (out / "comment.md").write_text(fitting_comment(comparisons, failures), encoding="utf-8")
    for comparison in comparisons:
        print(f"{comparison.diff.stack}: {comparison.diff.summary()}")
    for stack, error in sorted(failures.items()):
        print(f"{stack}: evaluation failed: {error}", file=sys.stderr)
    print(f"Wrote {out / 'comment.md'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
