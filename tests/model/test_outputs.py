"""Embedded in a larger program: keys that name cloud objects take Outputs, checked when they resolve;
keys that shape the graph are refused as Outputs, with the reason (docs/embedding.md)."""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
import pytest
from pulumi_azure_native import containerservice, keyvault, resources
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from keyvault_csi import AksKeyVaultSecrets, KeyVaultObject
from keyvault_csi.azure.keyvault_access import KeyVaultAccess
from keyvault_csi.azure.providers import SubscriptionProviders
from keyvault_csi.kubernetes.workload import Workload
from keyvault_csi.model.settings import KeyVaultSettings, Mount, VaultObject, WorkloadSettings
from keyvault_csi.model.validate import validate_settings
from keyvault_csi.program.stack import validate_stack_settings
from keyvault_csi.rules.objects import parse_objects
from keyvault_csi.testing import KeyVaultCsiMocks
from keyvault_csi.testing.mockgraph import Graph, evaluate
from tests.support import IDENTITY_ID, NODE_IDENTITY, ROLE_ASSIGNMENT, SPC, TENANT, base_settings

VERSION = "0123456789abcdef0123456789abcdef"


def out(value: Any) -> pulumi.Output[Any]:
    """An Output known only after a (mock) deployment step, like another resource's property."""
    return pulumi.Output.from_input(value).apply(lambda v: v)


def unknown() -> pulumi.Output[Any]:
    """An Output whose value is unknown (a preview of a resource not yet created)."""
    value: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
    known: asyncio.Future[bool] = asyncio.get_event_loop().create_future()
    value.set_result(None)
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def embed(build: Any, **evaluate_args: Any) -> Graph:
    """Evaluate a program that declares AksKeyVaultSecrets with ``build()`` as its arguments."""

    def program() -> None:
        azure = azure_native.Provider("azure")
        k8s = KubernetesProvider("k8s")
        AksKeyVaultSecrets("app", build(), pulumi.ResourceOptions(providers=[azure, k8s]))

    return evaluate(program, **evaluate_args)


def computed_settings(kind: str = "userAssigned", **overrides: Any) -> dict[str, Any]:
    """base_settings with every input-capable key an Output (built inside the program's event loop)."""
    settings = base_settings(kind)
    settings["tenantId"] = out(TENANT)
    settings["keyVault"] = {
        "name": out("kv-embedded"),
        "resourceGroup": out("rg-vault"),
        "subscriptionId": out("00000000-0000-0000-0000-00000000000a"),
        "permissionModel": "rbac",
    }
    workload = settings["workloads"][0]
    workload["secretProviderClass"] = "nginx-secrets"
    workload["objects"] = [
        {"objectName": out("db-password"), "objectType": "secret", "objectAlias": "db", "objectVersion": out(VERSION)},
        {"objectName": "key1", "objectType": "key"},
    ]
    if kind == "userAssigned":
        settings["identity"] = {"type": "userAssigned", "resourceId": out(IDENTITY_ID)}
        for ref in settings["nodes"]["scaleSets"]:
            ref["resourceGroup"] = out(ref["resourceGroup"])
    settings.update(overrides)
    return settings


def test_every_input_capable_key_takes_an_output_and_its_value_reaches_the_graph() -> None:
    graph = embed(computed_settings)
    (spc,) = graph.by_type(SPC)
    parameters = spc.inputs["spec"]["parameters"]
    assert parameters["keyvaultName"] == "kv-embedded" and parameters["tenantID"] == TENANT
    assert parse_objects(parameters["objects"])[0] == {
        "objectName": "db-password",
        "objectType": "secret",
        "objectVersion": VERSION,
        "objectAlias": "db",
    }
    scopes = {r.inputs["scope"] for r in graph.by_type(ROLE_ASSIGNMENT)}
    assert scopes == {
        "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg-vault"
        "/providers/Microsoft.KeyVault/vaults/kv-embedded"
    }
    lookups = [i for i in graph.invokes if i.token == "azure-native:managedidentity:getUserAssignedIdentity"]
    assert [(i.args["resourceGroupName"], i.args["resourceName"]) for i in lookups] == [
        ("rg-identities", "id-existing")
    ]
    nodes = {r.name: r.inputs["nodeId"] for r in graph.by_type(NODE_IDENTITY)}
    # A computed resource group cannot be part of a name: those nodes are keyed by kind and name.
    assert nodes["app-nodes-vmss-aks-nodepool1-12345678-vmss"].endswith(
        "/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss"
    )
    assert "app-nodes-vm-rg-k8s-k8s-agent-0" in nodes  # plain resource group: the name is unchanged


def test_role_assignment_names_from_outputs_are_deterministic() -> None:
    names = [
        sorted(r.inputs["roleAssignmentName"] for r in embed(computed_settings).by_type(ROLE_ASSIGNMENT))
        for _ in range(2)
    ]
    assert names[0] == names[1] and len(names[0]) == 2


