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


@pytest.mark.parametrize("value", ["false", "yes", 1, None])
def test_only_plain_booleans_are_taken(value: object) -> None:
    """A string such as "false" would otherwise protect the identity and its grants without saying so."""
    with pytest.raises(ValueError, match=r"^protect .* is not allowed; use true or false$"):
        protect({"protect": value})
    with pytest.raises(ValueError, match=r"^retainOnDelete .* is not allowed"):
        retain_on_delete({"retainOnDelete": value})


def test_a_component_refuses_a_bad_flag_before_it_registers() -> None:
    from keyvault_csi.azure.identity import ManagedIdentity
    from keyvault_csi.testing.mockgraph import evaluate

    declared: list[str] = []

    def program() -> None:
        try:
            ManagedIdentity("id", {"type": "userAssigned", "name": "id-app", "resourceGroup": "rg", "protect": "false"})  # type: ignore[typeddict-item]  # the wrong type is the point
        except ValueError as error:
            declared.append(str(error))

    graph = evaluate(program)
    assert declared == ["protect 'false' is not allowed; use true or false"]
    assert not [r for r in graph.resources if r.type != "pulumi:pulumi:Stack"]
