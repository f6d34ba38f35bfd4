"""The Pod's and container's security contexts, built from the hardening rules in :mod:`keyvault_csi.rules.pod`."""

from __future__ import annotations

from typing import Any

from keyvault_csi.package.args import PodSecurity
from keyvault_csi.rules.pod import WINDOWS_USER, NodeOS, read_only_root


def pod_security(
    os: NodeOS, security: PodSecurity | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(Pod, container) security contexts, in the SDK's dict spelling: the hardened defaults for ``os`` under
    ``security``. ``None`` values mean "not set" (``pod_spec`` leaves them out)."""
    security = security or {}
    as_root = bool(security.get("runAsRoot", False))
    if os == "windows":
        # runAsNonRoot on Windows means "not ContainerAdministrator": name the unprivileged user.
        if as_root:
            return None, None
        return {"run_as_non_root": True, "windows_options": {"run_as_user_name": WINDOWS_USER}}, None
    added = list(security.get("addCapabilities") or [])
    capabilities: dict[str, Any] | None
    if as_root:
        # A root image keeps the runtime's default set (it chowns and drops to its own user).
        capabilities = {"add": added} if added else None
    else:
        capabilities = {"drop": ["ALL"], "add": added or None}
    pod = {
        "run_as_non_root": None if as_root else True,
        "run_as_user": security.get("runAsUser"),
        "seccomp_profile": {"type": security.get("seccompProfile", "RuntimeDefault")},
    }
    container = {
        "allow_privilege_escalation": security.get("allowPrivilegeEscalation", False),
        "read_only_root_filesystem": read_only_root(os, security),
        "capabilities": capabilities,
    }
    return pod, container
