"""Identity bindings' names (docs/azure-rules.md §identity-binding): binding, ClusterRole, ClusterRoleBindings."""

from __future__ import annotations

import pytest

from keyvault_csi.rules.identity_binding import (
    BINDING_NAME,
    cluster_role_binding_name,
    cluster_role_name,
    default_binding_name,
)


@pytest.mark.parametrize(
    ("group", "name"),
    [
        ("rg-identities", "id-app"),
        ("rg", "ID_Platform-Readers"),
        ("rg", "123-reader"),  # starts with a digit: the spec wants a letter first
        ("rg", "a" * 128),  # identities take 128 characters, bindings 63
        ("rg", "___"),
    ],
)
def test_default_binding_names_match_the_rest_spec(group: str, name: str) -> None:
    binding = default_binding_name(group, name)
    assert BINDING_NAME.match(binding) and len(binding) <= 63
    assert binding == default_binding_name(group, name)


def test_default_binding_names_keep_identities_apart() -> None:
    names = {
        default_binding_name("rg", "kv-reader"),
        default_binding_name("rg", "kvreader"),
        default_binding_name("rg", "kv_reader"),
        default_binding_name("rg-other", "kv-reader"),
    }
    assert len(names) == 4
    # ARM names are case-insensitive: one identity spelled two ways is one binding.
    assert default_binding_name("RG", "KV-Reader") == default_binding_name("rg", "kv-reader")


@pytest.mark.parametrize("name", ["id-app-ib", "1binding", "Binding", "", "b" * 64])
def test_binding_names_azure_refuses(name: str) -> None:
    assert not BINDING_NAME.match(name)


def test_role_binding_names_never_collide() -> None:
    pairs = [("a-b", "c"), ("a", "b-c"), ("a", "b.c"), ("a", "b.c-d"), ("a-b", "c.d")]  # namespaces hold no "."
    names = {cluster_role_binding_name("idapp", ns, sa) for ns, sa in pairs}
    assert len(names) == len(pairs)
    assert cluster_role_name("idapp") == "use-mi-idapp"
    assert cluster_role_binding_name("idapp", "shop", "shop-apps") == "use-mi-idapp.shop.shop-apps"
