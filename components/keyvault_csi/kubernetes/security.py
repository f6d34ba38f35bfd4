"""The Pod's and container's security contexts, built from the hardening rules in :mod:`keyvault_csi.rules.pod`."""

from __future__ import annotations

from typing import Any

from keyvault_csi.package.args import PodSecurity
from keyvault_csi.rules.pod import WINDOWS_USER, NodeOS, read_only_root


def pod_security(
    os: NodeOS, security: PodSecurity | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(Pod, container) security contexts, in the SDK's dict spelling: the hardened defaults for ``os`` under ``security``."""
    security = security or {}
    as_root = bool(security.get("runAsRoot", False))
    if os == "windows":
        # runAsNonRoot on Windows means "not ContainerAdministrator": name the unprivileged user.
        if as_root:
            return None, None
        return {"run_as_non_root": True, "windows_options": {"run_as_user_name": WINDOWS_USER}}, None
    added = list(security.get("addCapabilities") or [])
    container = without_none(
        {
            "allow_privilege_escalation": security.get("allowPrivilegeEscalation", False),
            "read_only_root_filesystem": read_only_root(os, security),
        }
    )
    if not as_root:
        container["capabilities"] = {"drop": ["ALL"], **({"add": added} if added else {})}
    elif added:
        # A root image keeps the runtime's default set (it chowns and drops to its own user).
        container["capabilities"] = {"add": added}
    pod: dict[str, Any] = {}
    if not as_root:
        pod["run_as_non_root"] = True
    if security.get("runAsUser") is not None:
        pod["run_as_user"] = security["runAsUser"]
    pod["seccomp_profile"] = without_none({"type": security.get("seccompProfile", "RuntimeDefault")})
    return pod, container


def without_none(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` without its ``None`` values: an Args object leaves such a key out, a dict would send ``null``."""
    return {key: value for key, value in spec.items() if value is not None}
