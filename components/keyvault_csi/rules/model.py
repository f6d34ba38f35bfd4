"""The base of every input model: strict, immutable, snake_case in Python and camelCase on the wire.

Stack config keys, YAML and the multi-language schema are camelCase (``resourceGroup``,
``objectVersionHistory``), as the Azure provider's own object fields are; Python callers write
Python's spelling (``resource_group``), as every Pulumi SDK does. A model accepts both and means
the same by them; it serialises camelCase (what the provider and the schema read).
"""

from __future__ import annotations

import types
import typing
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
        serialize_by_alias=True,
        # The docstring under a field is its description: the package schema is generated from it.
        use_attribute_docstrings=True,
    )


def input_keys(model: type[BaseModel]) -> tuple[str, ...]:
    """The keys ``model`` accepts, as written in config (its aliases), in declaration order."""
    return tuple(field.alias or name for name, field in model.model_fields.items())


def type_in(annotation: Any, accept: Callable[[Any], bool]) -> Any:
    """The first type ``accept`` takes in ``annotation`` or its arguments (``X | None``, ``list[X]``), else None."""
    if accept(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        found = type_in(arg, accept)
        if found is not None:
            return found
    return None


def unwrapped(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` and without ``| None`` (a union of two or more types stays)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


K = TypeVar("K", bound=Hashable)
W = TypeVar("W")


def repeated(pairs: Iterable[tuple[K, W]]) -> list[tuple[K, list[W]]]:
    """Each key given with more than one place (an index, a name), with its places, in first-seen order
    (for "X is used twice")."""
    seen: dict[K, list[W]] = {}
    for key, index in pairs:
        seen.setdefault(key, []).append(index)
    return [(key, indexes) for key, indexes in seen.items() if len(indexes) > 1]


def repeats(values: Iterable[str]) -> list[tuple[str, int]]:
    """Each value given more than once and how many times, sorted (for "X is set 3 times")."""
    return sorted((value, count) for value, count in Counter(values).items() if count > 1)
