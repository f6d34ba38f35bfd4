"""The dependency graph of each identity mode, as the Pulumi engine would receive it (mock runtime)."""

from __future__ import annotations

import json
import logging
from itertools import pairwise
from typing import Any

import pulumi
import pytest
import yaml

from keyvault_csi.rules.grants import ROLE_ASSIGNMENT_NAMESPACE, role_assignment_name
from keyvault_csi.rules.objects import parse_objects
from keyvault_csi.testing.mockgraph import DYNAMIC_NODE_IDENTITY, Graph, RecordedResource
from keyvault_csi.testing.mockgraph import PLACEHOLDER_SUBSCRIPTION as PLACEHOLDER
from tests.support import (
    ACCESS_POLICY,
    IDENTITY,
    POD,
    ROLE_ASSIGNMENT,
    SPC,
    SUBSCRIPTION,
    TOP,
    base_settings,
    run_program,
    stack_graph,
)
from tools.review.plan_files import kubernetes_manifests
from tools.review.stackfile import available_stacks


def custom(graph: Graph) -> list[RecordedResource]:
    return [r for r in graph.resources if r.custom and not r.type.startswith("pulumi:providers:")]


def grants(graph: Graph) -> list[RecordedResource]:
    return graph.by_type(ACCESS_POLICY) + graph.by_type(ROLE_ASSIGNMENT)


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    # The existing identity lives in the provider's subscription (another one: tests/azure/test_providers.py).
    return {
        mode: run_program(base_settings(mode), client_subscription=SUBSCRIPTION if mode == "existing" else PLACEHOLDER)
        for mode in ("userAssigned", "existing", "systemAssigned", "kubelet")
    }


def test_user_assigned_creates_identity_assigns_every_node_and_grants_once(graphs: dict[str, Graph]) -> None:
    graph = graphs["userAssigned"]
    (identity,) = graph.by_type(IDENTITY)
    assert identity.inputs["resourceName"] == "id-app" and identity.inputs["resourceGroupName"] == "rg-identities"
    nodes = graph.by_type(DYNAMIC_NODE_IDENTITY)
    assert sorted(
        n.inputs["nodeId"].rsplit("/", 2)[-2] + "/" + n.inputs["nodeId"].rsplit("/", 1)[-1] for n in nodes
    ) == [
        "virtualMachineScaleSets/aks-nodepool1-12345678-vmss",
        "virtualMachineScaleSets/aks-nodepool2-12345678-vmss",
        "virtualMachines/k8s-agent-0",
    ]
    for node in nodes:
        assert node.inputs["userAssignedIdentities"] == [identity.outputs["id"]]
        assert node.inputs["systemAssigned"] is False
        assert node.inputs["nodeId"].startswith("/subscriptions/<subscriptionId>/resourceGroups/")
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.inputs["policy"]["objectId"] == "<id-app.principalId>"
    spc = graph.by_type(SPC)[0].inputs["spec"]["parameters"]
    assert spc["userAssignedIdentityID"] == "<id-app.clientId>"


def test_existing_identity_is_looked_up_not_created(graphs: dict[str, Graph]) -> None:
    graph = graphs["existing"]
    assert graph.by_type(IDENTITY) == []
    lookups = [i for i in graph.invokes if i.token == "azure-native:managedidentity:getUserAssignedIdentity"]
    assert [(i.args["resourceGroupName"], i.args["resourceName"]) for i in lookups] == [
        ("rg-identities", "id-existing")
    ]
    for node in graph.by_type(DYNAMIC_NODE_IDENTITY):
        assert node.inputs["userAssignedIdentities"] == [base_settings("existing")["identity"]["resourceId"]]
    assert graph.by_type(SPC)[0].inputs["spec"]["parameters"]["userAssignedIdentityID"] == "<id-existing.clientId>"


