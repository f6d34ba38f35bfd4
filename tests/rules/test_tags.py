"""Azure tag limits (rules.tags)."""

from __future__ import annotations

from keyvault_csi.rules.tags import tag_problems

# --- Azure tag limits ---


def test_tag_limits() -> None:
    assert tag_problems({"env": "dev", "Cost Center": "x" * 256, "n" * 512: ""}) == []
    assert tag_problems({f"t{i}": "" for i in range(51)}) == ["51 tags; allowed: at most 50 per resource"]
    assert "has 513 characters" in tag_problems({"n" * 513: ""})[0]
    assert "value of 257 characters" in tag_problems({"a": "v" * 257})[0]
    assert "contains / ?" in tag_problems({"a/b?": ""})[0]
    for character in "<>%&\\?/":
        assert tag_problems({f"x{character}": ""}), character
    assert "differ only in case" in tag_problems({"Env": "a", "env": "b"})[0]
    assert "1 to 512" in tag_problems({"": "v"})[0]
