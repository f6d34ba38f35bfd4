"""Deployments whose Pods mount Key Vault objects through the Secrets Store CSI driver.

The Pod template is the bare Pod's (:func:`keyvault_csi.kubernetes.pod.pod_spec`: the same
hardening, mount and node placement), plus a template annotation with the digest of what the class
mounts (:mod:`keyvault_csi.rules.rollout`), so a change of the objects rolls the Pods: the driver
mounts only at Pod start. Synced Secrets (``secretObjects``) are owned by the ReplicaSet, not a Pod
(docs/azure-rules.md §sync-lifetime).
"""

from __future__ import annotations

from typing import Any, NotRequired

import pulumi

from keyvault_csi.kubernetes.pod import CheckedPod, WorkloadPodArgs, pod_labels, pod_spec
from keyvault_csi.rules.rollout import DEFAULT_REPLICAS, OBJECTS_ANNOTATION

SELECTOR_LABEL = "app.kubernetes.io/name"


class SecretsStoreDeploymentArgs(WorkloadPodArgs):
    """A Pod's arguments plus ``replicas``; ``podName`` is the Deployment's name (its Pods get generated names)."""

    replicas: NotRequired[int]
    """Default 1 (:data:`keyvault_csi.rules.rollout.DEFAULT_REPLICAS`)."""


def check_replicas(args: SecretsStoreDeploymentArgs) -> int:
    """``replicas`` or ``ValueError``: called before anything is registered."""
    replicas = args.get("replicas", DEFAULT_REPLICAS)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ValueError(f"replicas {replicas!r} is not allowed; use an integer >= 0")
    return replicas


def deployment_inputs(
    pod: CheckedPod, replicas: int, secret_provider_class: pulumi.Input[str], digest: pulumi.Input[str]
) -> dict[str, Any]:
    """The ``apps/v1`` Deployment's inputs (``apps.Deployment`` keywords); ``digest`` goes on the Pod template."""
    args = pod.args
    selector = {SELECTOR_LABEL: args["podName"]}
    labels = {**pod_labels(args), **selector}
    return {
        "metadata": {"name": args["podName"], "namespace": args["namespace"], "labels": labels},
        "spec": {  # the SDK's dict spelling, as the bare Pod's (kubernetes/pod.py)
            "replicas": replicas,
            "selector": {"match_labels": selector},
            "template": {
                "metadata": {"labels": labels, "annotations": {OBJECTS_ANNOTATION: digest}},
                "spec": pod_spec(pod, secret_provider_class),
            },
        },
    }
