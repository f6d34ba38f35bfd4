"""The container's ``env`` / ``envFrom`` in Kubernetes' spelling, from validated settings.

The settings are validated by :mod:`keyvault_csi.rules.secret_sync`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keyvault_csi.rules.secret_sync import EnvFromSecret, EnvVar


def container_env(env: Sequence[EnvVar]) -> list[dict[str, Any]]:
    """``containers[].env`` for the Pod, in the given order."""
    return [
        {"name": e.name, "value": e.value}
        if e.secret_key_ref is None
        else {
            "name": e.name,
            "valueFrom": {"secretKeyRef": {"name": e.secret_key_ref.name, "key": e.secret_key_ref.key}},
        }
        for e in env
    ]


def container_env_from(env_from: Sequence[EnvFromSecret]) -> list[dict[str, Any]]:
    """``containers[].envFrom`` for the Pod, in the given order."""
    return [{"secretRef": {"name": e.secret_ref.name}, **({"prefix": e.prefix} if e.prefix else {})} for e in env_from]
