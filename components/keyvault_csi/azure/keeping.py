"""What happens to the Azure objects we create when they leave the program: ``protect`` and ``retainOnDelete``.

``protect`` makes Pulumi refuse to delete; ``retainOnDelete`` lets Pulumi forget the object but
leaves it in Azure. ``retainOnDelete`` follows ``protect``: deleting the identity or a grant breaks
every mount of the running Pods, so a protected one is also kept in Azure (docs/guardrails.md,
"protect / retain_on_delete").
"""

from __future__ import annotations

from typing import TypedDict


class Keeping(TypedDict):
    """Resource options: ``pulumi.ResourceOptions(..., **keeping(protect))``."""

    protect: bool
    retain_on_delete: bool


def keeping(protect: bool) -> Keeping:
    """The resource options of an identity, grant or credential we create."""
    return {"protect": protect, "retain_on_delete": protect}