def test_kubelet_identity_creates_and_assigns_nothing(graphs: dict[str, Graph]) -> None:
    graph = graphs["kubelet"]
    assert graph.by_type(IDENTITY) == [] and graph.by_type(DYNAMIC_NODE_IDENTITY) == []
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.inputs["policy"]["objectId"] == "<aks-agentpool.objectId>"
    assert graph.by_type(SPC)[0].inputs["spec"]["parameters"]["userAssignedIdentityID"] == "<aks-agentpool.clientId>"
    assert [i.args for i in graph.invokes if i.token.endswith("getManagedCluster")] == [
        {"resourceGroupName": "rg-aks", "resourceName": "aks"}
    ]


def test_system_assigned_turns_on_node_identities_and_grants_each_node(graphs: dict[str, Graph]) -> None:
    graph = graphs["systemAssigned"]
    assert graph.by_type(IDENTITY) == []
    nodes = graph.by_type(DYNAMIC_NODE_IDENTITY)
    assert len(nodes) == 3
    assert all(n.inputs["systemAssigned"] is True and n.inputs["userAssignedIdentities"] == [] for n in nodes)
    policies = graph.by_type(ACCESS_POLICY)
    assert sorted(p.inputs["policy"]["objectId"] for p in policies) == sorted(n.outputs["principalId"] for n in nodes)
    params = graph.by_type(SPC)[0].inputs["spec"]["parameters"]
    assert params["userAssignedIdentityID"] == "" and params["useVMManagedIdentity"] == "true"
    assert graph.stack_outputs["identityClientId"] == ""
    assert len(graph.stack_outputs["principalIds"]) == 3


@pytest.mark.parametrize("mode", ["userAssigned", "existing", "systemAssigned", "kubelet"])
def test_every_child_is_parented_and_uses_explicit_providers(graphs: dict[str, Graph], mode: str) -> None:
    graph = graphs[mode]
    index = graph.by_urn()
    (top,) = graph.by_type(TOP)
    for resource in graph.resources:
        if resource.type.startswith("pulumi:providers:") or resource is top:
            continue
        assert top.urn in graph.ancestors(resource), f"{resource.name} is not under the top-level component"
        assert resource.parent in index
    providers = {r.type.rsplit(":", 1)[-1]: r.urn for r in graph.resources if r.type.startswith("pulumi:providers:")}
    assert set(providers) == {"azure-native", "kubernetes"}
    for resource in custom(graph):
        if resource.type == DYNAMIC_NODE_IDENTITY:
            continue  # served by Pulumi's own dynamic provider, not a package provider
        package = resource.type.split(":", 1)[0]
        assert resource.provider.startswith(providers[package] + "::"), resource.name
    for invoke in graph.invokes:
        assert invoke.provider.startswith(providers["azure-native"] + "::"), invoke.token


@pytest.mark.parametrize("mode", ["userAssigned", "existing", "systemAssigned", "kubelet"])
def test_pod_waits_for_its_class_every_grant_and_every_node(graphs: dict[str, Graph], mode: str) -> None:
    graph = graphs[mode]
    (pod,) = graph.by_type(POD)
    (spc,) = graph.by_type(SPC)
    for target in [spc, *grants(graph), *graph.by_type(DYNAMIC_NODE_IDENTITY)]:
        assert graph.depends_on(pod, target), f"Pod does not wait for {target.name}"


def test_class_waits_for_identity_only(graphs: dict[str, Graph]) -> None:
    graph = graphs["userAssigned"]
    (spc,) = graph.by_type(SPC)
    (identity,) = graph.by_type(IDENTITY)
    assert graph.depends_on(spc, identity)
    for other in grants(graph) + graph.by_type(DYNAMIC_NODE_IDENTITY):
        assert not graph.depends_on(spc, other), f"class needlessly waits for {other.name}"


