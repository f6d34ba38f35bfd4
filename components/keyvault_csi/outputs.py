"""Component arguments that may be Outputs of the embedding program: checked and rendered once known.

The rules stay in :mod:`keyvault_csi.rules` (one definition each); this module only applies them
to a ``pulumi.Output`` when it resolves, failing the preview/up with a ``RunError`` that names the
argument. Unknown values at preview are not checked (``apply`` does not run on them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pulumi

from keyvault_csi.rules.objects import KeyVaultObject, render_objects

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
