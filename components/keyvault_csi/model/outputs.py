"""Outputs in the settings of an embedded component: which keys take them, and how they are checked.

A key whose field is marked ``InputOf(rule)`` (:mod:`keyvault_csi.rules.inputs`) takes a
``pulumi.Output``: the same rule checks the value when it resolves, and a bad value fails the
preview/up with the settings' own message format. Every other key decides the shape of the graph
(which resources exist, their names, file names, counts) and must be a plain value: an Output
there is refused up front, with the reason. Rules of this file: ``docs/embedding.md``.

The components apply the same rules to a computed value once it is known (:func:`checked`,
:func:`objects_parameter`); unknown values at preview are not checked (``apply`` does not run on them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar

import pulumi
from pydantic import ValidationError

from keyvault_csi.model.errors import Loc, render_problems
from keyvault_csi.rules.inputs import InputOf, input_capable
from keyvault_csi.rules.names import (
    ClusterName,
    Guid,
    IdentityName,
    IdentityResourceId,
    KeyVaultName,
    ResourceGroupName,
    TenantId,
)
from keyvault_csi.rules.objects import KeyVaultObject, render_objects

# Why a key must be plain, by its last segment (the rest: _SHAPE).
_WHY_PLAIN = {
    "type": "it decides which resources are declared",
    "permissionModel": "it decides whether access policies or role assignments are declared",
    "objectType": "it decides the permissions and roles that are granted",
    "objectAlias": "it is the file name, checked for collisions before anything is declared",
    "name": "it names Kubernetes objects or Pulumi resources",
    "namespace": "it names Kubernetes objects and Pulumi resources",
    "secretProviderClass": "it names the SecretProviderClass and its Pulumi resource",
    "serviceAccount": "it names the ServiceAccount and its federated credential",
}
_SHAPE = "it shapes the graph (which resources are declared, their names and counts)"

# Describes the pydantic errors of a value that resolved badly (their loc under the key's), one problem each.
Describe = Callable[[list[Any]], list[str]]


class PendingOutput:
    """Where the caller gave an Output: the key path, and the Output to check once it resolves."""

    def __init__(self, output: pulumi.Output[Any], loc: Loc, path: str, describe: Describe) -> None:
        self.output, self.loc, self.path, self._describe = output, loc, path, describe

    def defer(self, check: Callable[[Any], Any]) -> pulumi.Output[Any]:
        def resolved(value: Any, secret: bool) -> Any:
            try:
                return check(value)
            except ValidationError as error:
                problems = self._describe(
                    [{**e, "loc": (*self.loc, *e["loc"])} for e in error.errors(include_url=False)]
                )
                if secret:  # a secret's value never reaches the preview output, even when it is wrong
                    problems = [f"{p.replace(repr(value), '<secret>')} (value not shown: secret)" for p in problems]
                raise pulumi.RunError(render_problems(problems)) from None

        # Output.all keeps the value's dependencies and its secretness.
        is_secret: Awaitable[bool] = self.output.is_secret()
        secret: pulumi.Output[bool] = pulumi.Output.from_input(is_secret)
        return pulumi.Output.all(self.output, secret).apply(lambda v: resolved(v[0], bool(v[1])))

    def __str__(self) -> str:  # in messages: distinct per key, never equal to a plain value
        return f"<computed {self.path}>"


def defer_outputs(
    raw: Mapping[str, Any], field_at: Callable[[Loc], Any], path_of: Callable[[Loc], str], describe: Describe
) -> tuple[dict[str, Any], list[tuple[Loc, str]]]:
    """``raw`` with each Output of an input-capable key replaced by a :class:`PendingOutput`.

    Returns the new mapping and a problem (location, message) for each Output at a key that must be plain.
    """
    problems: list[tuple[Loc, str]] = []

    def walk(value: Any, loc: Loc) -> Any:
        if isinstance(value, pulumi.Output):
            field = field_at(loc)
            if field is not None and input_capable(field):
                return PendingOutput(value, loc, path_of(loc), describe)
            last = next((str(p) for p in reversed(loc) if not isinstance(p, int)), "")
            problems.append(
                (
                    loc,
                    f"must be a plain value, not an Output: {_WHY_PLAIN.get(last, _SHAPE)}, "
                    "so it must be known before anything is declared",
                )
            )
            return value
        if isinstance(value, Mapping):
            return {k: walk(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*loc, i)) for i, v in enumerate(value)]
        return value

    return walk(dict(raw), ()), problems


# The input-capable string keys: one annotation each (a value, or an Output checked when it resolves).
Input = str | pulumi.Output[str]
GuidInput = Annotated[Input, InputOf(Guid)]
TenantIdInput = Annotated[Input, InputOf(TenantId)]
ResourceGroupInput = Annotated[Input, InputOf(ResourceGroupName)]
KeyVaultNameInput = Annotated[Input, InputOf(KeyVaultName)]
IdentityNameInput = Annotated[Input, InputOf(IdentityName)]
IdentityResourceIdInput = Annotated[Input, InputOf(IdentityResourceId)]
ClusterNameInput = Annotated[Input, InputOf(ClusterName)]


T = TypeVar("T")


def checked(value: Any, check: Callable[[Any], T], key: str) -> Any:
    """``value`` if plain (the caller checked it up front), else the Output with ``check`` applied."""
    if not isinstance(value, pulumi.Output):
        return value

    def run(resolved: Any) -> T:
        try:
            return check(resolved)
        except ValueError as error:
            raise pulumi.RunError(f"{key}: {error}") from None

    return value.apply(run)


def objects_parameter(objects: Sequence[KeyVaultObject], key: str = "objects") -> pulumi.Input[str]:
    """The ``objects`` parameter: rendered now, or once every field given as an Output is known."""
    later = [(i, field, value) for i, obj in enumerate(objects) for field, value in obj.later_fields().items()]
    if not later:
        return render_objects(objects)

    def render(values: list[Any]) -> str:
        resolved = list(objects)
        for (i, field, _), value in zip(later, values, strict=True):
            resolved[i] = resolved[i].model_copy(update={field: value})
        try:
            return render_objects(resolved)
        except ValueError as error:
            raise pulumi.RunError(f"{key}: {error}") from None

    return pulumi.Output.all(*(value for *_, value in later)).apply(render)


def plain(value: Any) -> str | None:
    """``value`` if it is a plain string, else None (an Output: not usable in names or messages)."""
    return value if isinstance(value, str) else None
