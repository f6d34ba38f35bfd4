"""File paths under the mount, per node OS: what the provider and the driver's writer accept (docs/azure-rules.md
§objects-clean-paths, §objects-windows-paths).

The provider hands the driver one relative path per file; the driver's writer refuses a path that Go's
``filepath.Clean`` would change, a ``..`` segment, a segment over 255 bytes and a path over 4096 bytes.
``filepath.Clean`` is the node's: on Linux ``/`` is the one separator; on Windows both ``/`` and ``\\``
separate and ``Clean`` writes ``\\``, so a nested path must be written ``conf\\secret1`` there, and the
provider joins an object's version files as ``<file>\\<index>``. Windows also refuses some characters
and device names in a file name, and drops a trailing ``.`` or space.

Pure rules, no Pulumi: the settings (per workload OS), the objects model (what no node can write) and the
secret-sync rules use them.
"""

from __future__ import annotations

import re

from keyvault_csi.rules.choices import NodeOS

# The driver's atomic writer (driver pkg/util/fileutil/atomic_writer.go validatePath): per path segment
# and per path, in bytes (Go's len).
MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 4096
SEPARATORS = {NodeOS.LINUX: "/", NodeOS.WINDOWS: "\\"}
# Characters Windows refuses in a file name (besides the separators and control characters).
WINDOWS_RESERVED_CHARACTERS = '<>:"|?*'
# Device names Windows reserves, in any letter case, also before an extension ("NUL.txt") on the
# Windows Server releases AKS runs (Go's internal/filepathlite isReservedName).
_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{digit}" for port in ("COM", "LPT") for digit in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]]
)
_DRIVE = re.compile(r"^[A-Za-z]:")
_WINDOWS_SPLIT = re.compile(r"[\\/]")


def separator(os: NodeOS) -> str:
    """The separator the provider joins paths with on ``os`` nodes (``filepath.Join``)."""
    return SEPARATORS[os]


def join(os: NodeOS, *parts: str) -> str:
    """``parts`` joined as the provider joins them on ``os`` nodes (clean parts: no separator to drop)."""
    return separator(os).join(parts)


def go_clean(path: str, os: NodeOS = NodeOS.LINUX) -> str:
    """Go's ``filepath.Clean`` on ``os`` nodes, which the driver's writer compares each path with.

    Linux: unlike ``posixpath.normpath`` it keeps no leading ``//`` (``//a`` cleans to ``/a``).
    Windows: ``/`` and ``\\`` both separate and the result uses ``\\``; a drive (``C:``) or UNC prefix
    (``\\\\host\\share``) is kept as the volume. Device paths (``\\\\?\\...``) are not modelled: every
    absolute path is refused before a path is cleaned.
    """
    if os == NodeOS.LINUX:
        rooted = path.startswith("/")
        return ("/" if rooted else "") + "/".join(_resolve(path.split("/"), rooted)) or "."
    volume = _windows_volume(path)
    rest = path[len(volume) :]
    if not rest:
        unc = len(volume) > 1 and path[0] in "\\/" and path[1] in "\\/"
        return volume.replace("/", "\\") if unc else path + "."
    rooted = rest[0] in "\\/"
    out = ("\\" if rooted else "") + "\\".join(_resolve(_WINDOWS_SPLIT.split(rest), rooted)) or "."
    # Go's postClean: a relative result that was rewritten must not start like a volume or a device path.
    if not volume and not rest.startswith(out):
        if ":" in _WINDOWS_SPLIT.split(out, maxsplit=1)[0]:
            out = ".\\" + out
        elif out.startswith("\\??"):
            out = "\\." + out
    return volume.replace("/", "\\") + out


def _resolve(segments: list[str], rooted: bool) -> list[str]:
    """Segments without empty and ``.`` ones, ``..`` applied (kept at the front of a relative path)."""
    parts: list[str] = []
    for segment in segments:
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(segment)
    return parts


def _windows_volume(path: str) -> str:
    """The drive (``C:``) or UNC (``\\\\host\\share``) prefix Go's Windows ``filepath`` treats as the volume."""
    if len(path) >= 2 and path[1] == ":":
        return path[:2]
    if len(path) >= 2 and path[0] in "\\/" and path[1] in "\\/":
        # \\host\share: up to the separator after the share.
        count = 0
        for i in range(2, len(path)):
            if path[i] in "\\/":
                count += 1
                if count == 2:
                    return path[:i]
        return path
    return ""


def quoted(path: str) -> str:
    """``path`` in single quotes as the user writes it: a Windows path's ``\\`` is not doubled, as ``repr`` would."""
    return f"'{path}'"


