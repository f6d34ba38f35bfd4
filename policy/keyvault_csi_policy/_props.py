"""Reading resource properties the way a preview hands them over: some values are not known yet.

The analyzer wraps properties in a proxy that raises ``UnknownValueError`` when an unknown value
is read, and a policy that lets it escape is skipped entirely for that resource (with only an
advisory note). :func:`plain` copies the tree once and puts :data:`UNKNOWN` where a value is not
known, so a policy still checks everything that is known (the keys of a class whose client ID is
not assigned yet, for example) and skips only the unknown parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyConfigSchema, proxy


class _Unknown:
    """A value the engine will know only after deployment."""

    def __repr__(self) -> str:
        return "<unknown until deployment>"


UNKNOWN: Any = _Unknown()
_SENTINELS = {
    proxy.UNKNOWN_BOOLEAN_VALUE,
    proxy.UNKNOWN_NUMBER_VALUE,
    proxy.UNKNOWN_STRING_VALUE,
    proxy.UNKNOWN_ARRAY_VALUE,
    proxy.UNKNOWN_ASSET_VALUE,
    proxy.UNKNOWN_ARCHIVE_VALUE,
    proxy.UNKNOWN_OBJECT_VALUE,
}


def plain(value: Any) -> Any:
    """A plain dict/list copy of ``value`` with every unknown replaced by :data:`UNKNOWN`."""
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            out[key] = _read(value, key)
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [_read(value, index) for index in range(len(value))]
    return value


def _read(container: Any, key: Any) -> Any:
    try:
        return plain(container[key])
    except proxy.UnknownValueError:
        return UNKNOWN


def dig(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...`` or ``None`` where a level is missing; :data:`UNKNOWN` stays."""
    for key in path:
        if value is UNKNOWN:
            return UNKNOWN
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def known_str(value: Any) -> str | None:
    """``value`` if it is a known string, else ``None``."""
    return value if isinstance(value, str) else None


def string_list_config(key: str, default: list[str], description: str) -> PolicyConfigSchema:
    """A policy config schema with one key: a list of strings (the shape every policy of the pack configures)."""
    return PolicyConfigSchema(
        properties={key: {"type": "array", "items": {"type": "string"}, "default": default, "description": description}}
    )
