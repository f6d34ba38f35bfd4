"""Copy the Azure provider's own example SecretProviderClasses into tests/reference/provider-examples/.

Reads a local clone (``--git-dir``) of Azure/secrets-store-csi-driver-provider-azure at one commit:
every ``examples/**.yaml`` file that declares a SecretProviderClass is copied byte for byte; from
every ``website/content/**.md`` page each fenced ``yaml`` block that declares one is written to
``<page path without .md>-<n>.yaml`` (n counts the page's class blocks from 1), with the fence's own
indentation removed as Markdown does. No network: fetch the clone first. Run from the repository root:

    python -m tools.provider_examples --git-dir <clone>/.git --commit <sha>

It copies ``LICENSE`` too and prints the file table of ``SOURCE.md``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

OUT = Path("tests/reference/provider-examples")
_CLASS = re.compile(rb"^\s*kind:\s*SecretProviderClass\s*$", re.MULTILINE)
_FENCE = re.compile(rb"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)[ \t]*(?P<lang>[A-Za-z]*)")


def _git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", git_dir, *args], check=True, capture_output=True).stdout


def yaml_blocks(page: bytes) -> Iterator[bytes]:
    """The fenced ``yaml``/``yml`` blocks of a Markdown page, without the fence's indentation."""
    lines = page.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        start = _FENCE.match(lines[index])
        index += 1
        if not start:
            continue
        indent, fence = start["indent"], start["fence"]
        body: list[bytes] = []
        while index < len(lines) and not lines[index].lstrip().startswith(fence):
            line = lines[index]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip(b" \t"))
            index += 1
        index += 1  # the closing fence
        if start["lang"].lower() in (b"yaml", b"yml"):
            yield b"".join(body)


def extract(git_dir: str, commit: str) -> list[tuple[str, str]]:
    """Write the example files; return (written file, upstream path) pairs in path order."""
    names = _git(git_dir, "ls-tree", "-r", "--name-only", commit, "examples", "website/content").decode().split("\n")
    written: list[tuple[str, str]] = []
    for name in sorted(n for n in names if n):
        if not name.endswith((".yaml", ".yml", ".md")):
            continue
        content = _git(git_dir, "show", f"{commit}:{name}")
        if name.endswith(".md"):
            blocks = [b for b in yaml_blocks(content) if _CLASS.search(b)]
            outputs = [(f"{name.removesuffix('.md')}-{n}.yaml", b) for n, b in enumerate(blocks, 1)]
        else:
            outputs = [(name, content)] if _CLASS.search(content) else []
        for target, data in outputs:
            path = OUT / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append((target, name))
    (OUT / "LICENSE").write_bytes(_git(git_dir, "show", f"{commit}:LICENSE"))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--git-dir", required=True)
    parser.add_argument("--commit", required=True)
    args = parser.parse_args()
    commit = _git(args.git_dir, "rev-parse", f"{args.commit}^{{commit}}").decode().strip()
    print(f"commit {commit}\n\n| file here | upstream path |\n|---|---|")
    for target, source in extract(args.git_dir, commit):
        print(f"| `{target}` | `{source}` |")


if __name__ == "__main__":
    main()
