"""Raw settings (stack config or component arguments) in, validated :class:`Settings` out, or one RunError.

Steps: bring the keys to the configuration's spelling (a caller may write Python's), take Outputs
where a key names a cloud object (checked when they resolve) and refuse them elsewhere, validate
every single key, then run the rules that span keys. Every problem is reported at once, named by
its key path in the caller's own spelling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import pulumi
from pydantic import ValidationError

from keyvault_csi.model import checks
from keyvault_csi.model.errors import Paths, Problem, describe, field_at, render_problems
from keyvault_csi.model.outputs import defer_outputs
from keyvault_csi.model.settings import Settings
from keyvault_csi.model.spelling import normalize, whole_numbers

S = TypeVar("S", bound=Settings)


def validate_settings(raw: Mapping[str, Any] | Settings, *, prefix: str = "", python: bool | None = None) -> Settings:
    """Validate ``raw`` into :class:`Settings` or raise one RunError listing every problem.

    ``prefix`` is prepended to key paths: ``"keyvault-csi:"`` for stack config, ``""`` for component
    arguments. Keys may be written in Python's spelling (``tenant_id``) or the configuration's
    (``tenantId``), not both for one key; messages use the caller's (``python``: force one).
    """
    return validate(raw, Settings, prefix=prefix, python=python)


def validate(
    raw: Mapping[str, Any] | Settings,
    model: type[S],
    *,
    prefix: str = "",
    python: bool | None = None,
    also: Sequence[str] = (),
) -> S:
    """:func:`validate_settings` into ``model`` (:class:`Settings` or a subclass such as the stack's).

    ``also``: problems the caller found elsewhere (rendered lines), reported first in the same error.
    """
    if isinstance(raw, model):
        return raw
    if isinstance(raw, Settings):
        raise TypeError(f"expected {model.__name__} or a mapping, got {type(raw).__name__}")
    normal, python_keys, twice = normalize(whole_numbers(raw), model)
    paths = Paths(model, prefix, python_keys if python is None else python)

    def describe_all(errors: list[Any]) -> list[str]:
        return [describe(e, paths) for e in errors]

    normal, refused = defer_outputs(normal, lambda loc: field_at(loc, model), paths, describe_all)
    found = [*also, *(paths.render(Problem(loc, message)) for loc, message in [*twice, *refused])]
    refused_locs = {loc for loc, _ in refused}
    try:
        settings = model.model_validate(normal)
    except ValidationError as error:
        found += [describe(e, paths) for e in error.errors(include_url=False) if tuple(e["loc"]) not in refused_locs]
    else:
        found += [paths.render(p) for p in checks.problems(settings)]
        if not found:
            return settings
    raise pulumi.RunError(render_problems(found))
