"""Azure resource tags as Azure Resource Manager accepts them (docs/azure-rules.md §tags).

Limits from "Use tags to organize your Azure resources" (tag-resources#limitations): at most 50
tags per resource, a name of at most 512 characters without ``< > % & \\ ? /``, a value of at
most 256 characters. Names are case-insensitive in ARM, so two names that differ only in case are
one tag. The tags go on the user-assigned identity (Microsoft.ManagedIdentity), which has no
stricter limits (storage accounts, DNS, Front Door and Automation have; none is declared here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import AfterValidator

MAX_TAGS = 50
MAX_NAME = 512
MAX_VALUE = 256
FORBIDDEN_NAME_CHARACTERS = "<>%&\\?/"


def tag_problems(tags: Mapping[str, str]) -> list[str]:
    """Every reason ARM would refuse ``tags``."""
    problems: list[str] = []
    if len(tags) > MAX_TAGS:
        problems.append(f"{len(tags)} tags; allowed: at most {MAX_TAGS} per resource")
    by_lower: dict[str, list[str]] = {}
    for name, value in tags.items():
        by_lower.setdefault(name.lower(), []).append(name)
        if not name or len(name) > MAX_NAME:
            problems.append(f"tag name {name[:40]!r} has {len(name)} characters; allowed: 1 to {MAX_NAME}")
        bad = sorted({c for c in name if c in FORBIDDEN_NAME_CHARACTERS})
        if bad:
            problems.append(
                f"tag name {name!r} contains {' '.join(bad)}; "
                f"not allowed in a tag name: {' '.join(FORBIDDEN_NAME_CHARACTERS)}"
            )
        if len(value) > MAX_VALUE:
            problems.append(f"tag {name!r} has a value of {len(value)} characters; allowed: at most {MAX_VALUE}")
    for names in by_lower.values():
        if len(names) > 1:
            problems.append(
                f"tag names {', '.join(map(repr, sorted(names)))} differ only in case; ARM treats them as one tag"
            )
    return problems


def _valid_tags(tags: dict[str, str]) -> dict[str, str]:
    problems = tag_problems(tags)
    if problems:
        raise ValueError("; ".join(problems))
    return tags


AzureTags = Annotated[dict[str, str], AfterValidator(_valid_tags)]
