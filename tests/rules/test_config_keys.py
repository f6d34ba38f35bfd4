"""Config namespace typos (keyvault_csi.rules.config_keys): one edit away from the project's namespace."""

from __future__ import annotations

import pytest

from keyvault_csi.rules.config_keys import namespace_typos, one_edit_apart


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("keyvault-cs", "keyvault-csi", True),
        ("keyvalut-csi", "keyvault-csi", True),
        ("key-vault-csi", "keyvault-csi", True),
        ("keyvault-csj", "keyvault-csi", True),
        ("Keyvault-CSI", "keyvault-csi", True),
        ("keyvault-csi", "keyvault-csi", False),
        ("kevyault-cs", "keyvault-csi", False),
        ("keyvault", "keyvault-csi", False),
        ("keyvault-csix", "keyvault-csi", True),
    ],
)
def test_one_edit_is_an_insertion_deletion_substitution_or_neighbour_swap(a: str, b: str, expected: bool) -> None:
    assert one_edit_apart(a, b) is expected


def test_typos_keep_the_key_name() -> None:
    keys = ["keyvault-csi:tags", "keyvault-cs:workloads", "azure-native:location", "keyvault-cs"]
    assert namespace_typos(keys, "keyvault-csi") == [("keyvault-cs:workloads", "keyvault-csi:workloads")]
