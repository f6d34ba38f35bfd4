"""tools.release: the tag, release-notes and schema checks of the release and package workflows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support import ROOT
from tools import release

VERSION = release.project_version()
DATED = """# Changelog

## [Unreleased]

- not released yet

## [2.1.0] - 2027-03-04

### Added

- a thing

## [2.0.0] - 2027-01-02

- older

[Unreleased]: ../../compare/v2.1.0...HEAD
[2.1.0]: ../../compare/v2.0.0...v2.1.0
"""


def test_the_tag_must_be_v_and_pyprojects_version() -> None:
    release.check_tag(f"v{VERSION}", VERSION)
    for tag in (VERSION, f"v{VERSION}.1", "v0.0.0", f"V{VERSION}"):
        with pytest.raises(release.ReleaseError, match=re.escape(f"tag {tag!r} is not v + pyproject.toml's version")):
            release.check_tag(tag, VERSION)


def test_notes_are_the_versions_section_up_to_the_next_heading_or_the_links() -> None:
    assert release.release_notes(DATED, "2.1.0") == "### Added\n\n- a thing\n"
    assert release.release_notes(DATED, "2.0.0") == "- older\n"


@pytest.mark.parametrize(
    ("changelog", "message"),
    [
        (DATED.replace("## [2.1.0] - 2027-03-04", "## [2.1.0]"), "give the release date"),
        (DATED.replace("2027-03-04", "YYYY-MM-DD"), "give the release date"),
        (DATED.replace("## [2.1.0] - 2027-03-04", "## [2.1.1] - 2027-03-04"), "no '## [2.1.0] - YYYY-MM-DD' section"),
        (DATED.replace("### Added\n\n- a thing\n", ""), "the section of 2.1.0 is empty"),
    ],
)
def test_notes_refuse_a_missing_undated_or_empty_section(changelog: str, message: str) -> None:
    with pytest.raises(release.ReleaseError, match=re.escape(message)):
        release.release_notes(changelog, "2.1.0")


def test_the_changelog_follows_keep_a_changelog_with_a_section_for_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert headings[:2] == ["Unreleased", VERSION]
    assert headings == ["Unreleased", *sorted(headings[1:], key=lambda v: tuple(map(int, v.split("."))), reverse=True)]
    links = dict(re.findall(r"^\[([^\]]+)\]: (\S+)$", text, re.MULTILINE))
    assert set(links) == set(headings)  # one link reference per heading
    assert links["Unreleased"] == f"../../compare/v{VERSION}...HEAD"
    for dated in headings[2:]:  # released versions carry their date; the current one gets it when tagged
        assert release.release_notes(text, dated)


def test_schema_must_carry_pyprojects_version_and_a_namespace() -> None:
    release.check_schema({"name": "keyvault-csi", "namespace": "keyvault-csi", "version": VERSION}, VERSION)
    with pytest.raises(release.ReleaseError, match="serves version '0.0.0'"):
        release.check_schema({"namespace": "keyvault-csi", "version": "0.0.0"}, VERSION)
    with pytest.raises(release.ReleaseError, match="no namespace"):
        release.check_schema({"version": VERSION}, VERSION)


def test_commands_write_their_outputs_and_fail_with_one_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert release.main(["check-tag", f"v{VERSION}"]) == 0
    assert release.main(["check-tag", "v0.0.0"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("::error title=release::tag 'v0.0.0'")
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(DATED.replace("2.1.0", VERSION))
    monkeypatch.setattr(release, "CHANGELOG", changelog)
    assert release.main(["notes", f"v{VERSION}", "--output", str(tmp_path / "out" / "notes.md")]) == 0
    assert (tmp_path / "out" / "notes.md").read_text() == "### Added\n\n- a thing\n"
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"name": "keyvault-csi", "namespace": "keyvault-csi", "version": VERSION}))
    assert release.main(["check-schema", str(schema)]) == 0
    schema.write_text(json.dumps({"name": "keyvault-csi", "version": VERSION}))
    assert release.main(["check-schema", str(schema)]) == 1
