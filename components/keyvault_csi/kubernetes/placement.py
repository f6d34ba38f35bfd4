"""Placement of the component's Pods on the pools that got the node identity (rules.placement)."""

from __future__ import annotations

from typing import Any

import pulumi

from keyvault_csi.rules.placement import NODE_IDENTITY_MODES, needs_pool_warning, node_placement, pod_placement
from keyvault_csi.settings.model import Settings, WorkloadSettings


def identity_pools(settings: Settings) -> list[str]:
    """Pools known to carry the identity; none outside the node-identity modes (kubelet, workload)."""
    if settings.identity.type not in NODE_IDENTITY_MODES or settings.nodes is None:
        return []
    return settings.nodes.pools()


def settings_placement(settings: Settings) -> dict[str, Any]:
    """Pod spec fields for users' own Pods (with ``secrets_store_volume``): see ``node_placement``."""
    return node_placement(identity_pools(settings))


def workload_placement(settings: Settings, workload: WorkloadSettings) -> dict[str, Any]:
    """``nodeSelector``/``affinity`` args of the workload's SecretsStorePod; warns (once per workload)
    when its Pod could land on a node without the identity and no pool is known."""
    pod = workload.pod or workload.deployment  # a Deployment template is placed like a Pod
    selector = pod.node_selector if pod else None
    affinity = pod.affinity if pod else None
    pools = identity_pools(settings)
    if needs_pool_warning(settings.identity.type, pools, selector is not None or affinity is not None):
        pulumi.log.warn(
            f"workload {workload.namespace}/{workload.name}: its Pod may be scheduled on a node without the "
            f"{settings.identity.type} identity (no agent pool known); name the pools in nodes.agentPools or "
            "nodes.scaleSets[].agentPool, or set pod.nodeSelector"
        )
    return pod_placement(pools, selector, affinity)
