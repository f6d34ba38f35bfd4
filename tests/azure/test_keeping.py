"""retainOnDelete follows protect (docs/guardrails.md).

protect is a plain boolean, checked before anything registers.
"""

import pulumi
import pytest

from keyvault_csi.azure.keeping import keeping
from keyvault_csi.component import AksKeyVaultSecrets
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import base_settings


@pytest.mark.parametrize("protect", [False, True])
def test_retain_on_delete_follows_protect(protect: bool) -> None:
    assert keeping(protect) == {"protect": protect, "retain_on_delete": protect}


@pytest.mark.parametrize("value", ["false", "yes", 1, None])
def test_a_component_refuses_a_flag_that_is_not_a_boolean_before_it_registers(value: object) -> None:
    """A string such as "false" would otherwise protect the identity and its grants without saying so."""
    errors: list[str] = []

    def program() -> None:
        try:
            AksKeyVaultSecrets("app", {**base_settings("userAssigned"), "protect": value})  # type: ignore[typeddict-item]  # the wrong type is the point
        except pulumi.RunError as error:
            errors.append(str(error))

    graph = evaluate(program)
    (error,) = errors
    assert "protect: Input should be a valid boolean" in error
    assert [r for r in graph.resources if r.type != "pulumi:pulumi:Stack"] == []
