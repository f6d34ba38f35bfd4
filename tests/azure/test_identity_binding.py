"""Identity bindings (docs/azure-rules.md §identity-binding), black-box through stack config: the identity, the binding
on the cluster, the RBAC naming the client ID bound to each ServiceAccount, the classes, the Pods, nothing on nodes."""

from __future__ import annotations

import logging
import runpy

import kubernetes_validate
import pulumi
import pytest

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.identity_binding import BINDING_NAME, default_binding_name
from keyvault_csi.rules.workload_identity import MAX_CREDENTIALS
from keyvault_csi.testing import KeyVaultCsiMocks
from keyvault_csi.testing.mockgraph import DYNAMIC_NODE_IDENTITY, GET_MANAGED_CLUSTER, Graph, evaluate
from tests.support import (
    ACCESS_POLICY,
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    CREDENTIAL,
    IDENTITY,
    IDENTITY_BINDING,
    IDENTITY_ID,
    K8S_VERSION,
    POD,
    ROLE_ASSIGNMENT,
    ROOT,
    SERVICE_ACCOUNT,
    SPC,
    as_stack_config,
    base_settings,
    pod_named,
    pod_workload,
    run_program,
    shared_service_account_settings,
    stack_graph,
)
from tools.review.plan_files import kubernetes_manifests

BINDING = default_binding_name("rg-identities", "id-app")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return run_program(base_settings("identityBinding"))


@pytest.fixture(scope="module")
def shared() -> Graph:
    """Two workloads sharing one service account, a third with its own, in another namespace."""
    return run_program(shared_service_account_settings("identityBinding"))


def binding_for(graph: Graph, namespace: str, account: str):
    (found,) = [
        b for b in graph.by_type(CLUSTER_ROLE_BINDING) if b.inputs["subjects"][0] == subject(namespace, account)
    ]
    return found


def subject(namespace: str, account: str) -> dict:
    return {"kind": "ServiceAccount", "name": account, "namespace": namespace}


def test_declares_the_identity_and_binds_it_to_the_cluster(graph: Graph) -> None:
    (identity,) = graph.by_type(IDENTITY)
    assert (identity.inputs["resourceName"], identity.inputs["resourceGroupName"]) == ("id-app", "rg-identities")
    (binding,) = graph.by_type(IDENTITY_BINDING)
    assert binding.inputs == {
        "resourceGroupName": "rg-aks",
        "resourceName": "aks",
        "identityBindingName": BINDING,
        "properties": {"managedIdentity": {"resourceId": identity.outputs["id"]}},
    }
    assert BINDING_NAME.match(BINDING)


def test_no_federated_credential_and_nothing_on_the_nodes(graph: Graph) -> None:
    # AKS makes the identity's one credential (aks-identity-binding) when the binding is created.
    assert graph.by_type(CREDENTIAL) == []
    assert graph.by_type(DYNAMIC_NODE_IDENTITY) == []


def test_the_cluster_role_names_the_client_id_and_is_bound_to_the_service_account(graph: Graph) -> None:
    (role,) = graph.by_type(CLUSTER_ROLE)
    assert role.inputs["rules"] == [
        {"apiGroups": ["cid.wi.aks.azure.com"], "resources": ["<id-app.clientId>"], "verbs": ["use-managed-identity"]}
    ]
    assert role.inputs["metadata"]["name"] == f"use-mi-{BINDING}"
    (binding,) = graph.by_type(CLUSTER_ROLE_BINDING)
    assert binding.inputs["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": f"use-mi-{BINDING}",
    }
    assert binding.inputs["subjects"] == [subject("default", "nginx")]
    assert graph.depends_on(binding, role)
    (account,) = graph.by_type(SERVICE_ACCOUNT)
    assert account.inputs["metadata"]["name"] == "nginx" and account.inputs["metadata"]["namespace"] == "default"
    assert account.inputs["metadata"]["annotations"] == {"azure.workload.identity/client-id": "<id-app.clientId>"}


def test_class_uses_the_token_proxy_with_the_client_id(graph: Graph) -> None:
    (spc,) = graph.by_type(SPC)
    params = spc.inputs["spec"]["parameters"]
    assert params["clientID"] == "<id-app.clientId>" and params["useAzureTokenProxy"] == "true"
    assert params["useVMManagedIdentity"] == "false" and params["usePodIdentity"] == "false"
    assert "userAssignedIdentityID" not in params


def test_pod_runs_as_its_service_account_without_a_webhook_label(graph: Graph) -> None:
    # The driver requests the token for the Pod's service account itself: no workload identity webhook involved.
    (pod,) = graph.by_type(POD)
    assert pod.inputs["spec"]["serviceAccountName"] == "nginx"
    assert "azure.workload.identity/use" not in pod.inputs["metadata"].get("labels", {})
    assert graph.stack_outputs["serviceAccounts"] == {"nginx": "nginx"}
    assert graph.stack_outputs["podLabels"] == {"nginx": {}}


