"""docs/azure-rules.md: every cited rule exists, every rule names its source, old citations are gone.

Also checks that the module paths the user documentation mentions exist, so a move of a module
cannot leave README.md or docs/*.md pointing at nothing.
"""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT

RULES_DOC = ROOT / "docs" / "azure-rules.md"

SECTION = re.compile(r"^## §([a-z0-9-]+)\b", re.MULTILINE)
ALIASES = re.compile(r"^Also cited as: (.*)$", re.MULTILINE)
# "docs/azure-rules.md §a", "azure-rules.md §a, §b and §c", "§a to §b": every § right after the path.
CITATION = re.compile(r"azure-rules\.md((?:(?:\s*,\s*|\s+and\s+|\s+to\s+|\s+)§[A-Za-z0-9-]+)+)")
ANCHOR = re.compile(r"§([A-Za-z0-9-]+)")
# Spelled in two parts so that this file does not match itself.
OLD_CITATION = re.compile("FACTS" + r"(?:\s+§|\s+section\s+\d)")
SOURCE_LINK = re.compile(r"^Source: .*https://", re.MULTILINE)
DOC_PATH = re.compile(r"(?<![\w./-])((?:components|tools|policy|provider|benchmarks|tests)/[\w./-]*\w\.py)\b")


def repository_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    files = []
    for name in listed:
        path = ROOT / name
        if path.suffix in {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".ts", ""} and path.is_file():
            files.append(path)
    return files


def sections(text: str) -> dict[str, str]:
    """Anchor → the body of its ``## §anchor`` section (up to the next heading of level 1 or 2)."""
    found: dict[str, str] = {}
    matches = list(SECTION.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = re.split(r"^# ", text[match.end() : end], maxsplit=1, flags=re.MULTILINE)[0]
        assert match.group(1) not in found, f"§{match.group(1)} defined twice"
        found[match.group(1)] = body
    return found


def anchors(text: str) -> set[str]:
    """Every name a rule answers to: its ``## §anchor`` and its "Also cited as" names."""
    names = set(sections(text))
    for line in ALIASES.findall(text):
        names.update(ANCHOR.findall(line))
    return names


def citations(text: str) -> list[str]:
    return [anchor for group in CITATION.findall(text) for anchor in ANCHOR.findall(group)]


def test_citation_parser_reads_lists_and_ranges() -> None:
    text = "see docs/azure-rules.md §vmss-identity-merge, §identity-type and §lro; docs/azure-rules.md §a to §b."
    assert citations(text) == ["vmss-identity-merge", "identity-type", "lro", "a", "b"]
    assert citations("azure-rules.md without an anchor, then §stray") == []
    assert citations("(docs/azure-rules.md §objectAlias)") == ["objectAlias"]


def test_aliases_name_their_section() -> None:
    text = "## §objects-clean-paths — x\n\nAlso cited as: §objectAlias.\n\nSource: https://example.org\n"
    assert anchors(text) == {"objects-clean-paths", "objectAlias"}


def test_every_section_has_a_source_link() -> None:
    found = sections(RULES_DOC.read_text())
    assert len(found) >= 40, "the rules document lost its sections"
    missing = [anchor for anchor, body in found.items() if not SOURCE_LINK.search(body)]
    assert not missing, f"sections without a 'Source: https://…' line: {missing}"


def test_every_cited_anchor_exists() -> None:
    defined = anchors(RULES_DOC.read_text())
    broken = []
    for path in repository_text_files():
        if path.resolve() == Path(__file__).resolve():
            continue  # the parser's own examples
        text = path.read_text(errors="replace")
        for anchor in citations(text):
            if anchor not in defined:
                broken.append(f"{path.relative_to(ROOT)}: §{anchor}")
    assert not broken, "citations of anchors docs/azure-rules.md does not define:\n" + "\n".join(broken)


def test_cross_references_inside_the_doc_exist() -> None:
    text = RULES_DOC.read_text()
    defined = anchors(text)
    referenced = set(ANCHOR.findall(SECTION.sub("", text)))
    assert referenced <= defined, f"undefined cross references: {sorted(referenced - defined)}"


def test_no_old_citation_style_remains() -> None:
    here = Path(__file__).resolve()
    stale = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in repository_text_files()
        if path.resolve() != here
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OLD_CITATION.search(line)
    ]
    assert not stale, "cite docs/azure-rules.md §<anchor> instead:\n" + "\n".join(stale)


def test_the_code_cites_the_doc() -> None:
    cited = {anchor for path in repository_text_files() for anchor in citations(path.read_text(errors="replace"))}
    assert {"workload-identity", "kv-least-privilege", "identity-type"} <= cited


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_module_paths_in_user_docs_exist(doc: str) -> None:
    path = ROOT / doc if doc == "README.md" else ROOT / "docs" / doc
    missing = sorted({m for m in DOC_PATH.findall(path.read_text()) if not (ROOT / m).is_file()})
    assert not missing, f"{doc} names files that do not exist: {missing}"


DOTTED = re.compile(r"\b((?:keyvault_csi|tools\.review)(?:\.[A-Za-z_]\w*)+)")


def resolves(dotted: str) -> bool:
    """``dotted`` names a module, or an attribute of the longest module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_dotted_names_in_user_docs_resolve() -> None:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = sorted({f"{d.name}: {n}" for d in docs for n in DOTTED.findall(d.read_text()) if not resolves(n)})
    assert not broken, f"names that no longer import: {broken}"
    assert resolves("keyvault_csi.rules.objects.parse_objects") and not resolves("keyvault_csi.config")
