"""File modes against the Pod's user (docs/azure-rules.md §objects-file-owner).

The driver writes every mounted file as root (uid 0, gid 0) and never changes its owner (its
atomic writer chowns only when given a user, and the driver gives none; driver#858). Kubelet does
not apply ``fsGroup`` to a read-only CSI volume either. So a mode without the *other*-read bit
(``0440``, ``0400``, ``0640``) leaves the file readable only by root, or by group 0, and a
non-root container gets "Permission denied". The files live on the Pod's own tmpfs, so the
other-read bit opens them to nobody outside the Pod.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# The mode the driver asks for when filePermission is empty (driver pkg/secrets-store/nodeserver.go).
DEFAULT_FILE_MODE = 0o644
OTHER_READ = 0o004
# strconv.ParseInt(v, 8, 32): an optional sign, then octal digits (no underscores: base is not 0).
_GO_OCTAL = re.compile(r"^[+-]?[0-7]+$")
_INT32 = range(-(2**31), 2**31)


def file_mode(text: str) -> int | None:
    """``filePermission`` as the provider parses it (trimmed, ``strconv.ParseInt(v, 8, 32)``); None where it fails."""
    text = text.strip()
    if not _GO_OCTAL.match(text):
        return None
    mode = int(text, 8)
    return mode if mode in _INT32 else None


def hides_from_non_root(mode: int) -> bool:
    """True when a root-owned file of ``mode`` cannot be read by a user that is neither root nor in group 0."""
    return not mode & OTHER_READ


def file_mode_warning(hidden: Sequence[str]) -> str | None:
    """The one preview warning for the objects whose mode hides them from the Pod's user (``hidden``: where)."""
    if not hidden:
        return None
    return (
        "filePermission hides mounted files from a non-root container: the driver writes them owned by root "
        "(uid 0, gid 0) and never changes the owner, so a mode without the other-read bit can be read only by root "
        f"or group 0 and the app gets 'Permission denied': {'; '.join(hidden)}. Fix: a mode with the other-read "
        f'bit, such as filePermission "0444" or "{DEFAULT_FILE_MODE:04o}" (the default; the files sit on the '
        "Pod's own tmpfs), or run the Pod as root (pod.securityContext.runAsRoot: true); "
        "docs/azure-rules.md §objects-file-owner"
    )
