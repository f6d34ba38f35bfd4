"""The user docs' relative links: every linked file exists and every #fragment names one of its headings."""

from __future__ import annotations

import re

from tests.support import ROOT

DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def slugs(text: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces as '-', repeats numbered."""
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", text)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def test_slugs_follow_github() -> None:
    assert slugs("## Azure Stack Hub and custom clouds: `cloudEnvFileName` in the provider pods") == {
        "azure-stack-hub-and-custom-clouds-cloudenvfilename-in-the-provider-pods"
    }
    assert slugs("## §identity-binding — one identity\n## Rotation\n## Rotation\n") == {
        "identity-binding--one-identity",
        "rotation",
        "rotation-1",
    }


def test_relative_links_and_their_fragments_resolve() -> None:
    broken = []
    for doc in DOCS:
        for target in LINK.findall(FENCE.sub("", doc.read_text())):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, fragment = target.partition("#")
            linked = (doc.parent / path).resolve() if path else doc
            if not linked.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such file)")
            elif fragment and linked.suffix == ".md" and fragment not in slugs(linked.read_text()):
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "\n".join(broken)
