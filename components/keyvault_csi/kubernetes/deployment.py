"""Deployments whose Pods mount Key Vault objects through the Secrets Store CSI driver.

The Pod template is the bare Pod's (:func:`keyvault_csi.kubernetes.pod.pod_spec`: the same
hardening, mount and node placement), plus a template annotation with the digest of what the class
mounts (:mod:`keyvault_csi.rules.rollout`), so a change of the objects rolls the Pods: the driver
mounts only at Pod start. Synced Secrets (``secretObjects``) are owned by the ReplicaSet, not a Pod
(docs/azure-rules.md §sync-lifetime).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from keyvault_csi.kubernetes.pod import Manifest, pod_labels
from keyvault_csi.rules.rollout import OBJECTS_ANNOTATION

SELECTOR_LABEL = "app.kubernetes.io/name"


def deployment_inputs(
    name: str,
    namespace: str,
    replicas: int,
    pod_spec: Manifest,
    digest: pulumi.Input[str],
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``apps/v1`` Deployment's inputs (``apps.Deployment`` keywords); ``digest`` goes on the Pod template."""
    selector = {SELECTOR_LABEL: name}
    all_labels = {**pod_labels(labels), **selector}
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": all_labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": all_labels, "annotations": {OBJECTS_ANNOTATION: digest}},
                "spec": pod_spec,
            },
        },
    }
