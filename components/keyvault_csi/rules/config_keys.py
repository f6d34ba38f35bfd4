"""Stack config keys the program would never read: a namespace one edit away from ``keyvault-csi``.

The Pulumi CLI hands every ``<namespace>:<key>`` of a stack file to the program, and a program
reads only the namespaces it asks for. ``keyvault-cs:protect: true`` (one letter off) is therefore
ignored without a word: protection stays off. A namespace one insertion, deletion, substitution or
swap of neighbouring letters away from ours (or differing only in letter case; the CLI compares
namespaces exactly) is reported, with the key it most likely meant.
"""

from __future__ import annotations

from collections.abc import Iterable

# The program's config namespace: the project's name in Pulumi.yaml.
NAMESPACE = "keyvault-csi"


def one_edit_apart(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ, but by letter case only or by one edit (the optimal string alignment
    distance, case-insensitive, is at most 1)."""
    if a == b:
        return False
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) < len(b):  # one insertion
        return a[start:] == b[start + 1 :]
    if a[start + 1 :] == b[start + 1 :]:  # one substitution
        return True
    swapped = start + 1 < len(a) and a[start] == b[start + 1] and a[start + 1] == b[start]
    return swapped and a[start + 2 :] == b[start + 2 :]


def namespace_typos(keys: Iterable[str], namespace: str) -> list[tuple[str, str]]:
    """(key, the key it most likely meant) for each config key whose namespace is one edit from ``namespace``."""
    found = []
    for key in sorted(keys):
        given, colon, name = key.partition(":")
        if colon and one_edit_apart(given, namespace):
            found.append((key, f"{namespace}:{name}"))
    return found


def namespace_typo_problem(key: str, meant: str, namespace: str) -> str:
    """The settings problem line for a key in a misspelt namespace."""
    given = key.partition(":")[0]
    return (
        f"{key}: unknown config namespace {given!r}; did you mean {meant!r}? This program reads only "
        f"{namespace}:* keys, so this value is ignored; rename the key in the stack file"
    )