def windows_device_name(segment: str) -> bool:
    """True if Windows reserves ``segment`` as a device name (``CON``, ``nul.txt``, ``COM1``, ``aux .pem``)."""
    base = re.split(r"[.:]", segment, maxsplit=1)[0].rstrip(" ")
    return base.upper() in _DEVICE_NAMES


def _common_problem(alias: str) -> str | None:
    """What the provider and every node's driver refuse."""
    if not alias:
        return "must not be empty"
    if alias != alias.strip():
        return "must not start or end with whitespace (the provider trims it, so the file would get another name)"
    if any(ord(c) < 32 or ord(c) == 127 for c in alias):
        return "must not contain control characters"
    if alias[0] in "/\\" or _DRIVE.match(alias):
        return "must be a relative path (no leading '/' or '\\', no drive such as 'C:')"
    # The provider refuses any '..', even inside a segment such as 'a..b'.
    if ".." in alias:
        return "must not contain '..'"
    return None


def _length_problem(alias: str, os: NodeOS) -> str | None:
    too_long = [s for s in alias.split(separator(os)) if len(s.encode()) > MAX_SEGMENT_BYTES]
    if too_long:
        return (
            f"has a path segment of {len(too_long[0].encode())} bytes; allowed: at most {MAX_SEGMENT_BYTES} bytes "
            "per segment"
        )
    if len(alias.encode()) > MAX_PATH_BYTES:
        return f"is {len(alias.encode())} bytes long; allowed: at most {MAX_PATH_BYTES} bytes"
    return None


def _linux_problem(alias: str) -> str | None:
    # The driver refuses a path that filepath.Clean would change (docs/azure-rules.md §objects-clean-paths).
    clean = go_clean(alias)
    if clean != alias or alias == ".":
        hint = "" if alias == "." else f" (it would be {quoted(clean)})"
        return (
            f"must be a clean path: no empty segment ('a//b'), no '.' segment ('./a', 'a/./b'), no trailing '/'{hint}"
        )
    return _length_problem(alias, NodeOS.LINUX)


def _windows_problem(alias: str) -> str | None:
    # docs/azure-rules.md §objects-windows-paths
    clean = go_clean(alias, NodeOS.WINDOWS)
    if "/" in alias:
        suggestion = f"; write it {quoted(clean)}" if _windows_problem(clean) is None else ""
        return (
            "uses '/', which the driver on Windows nodes refuses (filepath.Clean turns it into '\\', so the path is "
            f"not clean there){suggestion}"
        )
    reserved = sorted({c for c in alias if c in WINDOWS_RESERVED_CHARACTERS})
    if reserved:
        return (
            f"contains {' '.join(reserved)}, which Windows refuses in a file name; allowed on Windows nodes: no "
            f"{' '.join(WINDOWS_RESERVED_CHARACTERS)}"
        )
    if clean != alias or alias == ".":
        hint = "" if alias == "." else f" (it would be {quoted(clean)})"
        return (
            "must be a clean path on Windows nodes: no empty segment ('a\\\\b'), no '.' segment ('.\\a'), "
            f"no trailing '\\'{hint}"
        )
    segments = alias.split("\\")
    devices = [s for s in segments if windows_device_name(s)]
    if devices:
        return (
            f"names a Windows device ({quoted(devices[0])}); Windows reserves CON, PRN, AUX, NUL, COM1-9 and "
            "LPT1-9 in any letter case, also with an extension"
        )
    trailing = [s for s in segments if s.endswith((".", " "))]
    if trailing:
        return f"has a segment ending in '.' or ' ' ({quoted(trailing[0])}), which Windows drops from a file name"
    return _length_problem(alias, NodeOS.WINDOWS)


def alias_problem(alias: str, os: NodeOS | None = None) -> str | None:
    """Why the provider or the driver on ``os`` nodes would refuse ``alias`` as a file path, else None.

    ``os`` None: refused on every node OS (the message is Linux's), what a class refuses before its Pods'
    OS is known; the settings then check each workload's aliases with its OS.
    """
    common = _common_problem(alias)
    if common or os == NodeOS.WINDOWS:
        return common or _windows_problem(alias)
    linux = _linux_problem(alias)
    if os is None and linux and _windows_problem(alias) is None:
        return None
    return linux


def case_variants(paths: list[str]) -> list[tuple[str, str]]:
    """Pairs of ``paths`` that differ only in letter case (one file on Windows nodes, whose NTFS ignores case)."""
    seen: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for path in paths:
        first = seen.setdefault(path.casefold(), path)
        if first != path:
            pairs.append((first, path))
    return pairs
