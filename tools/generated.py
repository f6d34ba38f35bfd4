"""The command line of a generated file: write it from the code, or ``--check`` that it is current."""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable
from pathlib import Path


def generated_file_main(
    argv: list[str] | None,
    *,
    target: Path,
    render: Callable[[], str],
    command: str,
    description: str | None,
    source: str,
) -> int:
    """Write ``target`` when ``render()`` differs from it; with ``--check`` exit 1 instead (``source``: from what)."""
    parser = argparse.ArgumentParser(prog=command, description=description)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if the file differs from {source}")
    args = parser.parse_args(argv)
    text = render()
    current = target.read_text() if target.exists() else ""
    if args.check:
        if current != text:
            print(f"{target} is out of date with {source}; run: {command}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        target.write_text(text)
        print(f"wrote {target}")
    return 0


def first_paragraph(text: str | None) -> str:
    """A docstring's first paragraph as one line."""
    return inspect.cleandoc(text or "").split("\n\n")[0].replace("\n", " ")
