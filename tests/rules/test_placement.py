"""Pods only on pools that carry the node identity (rules.placement)."""

from __future__ import annotations

from keyvault_csi import node_placement
from keyvault_csi.rules.placement import POOL_LABEL, needs_pool_warning, pod_placement


def test_one_pool_is_a_node_selector_several_an_affinity_none_nothing() -> None:
    assert node_placement([]) == {}
    assert node_placement(["nodepool1", "nodepool1"]) == {"nodeSelector": {POOL_LABEL: "nodepool1"}}
    term = {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": ["np1", "np2"]}]}
    assert node_placement(["np1", "np2"]) == {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}
    }


def test_overrides_win() -> None:
    own = {"podAntiAffinity": {}}
    assert pod_placement(["np1"], {"disk": "ssd"}) == {"nodeSelector": {POOL_LABEL: "np1", "disk": "ssd"}}
    assert pod_placement(["np1", "np2"], None, own) == {"affinity": own}
    assert pod_placement([], None, None) == {}


def test_warning_only_when_the_identity_is_on_nodes_and_nothing_pins_the_pod() -> None:
    assert needs_pool_warning("userAssigned", [], overridden=False)
    assert needs_pool_warning("systemAssigned", [], overridden=False)
    assert not needs_pool_warning("userAssigned", ["np1"], overridden=False)
    assert not needs_pool_warning("userAssigned", [], overridden=True)
    assert not needs_pool_warning("kubelet", [], overridden=False)
    assert not needs_pool_warning("workload", [], overridden=False)
