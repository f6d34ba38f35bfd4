"""The working tree's plan of a stack against the same stack at a git ref (``make plan BASE=…``).

Glue between :mod:`tools.review.base_ref` (the base graphs), :mod:`tools.review.plan_files` (rendering) and
:mod:`tools.review.plan_diff` (comparison). A stack that does not exist at the base compares against an
empty plan (everything is created); one that exists but fails to evaluate there does too, with a
note saying so, because the head still deserves a review.
"""

from __future__ import annotations

import dataclasses

from tools.review.base_ref import BaseRender, BaseStack, git
from tools.review.plan_diff import PlanDiff, compare, format_text, resource_names
from tools.review.plan_files import RenderedPlan, render_plan
from tools.review.stackfile import ROOT, stack_label


@dataclasses.dataclass(frozen=True)
class StackComparison:
    """One stack, both sides rendered, and what changed between them."""

    base: RenderedPlan | None
    head: RenderedPlan
    diff: PlanDiff
    base_label: str
    head_label: str

    def text(self) -> str:
        names = resource_names(self.base, self.head)
        return format_text(self.diff, base_label=self.base_label, head_label=self.head_label, names=names)


def head_label() -> str:
    """``working tree (HEAD 0123456789ab)``: the side ``make plan`` evaluates in this process."""
    return f"working tree (HEAD {git(ROOT, 'rev-parse', '--short=12', 'HEAD')})"


def base_plan(base: BaseStack, label: str, ref_label: str) -> tuple[RenderedPlan | None, tuple[str, ...]]:
    """The rendered base plan (or ``None``) and the notes that explain a missing one."""
    if base.missing:
        return None, (f"stack {label} does not exist at {ref_label}: every resource is new.",)
    if base.error is not None or base.graph is None:
        return None, (
            f"stack {label} could not be evaluated at {ref_label} ({base.error}); compared with an empty plan.",
        )
    return render_plan(base.graph, label), ()


def compare_stack(render: BaseRender, stack: str, head: RenderedPlan, head_name: str) -> StackComparison:
    """Compare ``head`` (the working tree's plan of ``stack``) with the base render's result."""
    base, notes = base_plan(render.result()[stack], stack_label(stack), render.label)
    return StackComparison(base, head, compare(base, head, notes), render.label, head_name)
