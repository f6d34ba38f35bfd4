"""Find an AKS agent pool's scale set by the pool's name, at deploy time.

Each VMSS-backed pool is one scale set in the cluster's node resource group, tagged
``aks-managed-poolName: <pool>``; recreating the pool makes a new one (docs/azure-rules.md
§node-pools). So: GET the managed cluster (``nodeResourceGroup``, ``agentPoolProfiles``), then
``virtual_machine_scale_sets.list(nodeResourceGroup)`` (the SDK follows ``nextLink``) and pick the
one scale set with the tag. azure-mgmt-containerservice is not a dependency: the cluster GET is a
plain request through azure-core's ARMPipelineClient with the same credential and retry policy.
No Pulumi imports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError

from keyvault_csi.node_identity import client as arm_client
from keyvault_csi.rules import arm_ids
from keyvault_csi.rules.arm_ids import ArmId

POOL_TAG = "aks-managed-poolName"
# A GA managedClusters API version that returns nodeResourceGroup and agentPoolProfiles[].type.
CLUSTER_API_VERSION = "2024-09-01"


class DiscoveryError(RuntimeError):
    """The pool's scale set cannot be found; the message names the pool, cluster and resource group."""


@dataclass(frozen=True)
class PoolRef:
    subscription_id: str
    cluster_resource_group: str
    cluster_name: str
    agent_pool: str

    @property
    def label(self) -> str:
        return f"agent pool {self.agent_pool!r} of cluster {self.cluster_resource_group}/{self.cluster_name}"


def _cluster(pool: PoolRef, settings: arm_client.ArmSettings, policy: arm_client.DeadlineRetryPolicy) -> Any:
    from azure.core.rest import HttpRequest

    path = arm_ids.managed_cluster_path(pool.subscription_id, pool.cluster_resource_group, pool.cluster_name)
    request = HttpRequest("GET", settings.endpoint + path, params={"api-version": CLUSTER_API_VERSION})
    try:
        with arm_client.arm_pipeline(settings, policy) as pipeline:
            response = pipeline.send_request(request)
            response.read()
    except AzureError as error:
        raise DiscoveryError(f"{pool.label}: reading the cluster failed: {error.message}") from None
    if response.status_code == 404:
        where = f"resource group {pool.cluster_resource_group!r} of subscription {pool.subscription_id}"
        raise DiscoveryError(f"{pool.label}: the cluster {pool.cluster_name!r} does not exist in {where}")
    if response.status_code >= 400:
        detail = (response.json() or {}).get("error", {}) if response.text() else {}
        code, message = detail.get("code", response.status_code), detail.get("message", response.reason)
        raise DiscoveryError(f"{pool.label}: reading the cluster failed: {code}: {message}")
    return response.json()


def discover_scale_set(pool: PoolRef, settings: arm_client.ArmSettings) -> ArmId:
    """The id of the pool's scale set now; DiscoveryError for a missing or AvailabilitySet pool."""
    policy = arm_client.retry_policy(settings, time.monotonic() + settings.timeout)
    properties = _cluster(pool, settings, policy).get("properties") or {}
    node_group = str(properties.get("nodeResourceGroup") or "")
    profiles = [p for p in properties.get("agentPoolProfiles") or [] if isinstance(p, dict)]
    profile = next((p for p in profiles if str(p.get("name", "")).casefold() == pool.agent_pool.casefold()), None)
    if profile is None:
        names = ", ".join(sorted(str(p.get("name")) for p in profiles)) or "none"
        raise DiscoveryError(f"{pool.label}: the cluster has no such pool (its pools: {names})")
    if str(profile.get("type", "")).casefold() == "availabilityset":
        raise DiscoveryError(
            f"{pool.label} is an AvailabilitySet pool: it has no scale set; list its VMs in resource group "
            f"{node_group!r} under nodes.virtualMachines"
        )
    try:
        with arm_client.compute_client(pool.subscription_id, settings, policy) as client:
            found = [
                str(s.id)
                for s in client.virtual_machine_scale_sets.list(node_group)
                if str((s.tags or {}).get(POOL_TAG, "")).casefold() == pool.agent_pool.casefold()
            ]
    except HttpResponseError as error:
        code = getattr(error.error, "code", None) or error.status_code
        raise DiscoveryError(f"{pool.label}: listing scale sets in resource group {node_group!r}: {code}") from None
    if not found:
        raise DiscoveryError(
            f"{pool.label}: no scale set tagged {POOL_TAG}={pool.agent_pool} in resource group {node_group!r}"
        )
    if len(found) > 1:
        raise DiscoveryError(f"{pool.label}: {len(found)} scale sets carry {POOL_TAG}={pool.agent_pool}: {found}")
    return arm_ids.parse_node_id(found[0])
