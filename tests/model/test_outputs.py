"""Values known only later are checked by the same rules when they resolve (keyvault_csi.model.outputs)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from keyvault_csi import KeyVaultObject
from keyvault_csi.azure.keyvault_access import KeyVaultAccess
from keyvault_csi.azure.providers import SubscriptionProviders
from keyvault_csi.kubernetes.secret_provider_class import class_parameters
from keyvault_csi.kubernetes.workload import Workload
from keyvault_csi.model.settings import KeyVaultSettings, WorkloadSettings
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
    parameters = class_parameters(
        "app", keyvault_name=vault, tenant_id=later(TENANT), objects=objects, user_assigned_identity_id=""
    )
    workload = WorkloadSettings.model_construct(name="app", namespace="default", objects=objects, secret_objects=[])
    Workload("spc", workload, class_name="app", parameters=parameters, resource_prefix="spc")


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
        # The settings refuse this combination; the component does not rely on it.
        vault = KeyVaultSettings.model_construct(name=later("kv-app"), resource_group="rg", permission_model="auto")
        KeyVaultAccess(
            "access",
            vault,
            tenant_id=TENANT,
            objects=[KeyVaultObject.model_validate({"objectName": "a", "objectType": "secret"})],
            principals={"identity": "p"},
            providers=SubscriptionProviders(),
            protect=False,
        )

    with pytest.raises(pulumi.RunError, match="permissionModel 'auto' reads the vault .* set permissionModel to"):
        evaluate(program)
