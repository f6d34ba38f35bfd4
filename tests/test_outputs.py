"""The smaller components take Outputs too: checked by the same rules when they resolve (keyvault_csi.outputs)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from keyvault_csi import KeyVaultAccess, KeyVaultObject, SecretProviderClass
from keyvault_csi.rules.objects import parse_objects
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import SPC, TENANT


def later(value: Any) -> pulumi.Output[Any]:
    return pulumi.Output.from_input(value).apply(lambda v: v)


def declare_class(vault: Any, names: list[Any], aliases: list[str | None]) -> None:
    objects = [
        KeyVaultObject.model_validate({"objectName": "placeholder", "objectType": "secret"}).model_copy(
            update={"object_name": name, "object_alias": alias}
        )
        for name, alias in zip(names, aliases, strict=True)
    ]
    SecretProviderClass(
        "spc",
        {
            "namespace": "default",
            "className": "app",
            "keyvaultName": vault,
            "tenantId": later(TENANT),
            "objects": objects,
            "userAssignedIdentityId": "",
        },
    )


def test_a_class_renders_objects_named_by_outputs_once_they_resolve() -> None:
    graph = evaluate(lambda: declare_class(later("kv-app"), [later("db-password"), "key1"], ["db", None]))
    (spc,) = graph.by_type(SPC)
    parameters = spc.inputs["spec"]["parameters"]
    assert parameters["keyvaultName"] == "kv-app" and parameters["tenantID"] == TENANT
    assert [o["objectName"] for o in parse_objects(parameters["objects"])] == ["db-password", "key1"]


@pytest.mark.parametrize(
    ("vault", "names", "aliases", "expected"),
    [
        ("bad--vault", ["a"], [None], "SecretProviderClass 'app': keyvaultName 'bad--vault' is not a Key Vault name"),
        ("kv-app", ["a", "a"], [None, None], r"objects: objects \[0, 1\] all write the file 'a'"),
    ],
)
def test_a_class_fails_the_deployment_when_an_output_resolves_to_a_bad_value(
    vault: str, names: list[str], aliases: list[str | None], expected: str
) -> None:
    with pytest.raises(pulumi.RunError, match=expected):
        evaluate(lambda: declare_class(later(vault), [later(n) for n in names], aliases))


def test_access_with_auto_refuses_a_vault_named_by_an_output() -> None:
    def program() -> None:
        KeyVaultAccess(
            "access",
            {
                "vaultName": later("kv-app"),
                "resourceGroup": "rg",
                "tenantId": TENANT,
                "objects": [KeyVaultObject.model_validate({"objectName": "a", "objectType": "secret"})],
                "principals": {"identity": "p"},
            },
        )

    with pytest.raises(pulumi.RunError, match="permissionModel 'auto' reads the vault .* set permissionModel to"):
        evaluate(program)
