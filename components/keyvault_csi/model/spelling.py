"""Two spellings of one key: Python's (``resource_group``) and the configuration's (``resourceGroup``).

Python callers write snake_case, as every Pulumi SDK does; stack config, YAML and the multi-language
schema write camelCase. :func:`normalize` brings a mapping to the configuration's spelling by
walking the model (keys of free-form maps such as ``tags`` or ``nodeSelector`` are left as they
are), and :func:`display` turns a location back into the spelling the caller used, for messages.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from keyvault_csi.rules.model import is_model, type_in, unwrapped


def config_key(name: str, field: FieldInfo) -> str:
    """The key a field is written with in stack config (its alias)."""
    return field.alias or name


def field_by_key(model: type[BaseModel], key: object) -> tuple[str, FieldInfo] | None:
    """``(python name, field)`` of the field ``key`` names in either spelling, else None."""
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return name, field
    return None


def nested_model(field: FieldInfo) -> type[BaseModel] | None:
    """The model a field holds (directly, in a list or as the values of a dict), else None."""
    found = type_in(field.annotation, is_model)
    return found if isinstance(found, type) else None


def _holds_mapping(field: FieldInfo) -> bool:
    """True when the field's model sits in the values of a dict (``{<key>: <model>}``)."""
    return typing.get_origin(unwrapped(field.annotation)) is dict


def normalize(
    raw: Mapping[str, Any], model: type[BaseModel]
) -> tuple[dict[str, Any], bool, list[tuple[tuple[Any, ...], str]]]:
    """``raw`` in the configuration's spelling, whether any key was written in Python's, and a
    problem (location, message) for each key given in both spellings."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    python = False

    def walk(value: Any, current: type[BaseModel], loc: tuple[Any, ...]) -> Any:
        nonlocal python
        if not isinstance(value, Mapping):
            return value
        result: dict[str, Any] = {}
        for key, item in value.items():
            found = field_by_key(current, key)
            if found is None:
                result[key] = item  # an unknown key: the model reports it
                continue
            name, field = found
            alias = config_key(name, field)
            if key != alias:
                python = True
                if alias in value:
                    problems.append(((*loc, alias), f"given twice, as {alias!r} and as {key!r}; keep one"))
                    continue
            result[alias] = _walk_field(item, field, (*loc, alias))
        return result

    def _walk_field(item: Any, field: FieldInfo, loc: tuple[Any, ...]) -> Any:
        inner = nested_model(field)
        if inner is None:
            return item
        if isinstance(item, list):
            return [walk(v, inner, (*loc, i)) for i, v in enumerate(item)]
        if isinstance(item, Mapping) and _holds_mapping(field):
            return {k: walk(v, inner, (*loc, k)) for k, v in item.items()}
        return walk(item, inner, loc)

    return walk(raw, model, ()), python, problems


def fields_along(loc: tuple[Any, ...], model: type[BaseModel]) -> list[tuple[str, FieldInfo] | None]:
    """For each part of ``loc``: the ``(python name, field)`` it names, or None (a list index, a key of a
    map, or a part past the model)."""
    found: list[tuple[str, FieldInfo] | None] = []
    current: type[BaseModel] | None = model
    mapping_values = False
    for part in loc:
        if isinstance(part, int) or current is None or mapping_values:
            mapping_values = False  # a key of {<key>: <model>}: the model comes next
            found.append(None)
            continue
        named = field_by_key(current, part)
        found.append(named)
        current = nested_model(named[1]) if named else None
        mapping_values = named is not None and current is not None and _holds_mapping(named[1])
    return found


def model_at(loc: tuple[Any, ...], model: type[BaseModel]) -> type[BaseModel] | None:
    """The model a location points into (list indexes and keys of model maps skipped), else None."""
    current: type[BaseModel] | None = model
    mapping_values = False
    for part in loc:
        if isinstance(part, int) or mapping_values:
            mapping_values = False
            continue
        named = field_by_key(current, part) if current is not None else None
        if named is None:
            return None
        current = nested_model(named[1])
        mapping_values = current is not None and _holds_mapping(named[1])
    return current


def display(loc: tuple[Any, ...], model: type[BaseModel], python: bool) -> tuple[Any, ...]:
    """``loc`` (configuration spelling) in Python's spelling when ``python``; keys of maps unchanged."""
    if not python:
        return loc
    return tuple(part if named is None else named[0] for part, named in zip(loc, fields_along(loc, model), strict=True))


def whole_numbers(value: Any) -> Any:
    """``value`` with whole floats as integers, at any depth.

    Numbers cross the multi-language wire as floats, and pulumi 3.272's construct converts an
    integer input with ``int()`` but then stores the float anyway; every number here is an integer.
    """
    if isinstance(value, Mapping):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
