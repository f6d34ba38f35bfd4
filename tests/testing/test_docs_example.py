"""docs/embedding.md shows the user-program test and the embedded example exactly as they run."""

from __future__ import annotations

import re

from tests.support import ROOT

DOC = (ROOT / "docs" / "embedding.md").read_text()


def test_the_documented_unit_test_is_the_one_that_runs() -> None:
    block = re.search(
        r"<!-- begin tests/testing/test_user_program.py -->\n```python\n(.*?)```\n<!-- end", DOC, re.DOTALL
    )
    assert block is not None
    assert block.group(1) == (ROOT / "tests" / "testing" / "test_user_program.py").read_text()


def test_the_documented_program_is_the_example() -> None:
    assert (ROOT / "examples" / "embedded" / "__main__.py").read_text() in DOC
    assert "(docs/embedding.md)" in (ROOT / "README.md").read_text()
