"""Stand-ins for stack values that only the Pulumi CLI can read (``make plan`` runs without it).

The CLI decrypts a ``secure:`` value with the stack's secrets provider before the program runs;
the offline reader (``tools/review/stackfile.py``) cannot, so it hands the program a visible
stand-in instead, and the settings errors recognise it to say why the value is refused.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

_SECURE = re.compile(r"^<secret (?P<key>[^<>]+)>$")


def secure_placeholder(key: str) -> str:
    """``<secret keyvault-csi:tenantId>``: what ``make plan`` passes for an encrypted value."""
    return f"<secret {key}>"


def is_secure_placeholder(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and _SECURE.match(value) is not None


def secure_value_problem(path: str, value: str, allowed: str) -> str:
    """The settings error for a stand-in the key does not accept."""
    return (
        f"{path}: is a `secure:` value, which make plan cannot decrypt offline (the Pulumi CLI does, with the "
        f"stack's secrets provider), and its stand-in {value!r} is not accepted here ({allowed}); "
        "`pulumi preview` (make preview) reads the real value; to plan offline, set this key in plain text "
        "(if it is not a secret) or plan a copy of the stack file that holds a plain value"
    )
