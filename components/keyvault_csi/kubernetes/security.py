"""The Pod's and container's security contexts, built from the hardening rules in :mod:`keyvault_csi.rules.pod`."""

from __future__ import annotations

from pulumi_kubernetes.core import v1 as core

from keyvault_csi.package.args import PodSecurity
from keyvault_csi.rules.pod import WINDOWS_USER, NodeOS, read_only_root


def pod_security(
    os: NodeOS, security: PodSecurity | None = None
) -> tuple[core.PodSecurityContextArgs | None, core.SecurityContextArgs | None]:
    """(Pod, container) security contexts: the hardened defaults for ``os`` under ``security``."""
    security = security or {}
    as_root = bool(security.get("runAsRoot", False))
    if os == "windows":
        # runAsNonRoot on Windows means "not ContainerAdministrator": name the unprivileged user.
        if as_root:
            return None, None
        return core.PodSecurityContextArgs(
            run_as_non_root=True, windows_options=core.WindowsSecurityContextOptionsArgs(run_as_user_name=WINDOWS_USER)
        ), None
    added = list(security.get("addCapabilities") or [])
    if as_root:
        # A root image keeps the runtime's default set (it chowns and drops to its own user).
        capabilities = core.CapabilitiesArgs(add=added) if added else None
    else:
        capabilities = core.CapabilitiesArgs(drop=["ALL"], add=added or None)
    pod = core.PodSecurityContextArgs(
        run_as_non_root=None if as_root else True,
        run_as_user=security.get("runAsUser"),
        seccomp_profile=core.SeccompProfileArgs(type=security.get("seccompProfile", "RuntimeDefault")),
    )
    container = core.SecurityContextArgs(
        allow_privilege_escalation=security.get("allowPrivilegeEscalation", False),
        read_only_root_filesystem=read_only_root(os, security),
        capabilities=capabilities,
    )
    return pod, container