@pytest.mark.parametrize(
    ("key", "bad", "expected"),
    [
        ("tenantId", "contoso", "tenantId: 'contoso' is not a tenant ID; allowed: a GUID"),
        ("keyVault.name", "bad--vault", "keyVault.name: 'bad--vault' is not a Key Vault name"),
        ("keyVault.resourceGroup", "rg.", "keyVault.resourceGroup: 'rg.' is not a valid resource group name"),
        ("objectName", "db_password", "workloads[0].objects[0].objectName: 'db_password' is not a Key Vault object"),
        (
            "objectVersion",
            "latest",
            "workloads[0].objects[0].objectVersion: 'latest' is not a Key Vault object version",
        ),
        (
            "identity.resourceId",
            "/subscriptions/x",
            "identity.resourceId: '/subscriptions/x' is not a user-assigned identity",
        ),
        ("nodes.resourceGroup", "", "nodes.scaleSets[0].resourceGroup: '' is not a valid resource group name"),
    ],
)
def test_an_output_that_resolves_to_a_bad_value_fails_the_deployment_naming_the_key(
    key: str, bad: str, expected: str
) -> None:
    def build() -> dict[str, Any]:
        settings = computed_settings()
        if key == "tenantId":
            settings["tenantId"] = out(bad)
        elif key.startswith("keyVault."):
            settings["keyVault"][key.split(".")[1]] = out(bad)
        elif key == "identity.resourceId":
            settings["identity"]["resourceId"] = out(bad)
        elif key == "nodes.resourceGroup":
            settings["nodes"]["scaleSets"][0]["resourceGroup"] = out(bad)
        else:
            settings["workloads"][0]["objects"][0][key] = out(bad)
        return settings

    with pytest.raises(pulumi.RunError) as caught:
        embed(build)
    assert str(caught.value).startswith("invalid keyvault-csi settings (1 problem):\n  - ")
    assert expected in str(caught.value)


def test_unknown_values_at_preview_are_not_errors() -> None:
    def build() -> dict[str, Any]:
        settings = computed_settings()
        settings["keyVault"]["name"] = unknown()
        settings["workloads"][0]["objects"][0]["objectName"] = unknown()
        return settings

    graph = embed(build)
    assert len(graph.by_type(SPC)) == 1 and len(graph.by_type(ROLE_ASSIGNMENT)) == 2


def test_keys_that_shape_the_graph_are_refused_as_outputs_with_the_reason() -> None:
    problems: list[str] = []

    def build() -> dict[str, Any]:
        settings = base_settings()
        settings["identity"]["type"] = out("userAssigned")
        settings["keyVault"]["permissionModel"] = out("rbac")
        workload = settings["workloads"][0]
        workload["name"] = out("nginx")
        workload["namespace"] = out("default")
        workload["objects"][0]["objectType"] = out("secret")
        workload["objects"][1]["objectAlias"] = out("key.pem")
        settings["nodes"]["scaleSets"][0]["name"] = out("aks-nodepool1-12345678-vmss")
        settings["tags"] = out({"env": "dev"})
        try:
            validate_settings(settings)
        except pulumi.RunError as error:
            problems.append(str(error))
        raise SystemExit  # nothing else to evaluate

    with pytest.raises(SystemExit):
        embed(build)
    (message,) = problems
    assert message.startswith("invalid keyvault-csi settings (8 problems):")
    for fragment in (
        "identity.type: must be a plain value, not an Output: it decides which resources are declared",
        "keyVault.permissionModel: must be a plain value, not an Output: it decides whether access policies",
        "workloads[0].name: must be a plain value, not an Output: it names Kubernetes objects",
        "workloads[0].namespace: must be a plain value, not an Output",
        "workloads[0].objects[0].objectType: must be a plain value, not an Output: it decides the permissions",
        "workloads[0].objects[1].objectAlias: must be a plain value, not an Output: it is the file name",
        "nodes.scaleSets[0].name: must be a plain value, not an Output",
        "tags: must be a plain value, not an Output: it shapes the graph",
    ):
        assert fragment in message, fragment
    assert "Input should be" not in message  # pydantic's own "not a string" would only repeat it


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["keyVault"].update(permissionModel="auto"),
            "keyVault.permissionModel: 'auto' reads the vault before anything is declared, but keyVault.name and "
            "keyVault.resourceGroup are Outputs; set permissionModel to accessPolicy or rbac",
        ),
        (
            lambda s: s["workloads"][0].pop("secretProviderClass"),
            "workloads[0].secretProviderClass: required (workload 'nginx') because keyVault.name is an Output",
        ),
        (
            lambda s: s["workloads"][0]["objects"][0].pop("objectAlias"),
            "workloads[0].objects[0].objectAlias: required (workload 'nginx') because objectName is an Output",
        ),
        (
            lambda s: s["nodes"]["scaleSets"][1].update(name="aks-nodepool1-12345678-vmss"),
            "nodes.scaleSets: 'aks-nodepool1-12345678-vmss' is listed more than once "
            "with a resourceGroup that is an Output",
        ),
    ],
)
def test_what_an_output_leaves_unknown_must_be_given_plainly(change: Any, expected: str) -> None:
    problems: list[str] = []

    def build() -> dict[str, Any]:
        settings = computed_settings()
        change(settings)
        try:
            validate_settings(settings)
        except pulumi.RunError as error:
            problems.append(str(error))
        raise SystemExit

    with pytest.raises(SystemExit):
        embed(build)
    assert len(problems) == 1 and expected in problems[0], problems


