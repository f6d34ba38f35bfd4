"""Placement of the component's Pods on the pools that got the node identity (rules.placement)."""

from __future__ import annotations

from typing import Any

from keyvault_csi.model.settings import Settings, WorkloadSettings
from keyvault_csi.rules.choices import NODE_IDENTITY_MODES
from keyvault_csi.rules.placement import needs_pool_warning, node_placement, pod_placement, pool_warning


def identity_pools(settings: Settings) -> list[str]:
    """Pools known to carry the identity; none outside the node-identity modes (kubelet, workload)."""
    if settings.identity.type not in NODE_IDENTITY_MODES or settings.nodes is None:
        return []
    return settings.nodes.pools()


def settings_placement(settings: Settings) -> dict[str, Any]:
    """Pod spec fields for users' own Pods (with ``secrets_store_volume``): see ``node_placement``."""
    return node_placement(identity_pools(settings))


def _overrides(workload: WorkloadSettings) -> tuple[Any, Any]:
    pod = workload.template  # a Deployment template is placed like a Pod
    return (pod.node_selector, pod.affinity) if pod else (None, None)


def workload_placement(settings: Settings, workload: WorkloadSettings) -> dict[str, Any]:
    """``nodeSelector``/``affinity`` of the workload's Pod (``settings_pool_warning`` says which workloads
    it cannot place)."""
    selector, affinity = _overrides(workload)
    return pod_placement(identity_pools(settings), selector, affinity)


def settings_pool_warning(settings: Settings) -> str | None:
    """The one warning for the workloads whose Pods could land on a node without the identity, if any."""
    pools = identity_pools(settings)
    unplaced = [
        f"{w.namespace}/{w.name}"
        for w in settings.workloads
        if w.template and needs_pool_warning(settings.identity.type, pools, any(o is not None for o in _overrides(w)))
    ]
    return pool_warning(settings.identity.type, unplaced)