def test_nodes_and_grants_run_in_parallel(graphs: dict[str, Graph]) -> None:
    graph = graphs["userAssigned"]
    nodes = graph.by_type(DYNAMIC_NODE_IDENTITY)
    for a in nodes:
        for b in nodes + grants(graph):
            if a is not b:
                assert not graph.depends_on(a, b), f"{a.name} waits for {b.name}"
        for grant in grants(graph):
            assert not graph.depends_on(grant, a), f"{grant.name} waits for {a.name}"


def test_access_policy_writes_to_one_vault_are_chained() -> None:
    graph = run_program(base_settings("systemAssigned"))
    policies = sorted(graph.by_type(ACCESS_POLICY), key=lambda p: p.name)
    assert len(policies) == 3
    for earlier, later in pairwise(policies):
        assert earlier.urn in later.dependencies


def test_rbac_vault_gets_minimal_roles_scoped_to_the_vault() -> None:
    settings = base_settings("userAssigned")
    settings["keyVault"]["permissionModel"] = "rbac"
    settings["workloads"][0]["objects"].append({"objectName": "tls", "objectType": "cert"})
    graph = run_program(settings)
    assert graph.by_type(ACCESS_POLICY) == []
    roles = graph.by_type(ROLE_ASSIGNMENT)
    scope = "/subscriptions/<subscriptionId>/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kvname"
    assert sorted(r.inputs["roleDefinitionId"].rsplit("/", 1)[-1] for r in roles) == sorted(
        [
            "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User: the secret
            "21090545-7ca7-4776-b22c-e363652d74d2",  # Key Vault Reader: the key and the cert, one assignment
        ]
    )
    for role in roles:
        assert role.inputs["scope"] == scope
        assert role.inputs["principalType"] == "ServicePrincipal"
        assert role.inputs["principalId"] == "<id-app.principalId>"
        guid = role.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        assert role.inputs["roleAssignmentName"] == role_assignment_name(scope, "<id-app.principalId>", guid)
    for a in roles:  # RBAC writes do not conflict: no chain
        assert not any(graph.depends_on(a, b) for b in roles if b is not a)
    (pod,) = graph.by_type(POD)
    assert all(graph.depends_on(pod, r) for r in roles)


def test_role_assignment_names_are_stable_guids() -> None:
    name = role_assignment_name("/SUBSCRIPTIONS/x/vaults/KV", "P", "g")
    assert name == role_assignment_name("/subscriptions/x/vaults/kv", "p", "g")
    assert name != role_assignment_name("/subscriptions/x/vaults/kv", "p", "h")
    assert (
        str(ROLE_ASSIGNMENT_NAMESPACE) == "5f0f3c1e-7a57-4b8e-9d6e-6b657976617c"
    )  # changing it renames every assignment


@pytest.mark.parametrize(("rbac", "expected"), [(True, ROLE_ASSIGNMENT), (False, ACCESS_POLICY)])
def test_auto_permission_model_reads_the_vault(rbac: bool, expected: str) -> None:
    settings = base_settings("userAssigned")
    settings["keyVault"]["permissionModel"] = "auto"
    graph = run_program(settings, vault_rbac={"kvname": rbac})
    assert [r.type for r in grants(graph)] == [expected] * len(grants(graph)) and grants(graph)
    assert [i.args for i in graph.invokes if i.token == "azure-native:keyvault:getVault"] == [
        {"resourceGroupName": "rg-secrets", "vaultName": "kvname"}
    ]


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ([{"objectName": "s", "objectType": "secret"}], {"secrets": ["get"]}),
        ([{"objectName": "k", "objectType": "key"}], {"keys": ["get"]}),
        ([{"objectName": "c", "objectType": "cert"}], {"certificates": ["get"]}),
        (
            [
                {"objectName": "s", "objectType": "secret", "objectVersionHistory": 5},
                {"objectName": "c", "objectType": "cert"},
            ],
            {"certificates": ["get"], "secrets": ["get", "list"]},
        ),
        ([{"objectName": "s", "objectType": "secret", "objectVersionHistory": 1}], {"secrets": ["get"]}),
    ],
)
def test_access_policy_is_least_privilege(objects: list[dict], expected: dict) -> None:
    settings = base_settings("kubelet")
    settings["workloads"][0]["objects"] = objects
    (policy,) = run_program(settings).by_type(ACCESS_POLICY)
    assert policy.inputs["policy"]["permissions"] == expected
    assert policy.inputs["policy"]["tenantId"] == settings["tenantId"]


