"""Workload identity: the graph, its ordering, its limits and the shipped example stack.

See docs/azure-rules.md §workload-identity.
"""

from __future__ import annotations

import re
from itertools import pairwise

import kubernetes_validate
import pulumi
import pytest

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.workload_identity import AUDIENCE, MAX_CREDENTIALS, POD_LABELS, credential_name, subject
from keyvault_csi.testing.mockgraph import DYNAMIC_NODE_IDENTITY, Graph, evaluate
from tests.support import (
    ACCESS_POLICY,
    CREDENTIAL,
    IDENTITY,
    K8S_VERSION,
    POD,
    ROLE_ASSIGNMENT,
    SERVICE_ACCOUNT,
    SPC,
    TOP,
    base_settings,
    pod_named,
    pod_workload,
    run_program,
    shared_service_account_settings,
    stack_graph,
)
from tools.review.plan_files import kubernetes_manifests

# Azure's rule for a federated identity credential's name.
CREDENTIAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return run_program(base_settings("workload"))


@pytest.fixture(scope="module")
def shared() -> Graph:
    """Two workloads sharing one service account, a third with its own, in another namespace."""
    return run_program(shared_service_account_settings("workload"))


def test_declares_identity_service_account_credential_and_no_node_write(graph: Graph) -> None:
    (identity,) = graph.by_type(IDENTITY)
    assert (identity.inputs["resourceName"], identity.inputs["resourceGroupName"]) == ("id-app", "rg-identities")
    assert graph.by_type(DYNAMIC_NODE_IDENTITY) == []
    (account,) = graph.by_type(SERVICE_ACCOUNT)
    assert account.inputs["metadata"]["name"] == "nginx" and account.inputs["metadata"]["namespace"] == "default"
    assert account.inputs["metadata"]["annotations"] == {"azure.workload.identity/client-id": "<id-app.clientId>"}
    (credential,) = graph.by_type(CREDENTIAL)
    assert credential.inputs == {
        "resourceGroupName": "rg-identities",
        "resourceName": "id-app",
        "federatedIdentityCredentialResourceName": "default_nginx",
        "issuer": "<aks.oidcIssuerURL>",
        "subject": "system:serviceaccount:default:nginx",
        "audiences": [AUDIENCE],
    }
    assert [i.args for i in graph.invokes if i.token.endswith("getManagedCluster")] == [
        {"resourceGroupName": "rg-aks", "resourceName": "aks"}
    ]


def test_class_names_the_client_id_with_no_use_flag_true(graph: Graph) -> None:
    (spc,) = graph.by_type(SPC)
    params = spc.inputs["spec"]["parameters"]
    assert params["clientID"] == "<id-app.clientId>"
    assert params["useVMManagedIdentity"] == "false" and params["usePodIdentity"] == "false"
    assert "userAssignedIdentityID" not in params and "useAzureTokenProxy" not in params


def test_pod_runs_as_the_service_account_with_the_workload_identity_label(graph: Graph) -> None:
    (pod,) = graph.by_type(POD)
    assert pod.inputs["spec"]["serviceAccountName"] == "nginx"
    assert pod.inputs["metadata"]["labels"]["azure.workload.identity/use"] == "true"


def test_grants_go_to_the_identity_principal(graph: Graph) -> None:
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.inputs["policy"]["objectId"] == "<id-app.principalId>"
    assert graph.stack_outputs["principalIds"] == {"identity": "<id-app.principalId>"}


def test_pod_waits_for_account_credential_class_and_grants(graph: Graph) -> None:
    (pod,) = graph.by_type(POD)
    for target in (
        graph.by_type(SERVICE_ACCOUNT) + graph.by_type(CREDENTIAL) + graph.by_type(SPC) + graph.by_type(ACCESS_POLICY)
    ):
        assert graph.depends_on(pod, target), f"Pod does not wait for {target.name}"


