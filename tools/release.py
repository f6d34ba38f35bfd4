"""The checks .github/workflows/release.yml and package.yml make, as tested Python instead of shell.

Standard library only: the steps run with the runner's ``python3`` before any virtualenv exists.

* ``python3 -m tools.release check-tag v1.0.0``: the tag is ``v`` + pyproject.toml's version, the one
  version of the tree;
* ``python3 -m tools.release notes v1.0.0 --output notes.md``: writes that version's CHANGELOG.md
  section (Keep a Changelog: ``## [1.0.0] - 2026-12-08``), refusing a missing, undated or empty one;
* ``python3 -m tools.release check-schema schema.json``: the schema ``pulumi package get-schema``
  printed carries pyproject.toml's version and a namespace (the generated SDKs' names).

A failed check prints one ``::error::`` annotation and exits 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = ROOT / "CHANGELOG.md"


class ReleaseError(Exception):
    """A check failed; the message says what to fix."""


def project_version(root: Path = ROOT) -> str:
    version: str = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    return version


def check_tag(tag: str, version: str) -> None:
    if tag != f"v{version}":
        raise ReleaseError(
            f"tag {tag!r} is not v + pyproject.toml's version {version!r}: "
            f"tag v{version}, or set the version in pyproject.toml and PulumiPolicy.yaml first"
        )


def release_notes(changelog: str, version: str) -> str:
    """The body of ``## [version] - YYYY-MM-DD`` up to the next ``## `` heading or the link references."""
    heading = re.compile(rf"^## \[{re.escape(version)}\](?P<date>.*)$", re.MULTILINE)
    found = heading.search(changelog)
    if found is None:
        raise ReleaseError(f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' section")
    if not re.fullmatch(r" - \d{4}-\d{2}-\d{2}", found["date"]):
        raise ReleaseError(f"CHANGELOG.md: give the release date, '## [{version}] - YYYY-MM-DD'")
    rest = changelog[found.end() :]
    end = re.search(r"^(## |\[[^\]]+\]: )", rest, re.MULTILINE)
    body = (rest[: end.start()] if end else rest).strip()
    if not body:
        raise ReleaseError(f"CHANGELOG.md: the section of {version} is empty")
    return body + "\n"


def check_schema(schema: dict[str, object], version: str) -> None:
    if schema.get("version") != version:
        raise ReleaseError(f"the plugin serves version {schema.get('version')!r}, pyproject.toml says {version!r}")
    if not schema.get("namespace"):
        raise ReleaseError("the plugin's schema has no namespace: the SDKs would be named @pulumi/...")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tools.release", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check-tag").add_argument("tag")
    notes = commands.add_parser("notes")
    notes.add_argument("tag")
    notes.add_argument("--output", type=Path, required=True)
    commands.add_parser("check-schema").add_argument("schema", type=Path)
    args = parser.parse_args(argv)
    version = project_version()
    try:
        if args.command == "check-tag":
            check_tag(args.tag, version)
            print(f"tag {args.tag} is pyproject.toml's version")
        elif args.command == "notes":
            check_tag(args.tag, version)
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(release_notes(CHANGELOG.read_text(), version))
            print(f"release notes of {version}: {args.output}")
        else:
            schema = json.loads(args.schema.read_text())
            check_schema(schema, version)
            print(f"schema: version {version}, namespace {schema['namespace']}")
    except ReleaseError as error:
        print(f"::error title=release::{error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
