"""A vault or an existing identity in another subscription (docs/azure-rules.md §kv-other-subscriptions).

``keyvault.getVault``, ``keyvault.AccessPolicy`` and ``managedidentity.getUserAssignedIdentity``
act in their provider's subscription: for another one the component uses a provider for it, its
own child unless the caller hands one over.
"""

from __future__ import annotations

import runpy
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
import pytest
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from keyvault_csi import AksKeyVaultSecrets
from keyvault_csi.model.validate import validate_settings
from keyvault_csi.testing.mockgraph import Graph, RecordedResource, evaluate
from tests.support import (
    ACCESS_POLICY,
    ROLE_ASSIGNMENT,
    ROOT,
    SUBSCRIPTION,
    as_stack_config,
    base_settings,
    identity_id,
    run_program,
)
from tools.review.plan_graph import graph_document

PROVIDER = "pulumi:providers:azure-native"
OTHER = "00000000-0000-0000-0000-0000000000bb"
KEY_VAULT = "keyvault-csi:index:KeyVaultAccess"
MANAGED_IDENTITY = "keyvault-csi:index:ManagedIdentity"


def vault_in(subscription: str, model: str, identity: str = "userAssigned") -> dict[str, Any]:
    settings = base_settings(identity)
    settings["keyVault"] |= {"subscriptionId": subscription, "permissionModel": model}
    return settings


def providers(graph: Graph) -> list[RecordedResource]:
    return graph.by_type(PROVIDER)


def urn_of(reference: str) -> str:
    """A provider reference is ``<urn>::<id>``."""
    return reference.rsplit("::", 1)[0]


def unwrap(value: Any) -> Any:
    """The recorder keeps a secret as ``{"value": ...}``."""
    return value["value"] if isinstance(value, dict) and set(value) == {"value"} else value


def component(graph: Graph, type_: str) -> RecordedResource:
    (found,) = graph.by_type(type_)
    return found


def invokes(graph: Graph, token: str) -> list[Any]:
    return [i for i in graph.invokes if i.token == token]


@pytest.mark.parametrize("model", ["accessPolicy", "auto"])
def test_vault_in_another_subscription_gets_a_provider_child_used_by_reads_and_policies(model: str) -> None:
    graph = run_program(vault_in(OTHER, model), client_subscription=SUBSCRIPTION)
    access = component(graph, KEY_VAULT)
    (extra,) = [p for p in providers(graph) if p.parent == access.urn]
    assert extra.inputs["subscriptionId"] == OTHER
    assert extra.inputs["environment"] == "public"  # same cloud as the program's provider
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert urn_of(policy.provider) == extra.urn
    if model == "auto":
        (read,) = invokes(graph, "azure-native:keyvault:getVault")
        assert urn_of(read.provider) == extra.urn
    # The program's own provider stays the one for everything else.
    base = next(p for p in providers(graph) if p.name == "azure-native")
    assert base.inputs.get("subscriptionId") is None
    assert all(urn_of(r.provider) == base.urn for r in graph.resources if r.type.startswith("azure-native:identity"))


def test_vault_in_the_providers_own_subscription_declares_no_provider() -> None:
    graph = run_program(vault_in(OTHER, "accessPolicy"), client_subscription=OTHER.upper())
    assert [p.name for p in providers(graph)] == ["azure-native"]
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.provider.startswith(providers(graph)[0].urn + "::")
    # The comparison is made against what the provider answers, known at preview.
    assert invokes(graph, "azure-native:authorization:getClientConfig")


def test_rbac_grants_need_no_provider_for_another_subscription_only_the_vault_read_does() -> None:
    graph = run_program(vault_in(OTHER, "rbac"), client_subscription=SUBSCRIPTION)
    access = component(graph, KEY_VAULT)
    (extra,) = [p for p in providers(graph) if p.parent == access.urn]
    assert extra.inputs["subscriptionId"] == OTHER
    (read,) = invokes(graph, "azure-native:keyvault:getVault")  # the network check (docs/network.md)
    assert urn_of(read.provider) == extra.urn
    base = next(p for p in providers(graph) if p.name == "azure-native")
    for assignment in graph.by_type(ROLE_ASSIGNMENT):
        assert urn_of(assignment.provider) == base.urn
        assert assignment.inputs["scope"].startswith(f"/subscriptions/{OTHER}/resourceGroups/rg-secrets/")
        assert assignment.inputs["roleDefinitionId"].startswith(f"/subscriptions/{OTHER}/providers/")