def test_dependencies_follow_the_outputs_vault_and_cluster() -> None:
    found: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        group = resources.ResourceGroup("rg", resource_group_name="rg-platform")
        vault = keyvault.Vault(
            "vault",
            vault_name="kv-platform",
            resource_group_name=group.name,
            properties={"tenant_id": TENANT, "sku": {"family": "A", "name": "standard"}},
        )
        cluster = containerservice.ManagedCluster(
            "aks", resource_name_="aks-platform", resource_group_name=group.name, node_resource_group="MC_platform"
        )
        found.update(vault=vault, cluster=cluster)
        settings = base_settings()
        settings["keyVault"] = {"name": vault.name, "resourceGroup": group.name, "permissionModel": "rbac"}
        settings["workloads"][0]["secretProviderClass"] = "nginx-secrets"
        settings["nodes"] = {"scaleSets": [{"resourceGroup": cluster.node_resource_group, "name": "aks-np1-vmss"}]}
        return settings

    graph = embed(build, mocks=KeyVaultCsiMocks())
    vault = graph.one("azure-native:keyvault:Vault", "vault")
    cluster = graph.one("azure-native:containerservice:ManagedCluster", "aks")
    (spc,) = graph.by_type(SPC)
    assert spc.inputs["spec"]["parameters"]["keyvaultName"] == "kv-platform"
    assert graph.depends_on(spc, vault)
    grants = graph.by_type(ROLE_ASSIGNMENT)
    assert grants and all(graph.depends_on(g, vault) for g in grants)
    assert all(
        g.inputs["scope"].endswith("/resourceGroups/rg-platform/providers/Microsoft.KeyVault/vaults/kv-platform")
        for g in grants
    )
    (node,) = graph.by_type(NODE_IDENTITY)
    assert graph.depends_on(node, cluster) and "/resourceGroups/MC_platform/" in node.inputs["nodeId"]
    assert not graph.depends_on(spc, cluster)  # the class waits only for what it names


def test_the_component_refuses_the_kubernetes_key_and_points_to_providers() -> None:
    settings = base_settings()
    settings["kubernetes"] = {"context": "aks"}
    settings["tenantId"] = "contoso"
    with pytest.raises(pulumi.RunError) as caught:
        embed(lambda: settings)
    message = str(caught.value)
    assert "(2 problems)" in message and "tenantId: 'contoso'" in message
    assert "kubernetes: only the keyvault-csi program reads it (from stack config)" in message
    assert "pulumi.ResourceOptions(providers=[azure, k8s])" in message
    assert [r.type for r in evaluate(lambda: None).resources] == []
    # The program still takes it from stack config (tests/test_component.py covers its sources).
    validate_stack_settings(settings | {"tenantId": TENANT})


def test_the_component_declares_nothing_when_an_argument_is_refused() -> None:
    errors: list[str] = []

    def program() -> None:
        settings = base_settings()
        settings["identity"]["type"] = out("userAssigned")
        try:
            AksKeyVaultSecrets("app", settings)
        except pulumi.RunError as error:
            errors.append(str(error))

    assert evaluate(program).resources == []
    assert len(errors) == 1 and "identity.type: must be a plain value" in errors[0]


def test_a_secret_output_that_resolves_to_a_bad_value_is_not_shown() -> None:
    def build() -> dict[str, Any]:
        settings = computed_settings()
        settings["tenantId"] = pulumi.Output.secret("s3cr3t-tenant")
        return settings

    with pytest.raises(pulumi.RunError) as caught:
        embed(build)
    message = str(caught.value)
    assert "tenantId: <secret> is not a tenant ID; allowed: a GUID" in message, message
    assert "s3cr3t" not in message and "(value not shown: secret)" in message


def test_a_secret_output_stays_secret_in_the_class() -> None:
    def build() -> dict[str, Any]:
        settings = computed_settings()
        settings["tenantId"] = pulumi.Output.secret(TENANT)
        return settings

    (spc,) = embed(build).by_type(SPC)
    assert spc.secret_inputs == ["spec"]  # the engine gets the class's spec as a secret