def test_nothing_waits_for_what_it_does_not_need(graph: Graph) -> None:
    (identity,) = graph.by_type(IDENTITY)
    (account,) = graph.by_type(SERVICE_ACCOUNT)
    (credential,) = graph.by_type(CREDENTIAL)
    (spc,) = graph.by_type(SPC)
    (policy,) = graph.by_type(ACCESS_POLICY)
    for resource in (account, credential, spc, policy):
        assert graph.depends_on(resource, identity), f"{resource.name} must wait for the identity"
    not_needed = {
        spc.name: [account, credential, policy],
        account.name: [credential, policy, spc],
        credential.name: [account, policy, spc],
        policy.name: [account, credential, spc],
    }
    for resource in (spc, account, credential, policy):
        for other in not_needed[resource.name]:
            assert not graph.depends_on(resource, other), f"{resource.name} needlessly waits for {other.name}"


def test_shared_service_account_is_one_account_and_one_credential(shared: Graph) -> None:
    accounts = {
        (a.inputs["metadata"]["namespace"], a.inputs["metadata"]["name"]) for a in shared.by_type(SERVICE_ACCOUNT)
    }
    assert accounts == {("shop", "shop-apps"), ("finance", "reports")}
    assert len(shared.by_type(SERVICE_ACCOUNT)) == 2
    assert sorted(c.inputs["subject"] for c in shared.by_type(CREDENTIAL)) == [
        "system:serviceaccount:finance:reports",
        "system:serviceaccount:shop:shop-apps",
    ]
    (shop_account,) = [a for a in shared.by_type(SERVICE_ACCOUNT) if a.inputs["metadata"]["name"] == "shop-apps"]
    for pod_name in ("api-secrets-store-inline", "worker-secrets-store-inline"):
        pod = pod_named(shared, pod_name)
        assert pod.inputs["spec"]["serviceAccountName"] == "shop-apps"
        assert shared.depends_on(pod, shop_account)
    reports = pod_named(shared, "reports-secrets-store-inline")
    assert reports.inputs["spec"]["serviceAccountName"] == "reports"
    assert not shared.depends_on(reports, shop_account), "a Pod waits for another namespace's service account"


def test_credentials_under_one_identity_are_written_one_at_a_time(shared: Graph) -> None:
    # Azure: ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity.
    credentials = sorted(shared.by_type(CREDENTIAL), key=lambda c: c.inputs["subject"])
    assert len(credentials) == 2
    for earlier, later in pairwise(credentials):
        assert earlier.urn in later.dependencies
        assert not shared.depends_on(earlier, later)


def test_every_child_is_parented_and_uses_explicit_providers(shared: Graph) -> None:
    (top,) = shared.by_type(TOP)
    providers = {r.type.rsplit(":", 1)[-1]: r.urn for r in shared.resources if r.type.startswith("pulumi:providers:")}
    for resource in shared.resources:
        if resource.type.startswith("pulumi:providers:") or resource is top:
            continue
        assert top.urn in shared.ancestors(resource), resource.name
        if resource.custom:
            assert resource.provider.startswith(providers[resource.type.split(":", 1)[0]] + "::"), resource.name
    assert all(i.provider.startswith(providers["azure-native"] + "::") for i in shared.invokes)


def test_protect_covers_identity_grants_and_credentials() -> None:
    settings = base_settings("workload")
    settings["protect"] = True
    graph = run_program(settings)
    protected = sorted(r.type for r in graph.resources if r.custom and r.protect)
    assert protected == sorted([IDENTITY, ACCESS_POLICY, CREDENTIAL])
    retained = sorted(r.type for r in graph.resources if r.custom and r.retain_on_delete)
    assert retained == protected
    assert not any(r.protect or r.retain_on_delete for r in run_program(base_settings("workload")).resources)


def test_cluster_without_oidc_issuer_fails_with_the_fix() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program(base_settings("workload"), clusters_without_oidc=("aks",))
    message = str(caught.value)
    for fragment in ("rg-aks/aks", "oidcIssuerProfile.issuerURL", "--enable-oidc-issuer", "--enable-workload-identity"):
        assert fragment in message, message


