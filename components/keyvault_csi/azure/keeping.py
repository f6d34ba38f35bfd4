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
    return bool(args.get("protect", False))


def retain_on_delete(args: Mapping[str, Any]) -> bool:
    """``retainOnDelete``, by default what ``protect`` says."""
    return bool(args.get("retainOnDelete", protect(args)))
