"""Where a Pod may run when its identity is on the nodes: only on pools that carry it.

With ``useVMManagedIdentity`` the provider authenticates as an identity *of the node*; a Pod on a
pool whose scale set lacks it fails its mount (docs/azure-rules.md §node-pools). AKS labels every
node with its pool (``kubernetes.azure.com/agentpool``), so: one pool -> a ``nodeSelector``,
several -> a required node affinity ``In [...]``. Pure: no Pulumi import; fields in Kubernetes'
own (camelCase) spelling, usable in any Pod template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from keyvault_csi.rules.choices import NODE_IDENTITY_MODES

POOL_LABEL = "kubernetes.azure.com/agentpool"


def node_placement(pools: Sequence[str]) -> dict[str, Any]:
    """Pod spec fields keeping a Pod on ``pools``: ``{"nodeSelector": ...}`` or ``{"affinity": ...}``;
    ``{}`` for none."""
    unique = list(dict.fromkeys(pools))
    if not unique:
        return {}
    if len(unique) == 1:
        return {"nodeSelector": {POOL_LABEL: unique[0]}}
    term = {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": unique}]}
    return {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}
    }


def pod_placement(
    pools: Sequence[str],
    node_selector: Mapping[str, str] | None = None,
    affinity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The pool placement with the workload's overrides on top: ``nodeSelector`` keys merged over
    ours, an ``affinity`` replacing ours whole (it is the user's to shape)."""
    placement = node_placement(pools)
    selector = {**placement.get("nodeSelector", {}), **(node_selector or {})}
    result: dict[str, Any] = {"nodeSelector": selector} if selector else {}
    chosen = affinity if affinity is not None else placement.get("affinity")
    if chosen is not None:
        result["affinity"] = dict(chosen)
    return result


def needs_pool_warning(identity_type: str, pools: Sequence[str], overridden: bool) -> bool:
    """True when Pods that need the node identity could land on nodes without it and nothing pins them."""
    return identity_type in NODE_IDENTITY_MODES and not pools and not overridden


SHOWN_WORKLOADS = 5


def pool_warning(identity_type: str, unplaced: Sequence[str]) -> str | None:
    """One warning for every workload ``needs_pool_warning`` holds for (``namespace/name``), or None.

    One message, not one per workload: a stack of hundreds would otherwise print hundreds.
    """
    if not unplaced:
        return None
    fix = "name the pools in nodes.agentPools or nodes.scaleSets[].agentPool, or set pod.nodeSelector"
    if len(unplaced) == 1:
        return (
            f"workload {unplaced[0]}: its Pod may be scheduled on a node without the {identity_type} identity "
            f"(no agent pool known); {fix}"
        )
    shown = ", ".join(unplaced[:SHOWN_WORKLOADS])
    more = f" and {len(unplaced) - SHOWN_WORKLOADS} more" if len(unplaced) > SHOWN_WORKLOADS else ""
    return (
        f"{len(unplaced)} workloads ({shown}{more}): their Pods may be scheduled on a node without the "
        f"{identity_type} identity (no agent pool known); {fix} on each"
    )
