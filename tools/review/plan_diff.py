"""Compare two rendered plans of one stack: resource changes, output changes and a manifest diff.

Resources are matched by URN, as the Pulumi engine matches them (a renamed or re-parented resource
is a delete plus a create unless it has an alias). For a resource present on both sides the diff
lists every changed input as a dotted path (``policy.permissions.secrets``), plus changes of
parent, dependencies, protect and provider. It reports *input* changes: whether the provider
updates in place or replaces is decided by the provider at ``pulumi preview`` time.

The text form is meant for a terminal and for a ```` ```diff ```` block in a PR comment; it ends
with ``No changes.`` when nothing differs.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

from tools.review.plan_files import RenderedPlan
from tools.review.plan_graph import DYNAMIC_PROVIDER_INPUT

NO_CHANGES = "No changes."
ABSENT = object()  # a property that does not exist on one side (distinct from null)
_ACTION_ORDER = {"create": 0, "update": 1, "delete": 2}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DYNAMIC_PROVIDER_NOTE = (
    "the pickled dynamic provider changed: the class was moved, renamed or is pickled by value; "
    "stacks deployed with the old one need it importable"
)


@dataclasses.dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any
    new: Any


@dataclasses.dataclass(frozen=True)
class ResourceChange:
    action: str  # create | delete | update
    urn: str
    type: str
    name: str
    properties: tuple[PropertyChange, ...] = ()


@dataclasses.dataclass(frozen=True)
class PlanDiff:
    stack: str
    resources: tuple[ResourceChange, ...]
    outputs: tuple[PropertyChange, ...]
    manifest_diff: str
    manifests_changed: tuple[str, ...]
    unchanged: int
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.resources or self.outputs or self.manifests_changed)

    def count(self, action: str) -> int:
        return sum(1 for change in self.resources if change.action == action)

    def summary(self) -> str:
        """``2 to create, 1 to update, 0 to delete; 2 manifests changed`` or ``No changes.``."""
        if self.empty:
            return NO_CHANGES
        counts = ", ".join(f"{self.count(a)} to {a}" for a in ("create", "update", "delete"))
        outputs = f"; {len(self.outputs)} outputs changed" if self.outputs else ""
        return f"{counts}; {len(self.manifests_changed)} manifests changed{outputs}."


def compare(base: RenderedPlan | None, head: RenderedPlan, notes: tuple[str, ...] = ()) -> PlanDiff:
    """What changes from ``base`` (``None``: the stack does not exist there) to ``head``."""
    base_resources = {r["urn"]: r for r in base.graph["resources"]} if base else {}
    head_resources = {r["urn"]: r for r in head.graph["resources"]}
    changes = []
    for urn in sorted(base_resources.keys() | head_resources.keys()):
        old, new = base_resources.get(urn), head_resources.get(urn)
        if old is None:
            changes.append(_change("create", new))
        elif new is None:
            changes.append(_change("delete", old))
        elif properties := resource_property_changes(old, new):
            changes.append(_change("update", new, properties))
    changes.sort(key=lambda c: (_ACTION_ORDER[c.action], c.type, c.name, c.urn))
    manifest_diff, changed_files = manifests_diff(base.manifests if base else {}, head.manifests)
    return PlanDiff(
        stack=head.stack,
        resources=tuple(changes),
        outputs=tuple(property_changes(base.graph["outputs"] if base else {}, head.graph["outputs"])),
        manifest_diff=manifest_diff,
        manifests_changed=changed_files,
        unchanged=len(head_resources) - sum(1 for c in changes if c.action != "delete"),
        notes=notes,
    )


def _change(action: str, resource: Mapping[str, Any], properties: list[PropertyChange] | None = None) -> ResourceChange:
    return ResourceChange(action, resource["urn"], resource["type"], resource["name"], tuple(properties or ()))


def resource_property_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[PropertyChange]:
    """Changed inputs (dotted paths), then parent / protect / provider / dependencies."""
    changes = property_changes(old["inputs"], new["inputs"])
    for field in ("parent", "protect", "provider"):
        if old.get(field) != new.get(field):
            changes.append(PropertyChange(f"({field})", old.get(field), new.get(field)))
    if old["dependencies"] != new["dependencies"]:
        changes.append(PropertyChange("(dependencies)", old["dependencies"], new["dependencies"]))
    return changes


def property_changes(old: Any, new: Any) -> list[PropertyChange]:
    """Leaf-by-leaf differences of two JSON values; lists of scalars compare as one value."""
    flat_old, flat_new = flatten(old), flatten(new)
    return [
        PropertyChange(path, flat_old.get(path, ABSENT), flat_new.get(path, ABSENT))
        for path in sorted(flat_old.keys() | flat_new.keys())
        if flat_old.get(path, ABSENT) != flat_new.get(path, ABSENT)
    ]


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """``{"a": {"b.c": [1]}}`` → ``{'a["b.c"]': [1]}``; lists of mappings by index (``containers[0].image``)."""
    if isinstance(value, Mapping) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            child = (f"{path}.{key}" if path else key) if _IDENTIFIER.match(key) else f"{path}[{json.dumps(key)}]"
            flat.update(flatten(item, child))
        return flat
    if isinstance(value, list) and any(isinstance(item, (Mapping, list)) for item in value):
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{path}[{index}]"))
        return flat
    return {path: value} if path else {}


def manifests_diff(base: Mapping[str, str], head: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """A unified diff (``a/<file>`` → ``b/<file>``) of every manifest file that differs, and their names."""
    chunks, changed = [], []
    for name in sorted(base.keys() | head.keys()):
        old, new = base.get(name), head.get(name)
        if old == new:
            continue
        changed.append(name)
        chunks.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"a/{name}" if old is not None else "/dev/null",
                tofile=f"b/{name}" if new is not None else "/dev/null",
            )
        )
    return "".join(chunks), tuple(changed)


def format_value(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def format_resource_changes(diff: PlanDiff, names: Mapping[str, str] | None = None) -> list[str]:
    """One line per resource (``+ create``, ``~ update``, ``- delete``) and one per changed property."""
    names = dict(names or {})
    lines = []
    for change in diff.resources:
        marker = {"create": "+", "update": "~", "delete": "-"}[change.action]
        lines.append(f"{marker} {change.action} {change.type} {change.name}")
        for prop in change.properties:
            lines.extend(_property_lines(prop, change.type, names))
    return lines


def format_output_changes(diff: PlanDiff) -> list[str]:
    """One line per changed stack output, like the property lines of a resource."""
    return [line for prop in diff.outputs for line in _property_lines(prop, "", {})]


def _property_lines(prop: PropertyChange, type_: str, names: Mapping[str, str]) -> list[str]:
    indent = "    "
    if prop.path == "(dependencies)":
        added = sorted(set(prop.new) - set(prop.old))
        removed = sorted(set(prop.old) - set(prop.new))
        return [f"{indent}+ depends on {names.get(u, u)}" for u in added] + [
            f"{indent}- no longer depends on {names.get(u, u)}" for u in removed
        ]
    if prop.path == DYNAMIC_PROVIDER_INPUT:
        return [f"{indent}~ {prop.path}: changed ({_DYNAMIC_PROVIDER_NOTE})"]
    multiline = any(isinstance(v, str) and "\n" in v for v in (prop.old, prop.new))
    if multiline and type_.startswith("kubernetes:"):
        return [f"{indent}~ {prop.path}: multi-line text changed (see the manifest diff)"]
    if multiline:
        old = prop.old if isinstance(prop.old, str) else format_value(prop.old)
        new = prop.new if isinstance(prop.new, str) else format_value(prop.new)
        inner = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)
        return [f"{indent}~ {prop.path}:"] + [f"{indent}    {line}" for line in list(inner)[2:]]
    if prop.old is ABSENT:
        return [f"{indent}+ {prop.path}: {format_value(prop.new)}"]
    if prop.new is ABSENT:
        return [f"{indent}- {prop.path}: {format_value(prop.old)}"]
    return [f"{indent}~ {prop.path}: {format_value(prop.old)} → {format_value(prop.new)}"]


def resource_names(*plans: RenderedPlan | None) -> dict[str, str]:
    """URN → ``type name`` for every resource of the plans, to print dependencies readably."""
    return {r["urn"]: f"{r['type']} {r['name']}" for plan in plans if plan for r in plan.graph["resources"]}


def format_text(diff: PlanDiff, *, base_label: str, head_label: str, names: Mapping[str, str] | None = None) -> str:
    """The whole diff as ``make plan BASE=…`` prints it; the last line is the summary or ``No changes.``."""
    lines = [f"Plan diff for stack {diff.stack}: {base_label} → {head_label}"]
    lines += [f"Note: {note}" for note in diff.notes]
    counts = ", ".join(f"{diff.count(a)} to {a}" for a in ("create", "update", "delete"))
    lines.append(f"Resources: {counts} ({diff.unchanged} unchanged)")
    lines += format_resource_changes(diff, names)
    if diff.outputs:
        lines.append("Outputs:")
        lines += format_output_changes(diff)
    lines.append(f"Manifests: {len(diff.manifests_changed)} changed")
    if diff.manifest_diff:
        lines.append(diff.manifest_diff.rstrip("\n"))
    lines.append(diff.summary())
    return "\n".join(lines) + "\n"
