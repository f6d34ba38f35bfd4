"""Each rule is defined once in ``keyvault_csi.rules``: the settings, the class parameters and the
policy pack report the same rule with the same words, because they call the same function."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
import yaml

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules import grants, names, parameters
from keyvault_csi.rules.objects import KeyVaultObject, file_conflicts, render_objects
from keyvault_csi.rules.parameters import provider_parameters
from keyvault_csi.rules.secret_sync import SecretObject
from policy.keyvault_csi_policy import keyvault_access, secret_provider_class
from tests.support import TENANT, base_settings

CLIENT = "00000000-0000-0000-0000-0000000000aa"
OBJECT = KeyVaultObject.model_validate({"objectName": "db", "objectType": "secret"})


def settings_error(mutate: Callable[[dict[str, Any]], object]) -> str:
    raw = base_settings("userAssigned")
    mutate(raw)
    with pytest.raises(pulumi.RunError) as caught:
        validate_settings(raw, prefix="keyvault-csi:")
    return str(caught.value)


def _set_in_workload(key: str, raw: dict[str, Any]) -> None:
    raw["workloads"][0][key] = "x"


def class_error(**overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "keyvault_name": "kvname",
        "tenant_id": TENANT,
        "objects": [OBJECT],
        "client_id": CLIENT,
    }
    with pytest.raises(ValueError) as caught:
        provider_parameters(**(arguments | overrides))
    return str(caught.value)


def policy_problems(**parameters_: Any) -> list[str]:
    given = {"keyvaultName": "kvname", "tenantID": TENANT, "clientID": CLIENT, "objects": render_objects([OBJECT])}
    spec = {"provider": "azure", "parameters": given | parameters_}
    props = {"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass", "spec": spec}
    return secret_provider_class.problems("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", props)


@pytest.mark.parametrize("bad", ["kv", "1vault", "my--vault", "vault-", "v" * 25, "my_vault"])
def test_key_vault_name_rule_is_one_function_for_settings_class_and_policy(bad: str) -> None:
    problem = names.key_vault_name_problem(bad)
    assert problem and repr(bad) in problem and names.KEY_VAULT_NAME_ALLOWED in problem
    assert problem in settings_error(lambda raw: raw["keyVault"].update(name=bad))
    assert problem in class_error(keyvault_name=bad)
    (found,) = policy_problems(keyvaultName=bad)
    assert problem in found and "fix:" in found


@pytest.mark.parametrize("good", ["kvname", "a-b-c", "Vault1", "v" * 24])
def test_key_vault_name_rule_accepts_azure_names(good: str) -> None:
    assert names.key_vault_name_problem(good) is None
    assert policy_problems(keyvaultName=good) == []


def test_cloud_rules_are_one_function_for_settings_class_and_policy() -> None:
    unknown = names.cloud_name_problem("AzureMoonCloud")
    assert unknown and "AzureStackCloud" in unknown and "'' (AzurePublicCloud)" in unknown
    assert names.cloud_name_problem("azurechinacloud") is None and names.cloud_name_problem("") is None
    assert unknown in settings_error(lambda raw: raw["workloads"][0].update(cloudName="AzureMoonCloud"))
    assert unknown in class_error(cloud_name="AzureMoonCloud")
    assert any(unknown in p for p in policy_problems(cloudName="AzureMoonCloud"))
    stack = names.cloud_env_file_problem("AzureStackCloud", None)
    assert stack and names.cloud_env_file_problem("AzureStackCloud", "/etc/azs.json") is None
    assert names.cloud_env_file_problem("AzureCloud", None) is None
    assert stack in settings_error(lambda raw: raw["workloads"][0].update(cloudName="azurestackcloud"))
    assert stack in class_error(cloud_name="AzureStackCloud")
    assert any(stack in p and "fix:" in p for p in policy_problems(cloudName="AzureStackCloud"))


def test_two_objects_writing_one_file_is_one_rule() -> None:
    clash = [OBJECT, KeyVaultObject.model_validate({"objectName": "other", "objectType": "key", "objectAlias": "db"})]
    (problem,) = file_conflicts(clash)
    assert problem == "objects [0, 1] all write the file 'db'; give them distinct objectAlias values"
    assert file_conflicts([OBJECT]) == []
    with pytest.raises(ValueError, match=r"objects \[0, 1\] all write the file 'db'"):
        render_objects(clash)
    documents = [o.model_dump(mode="json", exclude_none=True) for o in clash]
    error = settings_error(lambda raw: raw["workloads"][0].update(objects=documents))
    assert "keyvault-csi:workloads[0]: objects [0, 1] all write the file 'db'" in error
    text = yaml.safe_dump({"array": [yaml.safe_dump(d, sort_keys=False) for d in documents]})
    assert policy_problems(objects=text) == [
        "objects [0, 1] all write the file 'db'; fix: give them distinct objectAlias values"
    ]


def test_role_guids_and_families_come_from_the_grants_table() -> None:
    # vars(): the policy modules import these names, they do not re-export them.
    assert vars(keyvault_access)["USER_ROLES"] is grants.USER_ROLES
    assert grants.USER_ROLES == {guid: role for _, role, guid in grants.GRANTS.values()}
    assert set(grants.USER_ROLES).isdisjoint(grants.OTHER_KEY_VAULT_ROLES)
    assert keyvault_access.OBJECT_FAMILY is grants.FAMILIES
    assert grants.FAMILIES == {"secret": "secrets", "key": "keys", "cert": "certificates"}
    assert grants.required_roles([OBJECT]) == [("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6")]


def test_parameter_names_are_one_list_for_the_class_the_settings_and_the_policy() -> None:
    rendered = provider_parameters(
        keyvault_name="kvname", tenant_id=TENANT, objects=[OBJECT], user_assigned_identity_id=CLIENT
    )
    assert set(rendered) <= set(parameters.PARAMETER_KEYS)
    assert set(parameters.DERIVED_PARAMETERS) <= set(parameters.PARAMETER_KEYS)
    assert vars(secret_provider_class)["PARAMETER_KEYS"] is parameters.PARAMETER_KEYS
    for key, source in parameters.DERIVED_PARAMETERS.items():
        for spelling in (key, key.lower(), key[0].upper() + key[1:]):
            error = settings_error(functools.partial(_set_in_workload, spelling))
            assert f"workloads[0].{spelling}: unknown key" in error
            assert f"derived from keyvault-csi:{source}" in error, error
    # The policy names the provider's spelling for a misspelt key.
    assert any("did you mean 'userAssignedIdentityID'" in p for p in policy_problems(userAssignedIdentityId=CLIENT))


def test_secret_sync_uses_the_dns_subdomain_rule_of_names() -> None:
    good = {"secretName": "s", "data": [{"objectName": "db", "key": "k"}]}
    assert names.DNS_SUBDOMAIN.match("example.com")
    SecretObject.model_validate(good | {"labels": {"example.com/team": "a"}})
    with pytest.raises(ValueError, match="invalid prefix 'Example.com'"):
        SecretObject.model_validate(good | {"labels": {"Example.com/team": "a"}})


def test_crd_version_and_csi_driver_are_one_constant_for_components_and_policy() -> None:
    from keyvault_csi.kubernetes import secret_provider_class as component
    from keyvault_csi.rules import pod
    from policy.keyvault_csi_policy import pods

    manifest = component.class_inputs("c", "ns", {})
    assert manifest["api_version"] == secret_provider_class.API_VERSION == parameters.CRD_API_VERSION
    assert parameters.CRD_API_VERSION == f"{parameters.CRD_GROUP}/v1" == "secrets-store.csi.x-k8s.io/v1"
    assert vars(pods)["CSI_DRIVER"] is pod.CSI_DRIVER
    (deprecated,) = secret_provider_class.advisories(
        "kubernetes:secrets-store.csi.x-k8s.io/v1alpha1:SecretProviderClass",
        {"spec": {"provider": "azure", "parameters": {}}},
    )
    assert f"use apiVersion {parameters.CRD_API_VERSION!r}" in deprecated


def test_node_kinds_are_one_enum_for_settings_and_the_node_component() -> None:
    from keyvault_csi.model.settings import NodeSettings
    from keyvault_csi.node_identity.assignments import COMPUTE_TYPES, POOL, nodes_of
    from keyvault_csi.rules.choices import NodeKind

    assert set(COMPUTE_TYPES) == set(NodeKind)
    # A node is a scale set or VM (NodeKind), or an AKS agent pool whose scale set is found at deploy time.
    nodes = NodeSettings.model_validate(
        {
            "scaleSets": [{"resourceGroup": "mc", "name": "pool"}],
            "cluster": {"resourceGroup": "rg", "name": "aks"},
            "agentPools": ["np1"],
        }
    )
    assert [kind for kind, _ in nodes.compute()] == ["vmss"]
    assert [node.kind for node in nodes_of(nodes)] == [NodeKind.VMSS, POOL]


def test_repeats_counts_each_value_given_more_than_once_in_order() -> None:
    """One count for the five "X is set N times" rules (env names, Secret keys, writable paths, ...)."""
    from keyvault_csi.rules.model import repeats
    from keyvault_csi.rules.pod import writable_path_problems

    assert repeats(["b", "a", "b", "c", "b", "a"]) == [("a", 2), ("b", 3)]
    assert repeats(["a", "b"]) == []
    assert writable_path_problems("linux", ["/tmp", "/cache", "/tmp"], "/mnt/secrets-store") == [
        "writablePaths: ['/tmp'] listed twice"
    ]


def test_repeated_groups_indexes_by_key_for_every_used_twice_rule() -> None:
    from keyvault_csi.rules.model import repeated

    assert repeated([("a", 0), ("b", 1), ("a", 2), ("c", 3), ("b", 4), ("a", 5)]) == [("a", [0, 2, 5]), ("b", [1, 4])]
    assert repeated([("a", 0), ("b", 1)]) == []
    two_names = base_settings("userAssigned")
    two_names["workloads"].append({**two_names["workloads"][0], "pod": None, "secretProviderClass": "other"})
    with pytest.raises(pulumi.RunError, match=r"workloads \[0, 1\]: the name 'nginx' is used more than once"):
        validate_settings(two_names)


def test_seccomp_profiles_are_one_enum_for_settings_pod_rules_and_schema() -> None:
    from keyvault_csi.rules.choices import SeccompProfile
    from keyvault_csi.rules.pod import PodSecurity

    assert list(SeccompProfile) == ["RuntimeDefault", "Unconfined"]
    problem = "'Localhost' is not allowed; use one of: RuntimeDefault, Unconfined"
    error = settings_error(
        lambda raw: raw["workloads"][0]["pod"].update(securityContext={"seccompProfile": "Localhost"})
    )
    assert f"workloads[0].pod.securityContext.seccompProfile: {problem}" in error
    assert PodSecurity.model_validate({"seccompProfile": "Unconfined"}).seccomp_profile == SeccompProfile.UNCONFINED
