"""filePermission as the provider parses it, and which modes a non-root user cannot read."""

from __future__ import annotations

import pytest

from keyvault_csi.rules.file_modes import file_mode, hides_from_non_root


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("0644", 0o644),
        ("00644", 0o644),
        ("440", 0o440),
        (" 0440 ", 0o440),  # the provider trims every field
        ("+644", 0o644),  # strconv.ParseInt takes a sign
        ("0o644", None),  # base 8, not base 0: no prefix, no underscores
        ("6_44", None),
        ("0648", None),
        ("", None),
        ("77777777777", None),  # beyond 32 bits
    ],
)
def test_file_mode_parses_like_strconv_parse_int_base_8(text: str, mode: int | None) -> None:
    assert file_mode(text) == mode


@pytest.mark.parametrize(
    ("mode", "hidden"), [(0o440, True), (0o400, True), (0o640, True), (0o444, False), (0o004, False)]
)
def test_only_the_other_read_bit_opens_a_root_owned_file_to_a_non_root_user(mode: int, hidden: bool) -> None:
    assert hides_from_non_root(mode) is hidden