def test_protect_applies_to_identity_and_grants_only() -> None:
    settings = base_settings("userAssigned")
    settings["protect"] = True
    graph = run_program(settings)
    protected = sorted(r.type for r in custom(graph) if r.protect)
    assert protected == sorted([IDENTITY, ACCESS_POLICY])


def test_stack_outputs(graphs: dict[str, Graph]) -> None:
    outputs = graphs["userAssigned"].stack_outputs
    volume = {
        "name": "secrets-store-inline",
        "csi": {
            "driver": "secrets-store.csi.k8s.io",
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": "azure-kvname-nginx"},
        },
    }
    assert outputs == {
        "identityClientId": "<id-app.clientId>",
        "identityResourceId": f"/subscriptions/{PLACEHOLDER}/resourceGroups/rg-identities/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/id-app",
        "principalIds": {"identity": "<id-app.principalId>"},
        "namespaces": {"nginx": "default"},
        "secretProviderClasses": {"nginx": ["azure-kvname-nginx"]},
        "pods": {"nginx": "nginx-secrets-store-inline"},
        "deployments": {},
        "serviceAccounts": {},
        "podLabels": {"nginx": {}},
        "volumes": {"nginx": [volume]},
        "volumeMounts": {
            "nginx": [{"name": "secrets-store-inline", "mountPath": "/mnt/secrets-store", "readOnly": True}]
        },
        "nodePlacement": {},
        "rolloutAnnotations": {"nginx": {}},
    }


def test_same_config_declares_the_same_graph_byte_for_byte() -> None:
    def snapshot(graph: Graph) -> str:
        # Registration order is async and may vary; the declared graph may not.
        rows = [
            (r.urn, r.parent, r.dependencies, r.property_dependencies, r.inputs, r.protect) for r in graph.resources
        ]
        return json.dumps(sorted(rows, key=lambda row: row[0]), sort_keys=True)

    first, second = (run_program(base_settings("systemAssigned")) for _ in range(2))
    assert snapshot(first) == snapshot(second)
    assert kubernetes_manifests(first) == kubernetes_manifests(second)


@pytest.mark.parametrize("stack", available_stacks())
def test_shipped_stacks_evaluate(stack: str) -> None:
    graph = stack_graph(stack)
    manifests = kubernetes_manifests(graph)
    # apps/v1: Deployments; rbac: identity bindings' ClusterRole and ClusterRoleBindings.
    api_versions = ("v1", "apps/v1", "secrets-store.csi.x-k8s.io/v1", "rbac.authorization.k8s.io/v1")
    assert manifests and all(m["apiVersion"] in api_versions for m in manifests.values())


def test_stacks_disable_default_providers() -> None:
    from tools.review.stackfile import ROOT

    for path in [*sorted((ROOT / "stacks").glob("Pulumi.*.yaml")), *sorted((ROOT / "examples").glob("Pulumi.*.yaml"))]:
        config = yaml.safe_load(path.read_text())["config"]
        assert config["pulumi:disable-default-providers"] == ["azure-native", "kubernetes"], path.name


def test_prod_is_rbac_and_protected() -> None:
    graph = stack_graph("prod")
    assert graph.by_type(ACCESS_POLICY) == [] and graph.by_type(ROLE_ASSIGNMENT)
    assert all(r.protect for r in graph.by_type(ROLE_ASSIGNMENT) + graph.by_type(IDENTITY))
    assert not any(r.protect for r in graph.by_type(POD) + graph.by_type(SPC))


