"""The Pod's and container's security contexts, built from the hardening rules in :mod:`keyvault_csi.rules.pod`."""

from __future__ import annotations

from typing import Any

from keyvault_csi.rules.choices import NodeOS, SeccompProfile
from keyvault_csi.rules.pod import WINDOWS_USER, PodSecurity, read_only_root


def pod_security(os: NodeOS, security: PodSecurity) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(Pod, container) security contexts in Kubernetes' spelling: the hardened defaults for ``os`` under
    ``security``; ``None`` where nothing is set."""
    as_root = security.run_as_root
    if os == NodeOS.WINDOWS:
        # runAsNonRoot on Windows means "not ContainerAdministrator": name the unprivileged user.
        if as_root:
            return None, None
        return {"runAsNonRoot": True, "windowsOptions": {"runAsUserName": WINDOWS_USER}}, None
    added = list(security.add_capabilities or [])
    capabilities: dict[str, Any] | None
    if as_root:
        # A root image keeps the runtime's default set (it chowns and drops to its own user).
        capabilities = {"add": added} if added else None
    else:
        capabilities = {"drop": ["ALL"], **({"add": added} if added else {})}
    pod: dict[str, Any] = {} if as_root else {"runAsNonRoot": True}
    if security.run_as_user is not None:
        pod["runAsUser"] = security.run_as_user
    pod["seccompProfile"] = {"type": str(security.seccomp_profile or SeccompProfile.RUNTIME_DEFAULT)}
    allow = security.allow_privilege_escalation
    container: dict[str, Any] = {
        "allowPrivilegeEscalation": allow if allow is not None else False,
        "readOnlyRootFilesystem": read_only_root(os, security),
    }
    if capabilities is not None:
        container["capabilities"] = capabilities
    return pod, container
