"""Whether the Pod's user can read the mounted files: the file modes against the Pod's security context.

One warning at preview lists every object whose ``filePermission`` hides it from a non-root user
(docs/azure-rules.md §objects-file-owner): the workloads' own Pods and Deployments when they run as
non-root (the hardened default), and classes mounted by the user's own Pods, whose user is not
known here. Windows Pods are left out (Windows has no such mode bits).
"""

from __future__ import annotations

from keyvault_csi.model.settings import Settings, WorkloadSettings
from keyvault_csi.rules.choices import NodeOS
from keyvault_csi.rules.file_modes import file_mode, file_mode_warning, hides_from_non_root


def _user(workload: WorkloadSettings) -> str | None:
    """Who reads the workload's files, for the warning; None when that user can read any of them."""
    if workload.pod is not None or workload.deployment is not None:
        template = workload.template
        assert template is not None
        if template.os == NodeOS.WINDOWS or template.security_context.run_as_root:
            return None
        return "its Pod runs as non-root" if workload.pod is not None else "its Deployment's Pods run as non-root"
    return "mounted by your own Pods: readable only if they run as root or in group 0"


def _file(workload: WorkloadSettings, index: int) -> str:
    obj = workload.objects[index]
    name = obj.object_alias or obj.object_name
    return f"objects[{index}] {name if isinstance(name, str) else '(an Output)'!r} {obj.file_permission}"


def settings_file_mode_warning(settings: Settings) -> str | None:
    """The one warning for the objects whose mode hides them from the user of the Pods that mount them, if any."""
    hidden = []
    for i, workload in enumerate(settings.workloads):
        user = _user(workload)
        if user is None:
            continue
        files = [
            _file(workload, j)
            for j, obj in enumerate(workload.objects)
            if obj.file_permission is not None
            and (mode := file_mode(obj.file_permission)) is not None
            and hides_from_non_root(mode)
        ]
        if files:
            hidden.append(f"workloads[{i}] {workload.namespace}/{workload.name} ({user}): {', '.join(files)}")
    return file_mode_warning(hidden)