def test_existing_identity_in_another_subscription_is_read_from_that_subscription() -> None:
    settings = base_settings("existing")
    settings["identity"]["resourceId"] = identity_id("id-shared").replace(SUBSCRIPTION, OTHER)
    graph = run_program(settings, client_subscription=SUBSCRIPTION)
    identity = component(graph, MANAGED_IDENTITY)
    (extra,) = [p for p in providers(graph) if p.parent == identity.urn]
    assert extra.inputs["subscriptionId"] == OTHER
    (read,) = invokes(graph, "azure-native:managedidentity:getUserAssignedIdentity")
    assert urn_of(read.provider) == extra.urn
    assert read.args == {"resourceGroupName": "rg-identities", "resourceName": "id-shared"}


def test_existing_identity_in_the_providers_subscription_uses_the_provider() -> None:
    graph = run_program(base_settings("existing"), client_subscription=SUBSCRIPTION)
    assert [p.name for p in providers(graph)] == ["azure-native"]


def test_declared_provider_copies_the_stacks_azure_native_settings_like_the_programs_provider() -> None:
    graph = evaluate(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        as_stack_config(vault_in(OTHER, "accessPolicy"))
        | {
            "azure-native:location": "westeurope",
            "azure-native:environment": "usgovernment",
            "azure-native:clientId": "11111111-2222-3333-4444-555555555555",
            "azure-native:useOidc": "true",
            "azure-native:clientSecret": "s3cret",
        },
        secret_keys=["azure-native:clientSecret"],
        client_subscription=SUBSCRIPTION,
    )
    base = next(p for p in providers(graph) if p.name == "azure-native")
    extra = next(p for p in providers(graph) if p.name != "azure-native")
    for provider in (base, extra):
        assert provider.inputs["environment"] == "usgovernment"
        assert provider.inputs["location"] == "westeurope"
        # azure-native marks clientId secret itself.
        assert unwrap(provider.inputs["clientId"]) == "11111111-2222-3333-4444-555555555555"
        assert unwrap(provider.inputs["useOidc"]) in (True, "true")
        assert "clientSecret" in provider.secret_inputs  # read as a secret, kept a secret
    assert extra.inputs["subscriptionId"] == OTHER


def test_explicit_provider_for_the_subscription_is_used_and_nothing_is_declared() -> None:
    raw = vault_in(OTHER, "auto", "existing")
    raw["identity"]["resourceId"] = identity_id("id-shared").replace(SUBSCRIPTION, OTHER)
    settings = validate_settings(raw)

    def program() -> None:
        azure = azure_native.Provider("azure")
        other = azure_native.Provider("azure-other", subscription_id=OTHER)
        k8s = KubernetesProvider("k8s")
        AksKeyVaultSecrets(
            "app",
            settings,
            pulumi.ResourceOptions(providers=[azure, k8s]),
            subscription_providers={OTHER.upper(): other},
        )

    graph = evaluate(program, client_subscription=SUBSCRIPTION)
    assert sorted(p.name for p in providers(graph)) == ["azure", "azure-other"]
    other = next(p for p in providers(graph) if p.name == "azure-other")
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert urn_of(policy.provider) == other.urn
    for token in ("azure-native:keyvault:getVault", "azure-native:managedidentity:getUserAssignedIdentity"):
        (read,) = invokes(graph, token)
        assert urn_of(read.provider) == other.urn, token


def test_plan_graph_shows_the_extra_provider_and_who_uses_it() -> None:
    graph = run_program(vault_in(OTHER, "accessPolicy"), client_subscription=SUBSCRIPTION)
    document = graph_document(graph, "test")
    entries = {r["urn"]: r for r in document["resources"]}
    (extra,) = [r for r in entries.values() if r["kind"] == "provider" and r["inputs"].get("subscriptionId") == OTHER]
    assert entries[extra["parent"]]["type"] == KEY_VAULT
    (policy,) = [r for r in entries.values() if r["type"] == ACCESS_POLICY]
    assert policy["provider"] == extra["urn"]


def test_vault_and_identity_in_the_same_other_subscription_share_one_provider() -> None:
    settings = vault_in(OTHER, "accessPolicy", "existing")
    settings["identity"]["resourceId"] = identity_id("id-shared").replace(SUBSCRIPTION, OTHER)
    graph = run_program(settings, client_subscription=SUBSCRIPTION)
    (extra,) = [p for p in providers(graph) if p.name != "azure-native"]
    assert graph.by_urn()[extra.parent].type == MANAGED_IDENTITY
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert urn_of(policy.provider) == extra.urn