@pytest.mark.parametrize(
    ("kubernetes", "secret"),
    [
        ({"kubeconfig": "apiVersion: v1\nkind: Config\n"}, True),
        ({"cluster": {"resourceGroup": "rg-aks", "name": "aks"}}, True),
        (None, False),
    ],
)
def test_kubernetes_provider_sources_keep_the_kubeconfig_secret(kubernetes: dict | None, secret: bool) -> None:
    settings = base_settings("kubelet")
    if kubernetes:
        settings["kubernetes"] = kubernetes
    graph = run_program(settings)
    (provider,) = graph.by_type("pulumi:providers:kubernetes")
    kubeconfig = provider.inputs.get("kubeconfig")
    if not secret:
        assert kubeconfig is None  # ambient ~/.kube/config or KUBECONFIG
        return
    assert isinstance(kubeconfig, dict) and set(kubeconfig) == {"value"}, (
        "kubeconfig must reach the provider as a secret"
    )
    if "cluster" in kubernetes:
        assert [i.args for i in graph.invokes if i.token.endswith("listManagedClusterUserCredentials")] == [
            {"resourceGroupName": "rg-aks", "resourceName": "aks"}
        ]
        assert kubeconfig["value"] == "# <aks.kubeconfig>\n"
    assert "kubeconfig" not in json.dumps(graph.stack_outputs)


# --- several vaults -------------------------------------------------------------------------------


def several_vaults() -> dict[str, Any]:
    """Two vaults: ``shared`` (RBAC) and ``team`` (access policies); the workload reads both."""
    settings = base_settings("userAssigned")
    del settings["keyVault"]
    settings["keyVaults"] = {
        "shared": {"name": "kv-shared", "resourceGroup": "rg-shared", "permissionModel": "rbac"},
        "team": {"name": "kv-team", "resourceGroup": "rg-team", "permissionModel": "accessPolicy"},
    }
    settings["workloads"][0]["objects"] = [
        {"objectName": "db-password", "objectType": "secret", "keyVault": "team"},
        {"objectName": "signing", "objectType": "key", "keyVault": "shared"},
        {"objectName": "db-password", "objectType": "secret", "keyVault": "shared"},  # same file, other mount
    ]
    return settings


def test_several_vaults_one_class_and_volume_per_vault_grants_in_each_model() -> None:
    graph = run_program(several_vaults())
    classes = {c.inputs["metadata"]["name"]: c.inputs["spec"]["parameters"] for c in graph.by_type(SPC)}
    assert sorted(classes) == ["azure-kv-shared-nginx", "azure-kv-team-nginx"]
    assert classes["azure-kv-team-nginx"]["keyvaultName"] == "kv-team"
    assert [o["objectName"] for o in parse_objects(classes["azure-kv-shared-nginx"]["objects"])] == [
        "signing",
        "db-password",
    ]
    assert "keyVault" not in classes["azure-kv-team-nginx"]["objects"]  # ours, not the provider's field
    (pod,) = graph.by_type(POD)
    spec = pod.inputs["spec"]
    volumes = {v["name"]: v for v in spec["volumes"] if "csi" in v}
    assert {n: v["csi"]["volumeAttributes"]["secretProviderClass"] for n, v in volumes.items()} == {
        "secrets-store-team": "azure-kv-team-nginx",
        "secrets-store-shared": "azure-kv-shared-nginx",
    }
    assert all(v["csi"]["readOnly"] is True for v in volumes.values())
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"] if m["name"] in volumes}
    assert {n: (m["mountPath"], m["readOnly"]) for n, m in mounts.items()} == {
        "secrets-store-team": ("/mnt/secrets-store/team", True),
        "secrets-store-shared": ("/mnt/secrets-store/shared", True),
    }
    (policy,) = graph.by_type(ACCESS_POLICY)  # the team vault: access policies for its secret
    assert policy.inputs["vaultName"] == "kv-team" and policy.inputs["policy"]["permissions"] == {"secrets": ["get"]}
    roles = graph.by_type(ROLE_ASSIGNMENT)  # the shared vault: RBAC for a key and a secret
    assert {r.inputs["scope"].rsplit("/", 1)[-1] for r in roles} == {"kv-shared"} and len(roles) == 2
    for grant in [policy, *roles]:
        assert graph.depends_on(pod, grant)


