"""retainOnDelete follows protect unless it is given (docs/guardrails.md)."""

import pytest

from keyvault_csi.azure.keeping import protect, retain_on_delete


@pytest.mark.parametrize(
    ("args", "protected", "retained"),
    [
        ({}, False, False),
        ({"protect": True}, True, True),
        ({"protect": True, "retainOnDelete": False}, True, False),
        ({"retainOnDelete": True}, False, True),
    ],
)
def test_retain_on_delete_defaults_to_protect(args: dict[str, bool], protected: bool, retained: bool) -> None:
    assert (protect(args), retain_on_delete(args)) == (protected, retained)