@pytest.mark.parametrize("kind", ["workload", "kubelet"])
def test_identity_and_cluster_names_may_be_outputs(kind: str) -> None:
    def build() -> dict[str, Any]:
        settings = computed_settings(kind)
        identity = settings["identity"]
        identity["cluster"] = {"resourceGroup": out("rg-aks"), "name": out("aks-embedded")}
        if kind == "workload":
            identity["name"], identity["resourceGroup"] = out("id-embedded"), out("rg-identities")
        return settings

    graph = embed(build)
    (lookup,) = [i for i in graph.invokes if i.token == "azure-native:containerservice:getManagedCluster"]
    assert lookup.args == {"resourceGroupName": "rg-aks", "resourceName": "aks-embedded"}
    (spc,) = graph.by_type(SPC)
    parameters = spc.inputs["spec"]["parameters"]
    if kind == "kubelet":
        assert parameters["userAssignedIdentityID"] == "<aks-embedded-agentpool.clientId>"
    else:
        (credential,) = graph.by_type("azure-native:managedidentity:FederatedIdentityCredential")
        assert credential.inputs["issuer"] == "<aks-embedded.oidcIssuerURL>"
        assert credential.inputs["resourceName"] == "id-embedded"
        assert parameters["clientID"] == "<id-embedded.clientId>"


def test_a_cluster_without_oidc_named_by_outputs_is_reported_with_its_resolved_name() -> None:
    def build() -> dict[str, Any]:
        settings = computed_settings("workload")
        settings["identity"]["cluster"] = {"resourceGroup": out("rg-aks"), "name": out("aks-old")}
        return settings

    with pytest.raises(pulumi.RunError, match="AKS cluster rg-aks/aks-old has no OIDC issuer"):
        embed(build, clusters_without_oidc=("aks-old",))


def test_a_deployment_whose_objects_are_outputs_gets_the_digest_once_they_resolve() -> None:
    """The rollout digest of an objects string rendered from Outputs (was a TypeError from json.dumps)."""
    from keyvault_csi.rules.rollout import OBJECTS_ANNOTATION, objects_digest

    def build() -> dict[str, Any]:
        settings = computed_settings()
        workload = settings["workloads"][0]
        workload["deployment"] = workload.pop("pod")
        return settings

    graph = embed(build)
    (spc,) = graph.by_type(SPC)
    (deployment,) = graph.by_type("kubernetes:apps/v1:Deployment")
    digest = deployment.inputs["spec"]["template"]["metadata"]["annotations"][OBJECTS_ANNOTATION]
    assert digest == objects_digest(spc.inputs["spec"]["parameters"]["objects"])


# --- the components apply the rules to a value once it resolves ---


def later(value: Any) -> pulumi.Output[Any]:
    return pulumi.Output.from_input(value).apply(lambda v: v)


def declare_class(vault: Any, names: list[Any], aliases: list[str | None]) -> None:
    objects = [
        VaultObject.model_validate({"objectName": "placeholder", "objectType": "secret"}).model_copy(
            update={"object_name": name, "object_alias": alias}
        )
        for name, alias in zip(names, aliases, strict=True)
    ]
    workload = WorkloadSettings.model_construct(name="app", namespace="default", objects=objects, secret_objects=[])
    vault_settings = KeyVaultSettings.model_construct(name=vault, resource_group="rg", permission_model="rbac")
    mount = Mount("default", vault_settings, "app", tuple(objects), (), "secrets-store-inline", "/mnt/secrets-store")
    Workload(
        "spc",
        workload,
        mounts=[mount],
        tenant_id=later(TENANT),
        identity={"user_assigned_identity_id": ""},
        resource_prefix="spc",
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


def test_several_vaults_named_by_outputs_need_an_explicit_model_and_class_names() -> None:
    def build() -> dict[str, Any]:
        settings = base_settings("kubelet")
        del settings["keyVault"]
        settings["keyVaults"] = {
            "shared": {"name": out("kv-shared"), "resourceGroup": "rg"},
            "team": {"name": "kv-team", "resourceGroup": "rg", "permissionModel": "rbac"},
        }
        settings["workloads"][0]["objects"] = [
            {"objectName": "a", "objectType": "secret", "keyVault": "shared"},
            {"objectName": "b", "objectType": "secret", "keyVault": "team"},
        ]
        return settings

    with pytest.raises(pulumi.RunError) as caught:
        embed(build)
    message = str(caught.value)
    assert "keyVaults.shared.permissionModel: 'auto' reads the vault before anything is declared, but " in message
    assert "keyVaults.shared.name is an Output" in message
    assert "workloads[0].secretProviderClass: required (workload 'nginx') because keyVaults.shared.name" in message