def test_several_vaults_outputs_list_every_class_and_volume() -> None:
    outputs = run_program(several_vaults()).stack_outputs
    assert outputs["secretProviderClasses"] == {"nginx": ["azure-kv-team-nginx", "azure-kv-shared-nginx"]}
    assert [v["name"] for v in outputs["volumes"]["nginx"]] == ["secrets-store-team", "secrets-store-shared"]
    assert [m["mountPath"] for m in outputs["volumeMounts"]["nginx"]] == [
        "/mnt/secrets-store/team",
        "/mnt/secrets-store/shared",
    ]


def test_a_workload_reading_one_of_several_vaults_mounts_as_with_one_vault() -> None:
    settings = several_vaults()
    settings["workloads"][0]["objects"] = settings["workloads"][0]["objects"][:1]
    settings["keyVaults"]["shared"]["permissionModel"] = "rbac"
    settings["workloads"].append(
        {"name": "other", "objects": [{"objectName": "signing", "objectType": "key", "keyVault": "shared"}]}
    )
    graph = run_program(settings)
    (pod,) = graph.by_type(POD)
    (volume,) = [v for v in pod.inputs["spec"]["volumes"] if "csi" in v]
    assert volume["name"] == "secrets-store-inline"
    assert pod.inputs["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == "/mnt/secrets-store"
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert not graph.depends_on(pod, graph.by_type(ROLE_ASSIGNMENT)[0])  # it does not read the shared vault
    assert graph.depends_on(pod, policy)


def test_mount_paths_and_class_names_per_vault_can_be_set() -> None:
    settings = several_vaults()
    workload = settings["workloads"][0]
    workload["secretProviderClass"] = "web"
    workload["pod"]["mountPaths"] = {"shared": "/etc/shared-secrets"}
    graph = run_program(settings)
    assert sorted(c.inputs["metadata"]["name"] for c in graph.by_type(SPC)) == ["web-shared", "web-team"]
    (pod,) = graph.by_type(POD)
    paths = [m["mountPath"] for m in pod.inputs["spec"]["containers"][0]["volumeMounts"]]
    assert "/etc/shared-secrets" in paths and "/mnt/secrets-store/team" in paths


def test_a_synced_secret_goes_to_the_class_whose_files_it_copies() -> None:
    settings = several_vaults()
    settings["workloads"][0]["secretObjects"] = [
        {"secretName": "signing", "data": [{"objectName": "signing", "key": "key.pem"}]},
    ]
    classes = {c.inputs["metadata"]["name"]: c for c in run_program(settings).by_type(SPC)}
    assert "secretObjects" not in classes["azure-kv-team-nginx"].inputs["spec"]
    assert [s["secretName"] for s in classes["azure-kv-shared-nginx"].inputs["spec"]["secretObjects"]] == ["signing"]


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: seen.append(message))
    return seen


def with_modes(*modes: str | None, pod: dict | None = None) -> dict:
    """The kubelet settings with one secret per mode (None: no filePermission) and ``pod`` (None: no Pod)."""
    settings = base_settings("kubelet")
    workload = settings["workloads"][0]
    workload["objects"] = [
        {"objectName": f"s{i}", "objectType": "secret", **({"filePermission": m} if m else {})}
        for i, m in enumerate(modes)
    ]
    if pod is None:
        del workload["pod"]
    else:
        workload["pod"] = pod
    return settings


NON_ROOT = {"image": "nginxinc/nginx-unprivileged"}


