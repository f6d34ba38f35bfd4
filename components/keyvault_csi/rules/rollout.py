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

OBJECTS_ANNOTATION = "keyvault-csi/objects-sha256"
DEFAULT_REPLICAS = 1
"""Like the bare Pod; a rollout keeps it available (maxUnavailable 25% of 1 rounds down to 0)."""


def objects_digest(objects: str, secret_objects: Sequence[Mapping[str, Any]] = ()) -> str:
    """SHA-256 (hex) of the rendered ``objects`` parameter and the ``secretObjects`` manifests."""
    document = json.dumps({"objects": objects, "secretObjects": list(secret_objects)}, sort_keys=True)
    return hashlib.sha256(document.encode()).hexdigest()
