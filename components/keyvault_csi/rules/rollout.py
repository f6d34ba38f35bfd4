"""When a Deployment's Pods must be replaced: the driver mounts a class's objects at Pod start only.

A change of what the class mounts (its ``objects`` parameter) or syncs (``secretObjects``) reaches
running Pods only when they restart, so the Pod template carries a digest of both; a changed digest
is a changed template, and the Deployment rolls its Pods (docs/driver.md "Deployments").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from keyvault_csi.rules.choices import DriverInstall

OBJECTS_ANNOTATION = "keyvault-csi/objects-sha256"
DEFAULT_REPLICAS = 1
"""Like the bare Pod; a rollout keeps it available (maxUnavailable 25% of 1 rounds down to 0)."""


def objects_digest(objects: str, secret_objects: Sequence[Mapping[str, Any]] = ()) -> str:
    """SHA-256 (hex) of the rendered ``objects`` parameter and the ``secretObjects`` manifests."""
    document = json.dumps({"objects": objects, "secretObjects": list(secret_objects)}, sort_keys=True)
    return hashlib.sha256(document.encode()).hexdigest()


# Stakater Reloader (docs/azure-rules.md §reloader): on a Deployment's (StatefulSet's, DaemonSet's) metadata, a
# comma-separated list of the Secrets whose change restarts its Pods; Reloader reads each entry as an anchored
# regular expression, so a '.' of a Secret name is escaped to match only itself.
RELOADER_SECRET_ANNOTATION = "secret.reloader.stakater.com/reload"
ROTATION_NEEDS_SYNC = (
    "rollout onRotation restarts the Pods when a synced Secret changes (Stakater Reloader watches Secrets, "
    "not mounted files); add secretObjects, or keep rollout onChange and have the app re-read its mounted files"
)
ROTATION_NOT_FOR_POD = (
    "rollout onRotation needs a controller that replaces its Pods (Stakater Reloader restarts Deployments, "
    "StatefulSets and DaemonSets, never a bare Pod); use deployment instead of pod, or mount the class into your "
    "own controller and put the rolloutAnnotations output on it"
)


def reloader_annotations(secret_names: Sequence[str]) -> dict[str, str]:
    """Stakater Reloader's annotation naming ``secret_names`` (sorted, each matching only itself); empty for none."""
    if not secret_names:
        return {}
    return {RELOADER_SECRET_ANNOTATION: ",".join(name.replace(".", "\\.") for name in sorted(set(secret_names)))}


def driver_rotation_problem(install: str, rotation_enabled: bool | None) -> str | None:
    """Why rollout onRotation cannot work with the driver as set (``install`` none: unknown, see the warning)."""
    if install == DriverInstall.HELM and not rotation_enabled:
        return (
            "rollout onRotation needs the driver to rotate (else no synced Secret ever changes), but the Helm "
            "release has rotation off; set driver.rotation: {enabled: true}"
        )
    if install == DriverInstall.AKS_ADDON and not rotation_enabled:
        return (
            "rollout onRotation needs the driver to rotate (else no synced Secret ever changes); set "
            "driver.rotation: {enabled: true} so the add-on's rotation is verified at preview"
        )
    return None


ROTATION_UNKNOWN = (
    "rollout onRotation: driver.install is none, so whether the driver rotates is not known; without its "
    "--enable-secret-rotation no synced Secret changes and Reloader never restarts the Pods (use driver.install "
    "helm or aksAddon with driver.rotation: {enabled: true} to have it set or verified)"
)
ENV_NOT_ROTATED = (
    "the driver rotates, but this workload reads synced Secrets into environment variables (env/envFrom), which "
    "a running Pod never re-reads; run it as a deployment with rollout: onRotation (Stakater Reloader restarts "
    "the Pods), or read the mounted files"
)
