"""Node pools by name, ownership and Pod placement in the declared graph (mock runtime)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pulumi
import pytest

from keyvault_csi.rules.placement import POOL_LABEL
from keyvault_csi.testing.mockgraph import DYNAMIC_NODE_IDENTITY, Graph
from tests.support import K8S_VERSION, POD, assert_run_error, base_settings, run_program
from tools.review.plan_files import manifest_of

POOLS = {"cluster": {"resourceGroup": "rg-aks", "name": "aks"}, "agentPools": ["nodepool1", "nodepool2"]}


def pod_spec(graph: Graph) -> dict[str, Any]:
    (pod,) = graph.by_type(POD)
    assert kubernetes_validate.validate(manifest_of(pod), K8S_VERSION, strict=True)
    return dict(pod.inputs["spec"])


def with_nodes(mode: str, nodes: dict[str, Any], **pod: Any) -> dict[str, Any]:
    settings = base_settings(mode)
    settings["nodes"] = nodes
    settings["workloads"][0]["pod"].update(pod)
    return settings


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: seen.append(message))
    return seen


def test_pools_become_discovering_resources_with_a_placeholder_node(warnings: list[str]) -> None:
    graph = run_program(with_nodes("userAssigned", POOLS))
    nodes = sorted(graph.by_type(DYNAMIC_NODE_IDENTITY), key=lambda n: n.name)
    assert [(n.inputs["clusterResourceGroup"], n.inputs["clusterName"], n.inputs["agentPool"]) for n in nodes] == [
        ("rg-aks", "aks", "nodepool1"),
        ("rg-aks", "aks", "nodepool2"),
    ]
    assert all("nodeId" not in n.inputs and n.inputs["subscriptionId"] == "<subscriptionId>" for n in nodes)
    assert [n.outputs["nodeId"] for n in nodes] == ["<aks/nodepool1.scaleSetId>", "<aks/nodepool2.scaleSetId>"]
    spec = pod_spec(graph)
    assert spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [
            {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": ["nodepool1", "nodepool2"]}]}
        ]
    }
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert warnings == []


def test_a_created_identity_is_owned_an_existing_one_is_not() -> None:
    created = run_program(base_settings("userAssigned"))
    (identity,) = created.by_type("azure-native:managedidentity:UserAssignedIdentity")
    assert {tuple(n.inputs["ownedIdentities"]) for n in created.by_type(DYNAMIC_NODE_IDENTITY)} == {
        (identity.outputs["id"],)
    }
    for mode in ("existing", "systemAssigned"):
        assert all(
            n.inputs["ownedIdentities"] == [] for n in run_program(base_settings(mode)).by_type(DYNAMIC_NODE_IDENTITY)
        )


def test_one_pool_is_a_node_selector_and_scale_sets_can_name_their_pool(warnings: list[str]) -> None:
    nodes = {
        "scaleSets": [{"resourceGroup": "MC_rg", "name": "aks-np1-123-vmss", "agentPool": "np1"}],
        "cluster": {"resourceGroup": "rg-aks", "name": "aks"},
    }
    spec = pod_spec(run_program(with_nodes("systemAssigned", nodes)))
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux", POOL_LABEL: "np1"}
    assert "affinity" not in spec
    assert warnings == []


def test_no_known_pool_warns_naming_the_workload(warnings: list[str]) -> None:
    spec = pod_spec(run_program(base_settings("userAssigned")))
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert len(warnings) == 1 and "workload default/nginx" in warnings[0] and "nodes.agentPools" in warnings[0]


def test_many_unplaced_workloads_share_one_warning(warnings: list[str]) -> None:
    """A stack of hundreds of workloads prints one line, not hundreds; the ones pinned by hand are left out."""
    settings = base_settings("userAssigned")
    template = settings["workloads"][0]
    settings["workloads"] = [
        {**template, "name": f"app-{i}", "namespace": f"team-{i % 3}", "pod": {"image": "nginx"}} for i in range(8)
    ]
    settings["workloads"][0]["pod"]["nodeSelector"] = {POOL_LABEL: "np1"}
    run_program(settings)
    assert warnings == [
        "7 workloads (team-1/app-1, team-2/app-2, team-0/app-3, team-1/app-4, team-2/app-5 and 2 more): their Pods "
        "may be scheduled on a node without the userAssigned identity (no agent pool known); name the pools in "
        "nodes.agentPools or nodes.scaleSets[].agentPool, or set pod.nodeSelector on each"
    ]


def test_overrides_are_passed_through_and_silence_the_warning(warnings: list[str]) -> None:
    zone = {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["1"]}]}
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [zone]}}}
    settings = with_nodes("userAssigned", POOLS, nodeSelector={"disk": "ssd"}, affinity=affinity)
    spec = pod_spec(run_program(settings))
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux", "disk": "ssd"}
    assert spec["affinity"] == affinity
    spec = pod_spec(run_program(with_nodes("userAssigned", base_settings()["nodes"], nodeSelector={POOL_LABEL: "x"})))
    assert spec["nodeSelector"][POOL_LABEL] == "x"
    assert warnings == []


@pytest.mark.parametrize("mode", ["kubelet", "workload"])
def test_modes_without_node_identity_add_no_placement(mode: str, warnings: list[str]) -> None:
    spec = pod_spec(run_program(base_settings(mode)))
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"} and "affinity" not in spec
    assert warnings == []


@pytest.mark.parametrize(
    ("nodes", "pod", "expected"),
    [
        ({"agentPools": ["nodepool1"]}, {}, ["nodes", "agentPools needs cluster"]),
        ({**POOLS, "agentPools": ["np1", "np1"]}, {}, ["'np1' is listed 2 times"]),
        ({**POOLS, "agentPools": ["NodePool_1"]}, {}, ["nodes.agentPools[0]", "1-12 lowercase letters"]),
        ({"scaleSets": [{"resourceGroup": "rg", "name": "vmss", "agentPool": "Bad"}]}, {}, ["scaleSets[0].agentPool"]),
        (
            {"cluster": POOLS["cluster"]},
            {},
            ["needs at least one entry in nodes.scaleSets, nodes.virtualMachines or nodes.agentPools"],
        ),
        (POOLS, {"nodeSelector": {"disk": 1}}, ["pod.nodeSelector.disk"]),
        (POOLS, {"affinity": ["x"]}, ["pod.affinity"]),
        ({**POOLS, "scaleSets": [{"resourceGroup": "MC_rg", "name": "vmss"}]}, {}, []),
    ],
)
def test_pool_settings_are_validated(nodes: dict[str, Any], pod: dict[str, Any], expected: list[str]) -> None:
    assert_run_error(with_nodes("userAssigned", nodes, **pod), expected)


def test_the_top_level_component_exposes_the_placement_for_users_pods() -> None:
    from keyvault_csi import AksKeyVaultSecrets
    from keyvault_csi.testing.mockgraph import evaluate

    def program() -> None:
        component = AksKeyVaultSecrets("kv", with_nodes("userAssigned", POOLS))
        pulumi.export("placement", component.node_placement)

    assert list(evaluate(program).stack_outputs["placement"]) == ["affinity"]
