"""What happens to the Azure objects we create when they leave the program: ``protect`` and ``retainOnDelete``.

``protect`` makes Pulumi refuse to delete; ``retainOnDelete`` lets Pulumi forget the object but
leaves it in Azure. ``retainOnDelete`` defaults to ``protect``: deleting the identity or a grant
breaks every mount of the running Pods, so a protected one is also kept in Azure, unless the
embedding program chooses otherwise (docs/guardrails.md, "protect / retain_on_delete").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def protect(args: Mapping[str, Any]) -> bool:
    """``protect`` (default ``False``)."""
    return _flag(args, "protect", False)


def retain_on_delete(args: Mapping[str, Any]) -> bool:
    """``retainOnDelete``, by default what ``protect`` says."""
    return _flag(args, "retainOnDelete", protect(args))


def check_keeping(args: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` for a ``protect`` or ``retainOnDelete`` that is not a plain boolean: called before anything registers."""
    protect(args)
    retain_on_delete(args)


def _flag(args: Mapping[str, Any], key: str, default: bool) -> bool:
    # Plain booleans only: they decide resource options, which no Output can, and "false" is truthy.
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key} {value!r} is not allowed; use true or false")
    return value
