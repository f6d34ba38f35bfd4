"""Resource quantities and the other Pod rules of keyvault_csi.rules.pod."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keyvault_csi.rules.pod import DEFAULT_IMAGE, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", Decimal("0.1")),
        ("0.5", Decimal("0.5")),
        ("128Mi", Decimal(128 * 2**20)),
        ("1G", Decimal(10**9)),
        ("1e3", Decimal(1000)),
        (".5Ki", Decimal(512)),
    ],
)
def test_quantities(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "-1", "1 Gi", "1mi", "Mi", "1.2.3"])
def test_bad_quantities(text):
    with pytest.raises(ValueError, match="not a resource quantity"):
        parse_quantity(text)


def test_default_image_runs_without_root():
    assert DEFAULT_IMAGE == "nginxinc/nginx-unprivileged"


def test_quantity_suffix_e_alone_is_exa_and_huge_exponents_are_refused_plainly() -> None:
    """Kubernetes reads "1E" as 10^18 (exa) and "1e3" as 1000; a quantity too large to compute is a ValueError."""
    assert parse_quantity("1E") == Decimal(10) ** 18
    assert parse_quantity("2e3") == Decimal(2000)
    with pytest.raises(ValueError, match="too large a resource quantity"):
        parse_quantity("1e9999999")
