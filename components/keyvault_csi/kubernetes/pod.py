"""Pods that mount Key Vault objects through the Secrets Store CSI driver.

:func:`volume_and_mount` is the read-only CSI volume and mount for any Pod template (the
component's outputs hand them to other languages; :func:`secrets_store_volume` gives Python's Args).
:func:`pod_spec` is the hardened Pod a workload runs: not as root, read-only root filesystem (an
``emptyDir`` at ``/tmp`` for scratch), no privilege escalation, no capabilities, the runtime's
seccomp profile, resource requests and limits (:mod:`keyvault_csi.rules.pod`). Windows Pods get the
subset the API server accepts with ``spec.os.name: windows``.

Every manifest here is written in Kubernetes' own spelling (``volumeMounts``, ``readOnly``): the
SDK passes such keys through, ``kubernetes-validate --strict`` checks them in the tests, and the
same dicts serve every language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_kubernetes.core import v1 as core

from keyvault_csi.kubernetes.env import container_env, container_env_from
from keyvault_csi.kubernetes.security import pod_security
from keyvault_csi.model.settings import PodSettings
from keyvault_csi.rules.pod import (
    CSI_DRIVER,
    DEFAULT_CONTAINER_NAME,
    DEFAULT_LABELS,
    DEFAULT_VOLUME_NAME,
    LINUX_MOUNT_PATH,
)

Manifest = dict[str, Any]


def volume_and_mount(
    secret_provider_class: pulumi.Input[str],
    *,
    volume_name: str = DEFAULT_VOLUME_NAME,
    mount_path: str = LINUX_MOUNT_PATH,
) -> tuple[Manifest, Manifest]:
    """A CSI volume naming ``secret_provider_class`` and its read-only mount, in Kubernetes' spelling.

    The class must live in the Pod's namespace: the driver looks it up there. Both are read-only:
    the driver rejects a writable request.
    """
    csi = {"driver": CSI_DRIVER, "readOnly": True, "volumeAttributes": {"secretProviderClass": secret_provider_class}}
    return {"name": volume_name, "csi": csi}, {"name": volume_name, "mountPath": mount_path, "readOnly": True}


def secrets_store_volume(
    secret_provider_class: pulumi.Input[str],
    *,
    volume_name: str = DEFAULT_VOLUME_NAME,
    mount_path: str = LINUX_MOUNT_PATH,
) -> tuple[core.VolumeArgs, core.VolumeMountArgs]:
    """:func:`volume_and_mount` as the Python SDK's Args objects, for any Pod template."""
    volume, mount = volume_and_mount(secret_provider_class, volume_name=volume_name, mount_path=mount_path)
    csi = volume["csi"]
    return (
        core.VolumeArgs(
            name=volume_name,
            csi=core.CSIVolumeSourceArgs(
                driver=csi["driver"], read_only=csi["readOnly"], volume_attributes=csi["volumeAttributes"]
            ),
        ),
        core.VolumeMountArgs(name=volume_name, mount_path=mount["mountPath"], read_only=mount["readOnly"]),
    )


def pod_labels(labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """A Pod's labels: the project's defaults under the given ones."""
    return {**DEFAULT_LABELS, **(labels or {})}


def pod_spec(
    pod: PodSettings,
    volumes: Sequence[tuple[Manifest, Manifest]],
    *,
    placement: Mapping[str, Any] | None = None,
    service_account_name: pulumi.Input[str] | None = None,
) -> Manifest:
    """The hardened Pod spec mounting ``volumes`` (:func:`volume_and_mount` pairs, one per class) read-only:
    a bare Pod's and a Deployment's template.

    ``placement``: ``nodeSelector`` / ``affinity`` (Kubernetes' spelling) keeping the Pod on the nodes
    that can mount, merged over ``kubernetes.io/os``.
    """
    placement = placement or {}
    writable = pod.effective_writable_paths()
    scratch = [f"scratch-{i}" for i in range(len(writable))]
    pod_context, container_context = pod_security(pod.os, pod.security_context)
    resources = pod.effective_resources()
    container: Manifest = {
        "name": DEFAULT_CONTAINER_NAME,
        "image": pod.image,
        "volumeMounts": [
            *(mount for _, mount in volumes),
            *({"name": n, "mountPath": p} for n, p in zip(scratch, writable, strict=True)),
        ],
    }
    if pod.command is not None:
        container["command"] = list(pod.command)
    if pod.args is not None:
        container["args"] = list(pod.args)
    if pod.ports:
        container["ports"] = [port.manifest() for port in pod.ports]
    if pod.env:
        container["env"] = container_env(pod.env)
    if pod.env_from:
        container["envFrom"] = container_env_from(pod.env_from)
    if container_context:
        container["securityContext"] = container_context
    container["resources"] = resources
    spec: Manifest = {
        "containers": [container],
        "volumes": [*(volume for volume, _ in volumes), *({"name": n, "emptyDir": {}} for n in scratch)],
        "nodeSelector": {"kubernetes.io/os": str(pod.os), **placement.get("nodeSelector", {})},
        # spec.os lets the API server and admission check OS-specific fields for this OS.
        "os": {"name": str(pod.os)},
    }
    if pod_context:
        spec["securityContext"] = pod_context
    if service_account_name is not None:
        spec["serviceAccountName"] = service_account_name
    if placement.get("affinity") is not None:
        spec["affinity"] = dict(placement["affinity"])
    if pod.tolerations:
        spec["tolerations"] = [toleration.manifest() for toleration in pod.tolerations]
    if pod.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": name} for name in pod.image_pull_secrets]
    return spec


def pod_metadata(
    name: str,
    namespace: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Manifest:
    """A Pod's metadata. An explicit name: Pulumi would otherwise append a random suffix."""
    metadata: Manifest = {"name": name, "namespace": namespace, "labels": pod_labels(labels)}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return metadata