def test_grants_go_to_the_identity_principal(graph: Graph) -> None:
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.inputs["policy"]["objectId"] == "<id-app.principalId>"


def test_pod_waits_for_account_role_binding_binding_class_and_grants(graph: Graph) -> None:
    (pod,) = graph.by_type(POD)
    needed = (
        graph.by_type(SERVICE_ACCOUNT)
        + graph.by_type(CLUSTER_ROLE_BINDING)
        + graph.by_type(CLUSTER_ROLE)
        + graph.by_type(IDENTITY_BINDING)
        + graph.by_type(SPC)
        + graph.by_type(ACCESS_POLICY)
    )
    for target in needed:
        assert graph.depends_on(pod, target), f"Pod does not wait for {target.name}"


def test_nothing_waits_for_what_it_does_not_need(graph: Graph) -> None:
    (identity,) = graph.by_type(IDENTITY)
    (account,) = graph.by_type(SERVICE_ACCOUNT)
    (binding,) = graph.by_type(IDENTITY_BINDING)
    (role,) = graph.by_type(CLUSTER_ROLE)
    (spc,) = graph.by_type(SPC)
    (policy,) = graph.by_type(ACCESS_POLICY)
    for resource in (account, binding, role, spc, policy):
        assert graph.depends_on(resource, identity), f"{resource.name} must wait for the identity"
    others = [account, binding, role, spc, policy]
    for resource in others:
        for other in others:
            if other is not resource:
                assert not graph.depends_on(resource, other), f"{resource.name} needlessly waits for {other.name}"


def test_shared_service_account_is_one_account_and_one_role_binding(shared: Graph) -> None:
    accounts = {
        (a.inputs["metadata"]["namespace"], a.inputs["metadata"]["name"]) for a in shared.by_type(SERVICE_ACCOUNT)
    }
    assert accounts == {("shop", "shop-apps"), ("finance", "reports")}
    assert len(shared.by_type(CLUSTER_ROLE_BINDING)) == 2 and len(shared.by_type(CLUSTER_ROLE)) == 1
    assert binding_for(shared, "shop", "shop-apps").inputs["metadata"]["name"] == f"use-mi-{BINDING}.shop.shop-apps"
    shop = binding_for(shared, "shop", "shop-apps")
    finance = binding_for(shared, "finance", "reports")
    for pod_name in ("api-secrets-store-inline", "worker-secrets-store-inline"):
        pod = pod_named(shared, pod_name)
        assert pod.inputs["spec"]["serviceAccountName"] == "shop-apps"
        assert shared.depends_on(pod, shop) and not shared.depends_on(pod, finance)
    reports = pod_named(shared, "reports-secrets-store-inline")
    assert shared.depends_on(reports, finance) and not shared.depends_on(reports, shop)


def test_more_service_accounts_than_credentials_an_identity_may_hold() -> None:
    # One credential (AKS's) serves them all: workload identity's limit of 20 does not apply.
    settings = base_settings("identityBinding")
    settings["workloads"] = [pod_workload(f"app{i}") for i in range(MAX_CREDENTIALS + 5)]
    validate_settings(settings)
    graph = run_program(settings)
    assert len(graph.by_type(CLUSTER_ROLE_BINDING)) == MAX_CREDENTIALS + 5
    assert graph.by_type(CREDENTIAL) == [] and len(graph.by_type(IDENTITY_BINDING)) == 1


def test_an_existing_identity_is_read_and_bound() -> None:
    settings = base_settings("identityBinding")
    settings["identity"] = {
        "type": "identityBinding",
        "resourceId": IDENTITY_ID,
        **{"cluster": settings["identity"]["cluster"]},
    }
    graph = run_program(settings)
    assert graph.by_type(IDENTITY) == []
    (binding,) = graph.by_type(IDENTITY_BINDING)
    assert binding.inputs["properties"] == {"managedIdentity": {"resourceId": IDENTITY_ID}}
    assert binding.inputs["identityBindingName"] == default_binding_name("rg-identities", "id-existing")
    (spc,) = graph.by_type(SPC)
    assert spc.inputs["spec"]["parameters"]["clientID"] == "<id-existing.clientId>"


def test_protect_covers_identity_grants_and_the_binding() -> None:
    settings = base_settings("identityBinding")
    settings["protect"] = True
    graph = run_program(settings)
    protected = sorted(r.type for r in graph.resources if r.custom and r.protect)
    assert protected == sorted([IDENTITY, ACCESS_POLICY, IDENTITY_BINDING])
    assert sorted(r.type for r in graph.resources if r.custom and r.retain_on_delete) == protected