def test_twenty_credentials_fit_twenty_one_do_not() -> None:
    settings = base_settings("workload")
    settings["workloads"] = [pod_workload(f"app{i}") for i in range(MAX_CREDENTIALS)]
    validate_settings(settings)
    # More workloads on already-federated service accounts need no new credential.
    settings["workloads"] += [pod_workload(f"extra{i}", serviceAccount="app0") for i in range(5)]
    validate_settings(settings)
    settings["workloads"].append(pod_workload("one-too-many"))
    with pytest.raises(pulumi.RunError) as caught:
        validate_settings(settings, prefix="keyvault-csi:")
    message = str(caught.value)
    assert (
        "keyvault-csi:workloads: 21 distinct (namespace, serviceAccount) pairs" in message and "at most 20" in message
    )


def test_credential_names_are_valid_and_distinct() -> None:
    pairs = [
        ("a-b", "c"),
        ("a", "b-c"),
        ("a", "b.c"),
        ("a", "b.c-d"),
        ("x" * 63, "y" * 253),
        ("x" * 63, "y" * 252 + "z"),
    ]
    names = [credential_name(ns, sa) for ns, sa in pairs]
    assert len(set(names)) == len(names)
    assert all(CREDENTIAL_NAME.match(n) for n in names), names
    assert credential_name("shop", "shop-apps") == "shop_shop-apps"
    assert subject("shop", "shop-apps") == "system:serviceaccount:shop:shop-apps"


def test_example_stack_evaluates_and_its_manifests_are_valid() -> None:
    graph = stack_graph("examples/workload-identity")
    manifests = kubernetes_manifests(graph)
    kinds = sorted(m["kind"] for m in manifests.values())
    assert kinds == [
        "Pod",
        "Pod",
        "SecretProviderClass",
        "SecretProviderClass",
        "SecretProviderClass",
        "ServiceAccount",
        "ServiceAccount",
    ]
    for manifest in manifests.values():
        if manifest["kind"] in ("Pod", "ServiceAccount"):
            kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    assert graph.by_type(DYNAMIC_NODE_IDENTITY) == [] and graph.by_type(ROLE_ASSIGNMENT)
    assert len(graph.by_type(CREDENTIAL)) == 2
    assert graph.stack_outputs["identityClientId"] == "<id-shop-workloads.clientId>"


def test_one_account_and_credential_per_distinct_service_account() -> None:
    """Duplicates are declared once; a Pod waits for its own account and credential."""
    from keyvault_csi.azure.workload_identity import WorkloadIdentity
    from keyvault_csi.model.settings import IdentitySettings

    identity = IdentitySettings(
        type="workload",
        name="id-app",
        resource_group="rg-identities",
        cluster={"resource_group": "rg-aks", "name": "aks"},
    )

    def program() -> None:
        wi = WorkloadIdentity(
            "wi",
            identity,
            client_id="11111111-1111-1111-1111-111111111111",
            service_accounts=[("shop", "api"), ("shop", "api"), ("ops", "job")],
            protect=False,
        )
        pulumi.export("waits", [r.urn for r in wi.waits_for("shop", "api")])
        pulumi.export("name", wi.service_account_name("ops", "job"))

    graph = evaluate(program)
    assert len(graph.by_type(SERVICE_ACCOUNT)) == 2 and len(graph.by_type(CREDENTIAL)) == 2
    (api_account,) = [a for a in graph.by_type(SERVICE_ACCOUNT) if a.inputs["metadata"]["name"] == "api"]
    (api_credential,) = [c for c in graph.by_type(CREDENTIAL) if c.inputs["subject"] == subject("shop", "api")]
    assert graph.stack_outputs["waits"] == [api_account.urn, api_credential.urn]
    assert graph.stack_outputs["name"] == "job"
    assert POD_LABELS == {"azure.workload.identity/use": "true"}
