"""The container's ``env`` / ``envFrom`` from validated settings (:mod:`keyvault_csi.rules.secret_sync`)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_kubernetes.core import v1 as core

from keyvault_csi.rules.secret_sync import EnvFromSecret, EnvVar


def container_env(env: Sequence[EnvVar]) -> list[core.EnvVarArgs]:
    """``containers[].env`` for the Pod, in the given order."""
    return [
        core.EnvVarArgs(name=e.name, value=e.value)
        if e.secret_key_ref is None
        else core.EnvVarArgs(
            name=e.name,
            value_from=core.EnvVarSourceArgs(
                secret_key_ref=core.SecretKeySelectorArgs(name=e.secret_key_ref.name, key=e.secret_key_ref.key)
            ),
        )
        for e in env
    ]


def container_env_from(env_from: Sequence[EnvFromSecret]) -> list[core.EnvFromSourceArgs]:
    """``containers[].envFrom`` for the Pod, in the given order."""
    return [
        core.EnvFromSourceArgs(secret_ref=core.SecretEnvSourceArgs(name=e.secret_ref.name), prefix=e.prefix or None)
        for e in env_from
    ]