def test_a_cluster_with_api_server_vnet_integration_fails_the_preview() -> None:
    mocks = KeyVaultCsiMocks(invokes={GET_MANAGED_CLUSTER: {"apiServerAccessProfile": {"enableVnetIntegration": True}}})

    def program() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    with pytest.raises(pulumi.RunError) as caught:
        evaluate(program, as_stack_config(base_settings("identityBinding")), mocks=mocks)
    message = str(caught.value)
    assert "rg-aks/aks uses API server VNet integration" in message and "identity type workload" in message


def test_nodes_are_refused_and_identity_keys_checked() -> None:
    settings = base_settings("identityBinding")
    settings["nodes"] = {"agentPools": ["nodepool1"], "cluster": {"resourceGroup": "rg-aks", "name": "aks"}}
    with pytest.raises(pulumi.RunError, match="refused for identity type identityBinding"):
        validate_settings(settings, prefix="keyvault-csi:")
    for identity in (
        {"type": "identityBinding", "name": "id-app", "resourceGroup": "rg-identities"},
        {
            "type": "identityBinding",
            "resourceId": IDENTITY_ID,
            "name": "id-app",
            "cluster": {"resourceGroup": "r", "name": "a"},
        },
    ):
        with pytest.raises(pulumi.RunError, match="type identityBinding takes name \\+ resourceGroup"):
            validate_settings({**base_settings("identityBinding"), "identity": identity}, prefix="keyvault-csi:")


def test_example_stack_evaluates_and_its_manifests_are_valid() -> None:
    graph = stack_graph("examples/identity-binding")
    manifests = kubernetes_manifests(graph)
    kinds = sorted(m["kind"] for m in manifests.values())
    assert kinds == [
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterRoleBinding",
        "Deployment",
        "Pod",
        "Pod",
        "SecretProviderClass",
        "SecretProviderClass",
        "SecretProviderClass",
        "ServiceAccount",
        "ServiceAccount",
    ]
    for manifest in manifests.values():
        if manifest["kind"] != "SecretProviderClass":
            kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    assert graph.by_type(DYNAMIC_NODE_IDENTITY) == [] and graph.by_type(CREDENTIAL) == []
    assert graph.by_type(ROLE_ASSIGNMENT) and len(graph.by_type(IDENTITY_BINDING)) == 1
    # Chart 1.8.2 with its default token requests, which include the identity binding audience.
    (release,) = [r for r in graph.resources if r.type == "kubernetes:helm.sh/v3:Release"]
    assert release.inputs["version"] == "1.8.2"
    assert "tokenRequests" not in release.inputs["values"].get("secrets-store-csi-driver", {})


def test_identity_names_given_as_outputs_name_the_binding_once_known() -> None:
    from keyvault_csi import AksKeyVaultSecrets

    def program() -> None:
        settings = base_settings("identityBinding")
        settings["identity"]["name"] = pulumi.Output.from_input("id-app")
        settings["identity"]["resourceGroup"] = pulumi.Output.from_input("rg-identities")
        AksKeyVaultSecrets("test", settings)

    graph = evaluate(program)
    (binding,) = graph.by_type(IDENTITY_BINDING)
    assert binding.inputs["identityBindingName"] == BINDING
    (role,) = graph.by_type(CLUSTER_ROLE)
    assert role.inputs["metadata"]["name"] == f"use-mi-{BINDING}"


def test_the_binding_reports_the_issuer_aks_made_for_the_identity() -> None:
    from keyvault_csi import AksKeyVaultSecrets

    def program() -> None:
        component = AksKeyVaultSecrets("test", base_settings("identityBinding"))
        assert component.identity_binding is not None
        pulumi.export("issuer", component.identity_binding.issuer_url)

    assert evaluate(program).stack_outputs["issuer"] == "<id-app.identityBindingIssuerURL>"


@pytest.mark.parametrize(("install", "fragment"), [("none", "driver.install none"), ("aksAddon", "v1.7.2")])
def test_a_driver_the_stack_does_not_install_is_warned_about(
    install: str, fragment: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = base_settings("identityBinding")
    settings["driver"] = {"install": install}
    with caplog.at_level(logging.WARNING):  # the mock engine logs pulumi.log.warn through the root logger
        run_program(settings)
    (warning,) = [m for m in caplog.messages if "identity type identityBinding" in m]
    assert fragment in warning and "api://AKSIdentityBinding" in warning


def test_a_helm_driver_is_not_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    settings = base_settings("identityBinding")
    settings["driver"] = {"install": "helm"}
    with caplog.at_level(logging.WARNING):
        run_program(settings)
    assert not [m for m in caplog.messages if "identity type identityBinding" in m]