def test_a_mode_that_hides_files_from_the_non_root_pod_warns_once_with_the_fix(warnings: list[str]) -> None:
    run_program(with_modes("0440", "0644", "400", "0444", None, pod=NON_ROOT))
    (warning,) = warnings
    assert (
        "workloads[0] default/nginx (its Pod runs as non-root): objects[0] 's0' 0440, objects[2] 's2' 400." in warning
    )
    assert "owned by root (uid 0, gid 0)" in warning and 'filePermission "0444" or "0644"' in warning
    assert "pod.securityContext.runAsRoot: true" in warning


def test_a_class_mounted_by_your_own_pods_warns_that_their_user_decides(warnings: list[str]) -> None:
    run_program(with_modes("0640"))
    (warning,) = warnings
    assert "default/nginx (mounted by your own Pods: readable only if they run as root or in group 0)" in warning


@pytest.mark.parametrize(
    "pod",
    [
        {"image": "nginx", "securityContext": {"runAsRoot": True}},
        {"image": "mcr.microsoft.com/windows/nanoserver:ltsc2022", "os": "windows"},
    ],
    ids=["root", "windows"],
)
def test_no_mode_warning_for_a_root_or_windows_pod(pod: dict, warnings: list[str]) -> None:
    run_program(with_modes("0400", pod=pod))
    assert warnings == []


def test_no_mode_warning_when_every_mode_has_the_other_read_bit(warnings: list[str]) -> None:
    run_program(with_modes("0444", "0004", None, pod=NON_ROOT))
    assert warnings == []


def test_azure_stack_with_an_assumed_driver_warns_that_the_env_file_is_unchecked(warnings: list[str]) -> None:
    settings = base_settings("kubelet")
    settings["workloads"][0].update(cloudName="AzureStackCloud", cloudEnvFileName="/etc/kubernetes/azs.json")
    run_program(settings)
    (warning,) = warnings
    assert warning.startswith(
        "cloudName AzureStackCloud: the Azure provider reads cloudEnvFileName inside its own pods"
    )
    assert "default/nginx (/etc/kubernetes/azs.json)" in warning
    settings["driver"] = {"install": "helm"}
    warnings.clear()
    run_program(settings)
    assert warnings == []


def test_mount_warnings_are_logged_and_a_windows_class_mounts_at_the_windows_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = base_settings("kubelet")
    workload = settings["workloads"][0]
    workload.pop("pod")
    workload["os"] = "windows"  # mounted by the user's own Windows Pods
    workload["objects"] = [
        {"objectName": "secret1", "objectType": "secret", "objectAlias": "App.pem"},
        {"objectName": "secret2", "objectType": "secret", "objectAlias": "app.pem"},
    ]
    with caplog.at_level(logging.WARNING):  # the mock engine logs pulumi.log.warn through the root logger
        graph = run_program(settings)
    assert any("'App.pem' and 'app.pem' differ only in letter case" in m for m in caplog.messages)
    assert graph.stack_outputs["volumeMounts"] == {
        "nginx": [{"name": "secrets-store-inline", "mountPath": "C:\\mnt\\secrets-store", "readOnly": True}]
    }


def test_rollout_warnings_reach_the_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: seen.append(message))
    settings = base_settings("kubelet")
    workload = settings["workloads"][0]
    del workload["pod"]  # the user's own controller, which takes the rolloutAnnotations output
    workload.update(
        rollout="onRotation", secretObjects=[{"secretName": "db", "data": [{"objectName": "secret1", "key": "k"}]}]
    )
    graph = run_program(settings)
    assert [w for w in seen if "rollout onRotation" in w] == [
        "workload 'nginx': rollout onRotation: driver.install is none, so whether the driver rotates is not known; "
        "without its --enable-secret-rotation no synced Secret changes and Reloader never restarts the Pods (use "
        "driver.install helm or aksAddon with driver.rotation: {enabled: true} to have it set or verified)"
    ]
    assert graph.stack_outputs["rolloutAnnotations"] == {"nginx": {"secret.reloader.stakater.com/reload": "db"}}
    assert graph.by_type(POD) == [] and graph.stack_outputs["pods"] == {}
