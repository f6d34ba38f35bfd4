"""Deployments whose Pods mount Key Vault objects through the Secrets Store CSI driver.

The Pod template is the bare Pod's (:func:`keyvault_csi.kubernetes.pod.pod_spec`: the same
hardening, mount and node placement), plus a template annotation with the digest of what the class
mounts (:mod:`keyvault_csi.rules.rollout`), so a change of the objects rolls the Pods: the driver
mounts only at Pod start. With ``rollout: onRotation`` the Deployment also carries Stakater Reloader's
annotation naming the synced Secrets, so a rotated Secret restarts the Pods too (docs/azure-rules.md §reloader).
Synced Secrets (``secretObjects``) are owned by the ReplicaSet, not a Pod (docs/azure-rules.md §sync-lifetime).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from keyvault_csi.kubernetes.pod import Manifest, pod_labels
from keyvault_csi.rules.pod import SELECTOR_LABEL
from keyvault_csi.rules.rollout import OBJECTS_ANNOTATION


def deployment_inputs(
    name: str,
    namespace: str,
    replicas: int,
    pod_spec: Manifest,
    digest: pulumi.Input[str],
    labels: Mapping[str, str] | None = None,
    *,
    pod_annotations: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``apps/v1`` Deployment's inputs (``apps.Deployment`` keywords); ``digest`` goes on the Pod template
    with ``pod_annotations``, ``annotations`` (such as Reloader's, rules.rollout) on the Deployment."""
    selector = {SELECTOR_LABEL: name}
    all_labels = {**pod_labels(labels), **selector}
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": all_labels}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return {
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": all_labels,
                    "annotations": {**dict(sorted((pod_annotations or {}).items())), OBJECTS_ANNOTATION: digest},
                },
                "spec": pod_spec,
            },
        },
    }
