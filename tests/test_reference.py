"""The vendored reference copies stay identical to the team's shared originals."""

from __future__ import annotations

import pytest

from tests.support import REFERENCE, ROOT

SHARED = ROOT.parent / "shared" / "reference"


@pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared next to this checkout (e.g. a GitHub runner)")
def test_vendored_copies_match_shared_reference() -> None:
    for folder in ("crd", "seeds"):
        shared = sorted(p.name for p in (SHARED / folder).iterdir())
        assert sorted(p.name for p in (REFERENCE / folder).iterdir()) == shared
        for name in shared:
            assert (REFERENCE / folder / name).read_bytes() == (SHARED / folder / name).read_bytes(), name
