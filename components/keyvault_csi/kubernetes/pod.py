"""Pods that mount Key Vault objects through the Secrets Store CSI driver.

``secrets_store_volume`` gives the volume and mount for a user's own workload; ``SecretsStorePod``
declares a whole Pod with them, useful to check a class end to end: a mount failure shows only as
a ``FailedMount`` event and a Pod stuck in ``ContainerCreating``.

A Pod that holds secrets runs with the tightest defaults (:mod:`keyvault_csi.rules.pod`): not as root,
read-only root filesystem (an ``emptyDir`` at ``/tmp`` for scratch), no privilege escalation, no
capabilities, the runtime's seccomp profile, resource requests and limits. Windows Pods get the
subset the API server accepts with ``spec.os.name: windows`` (it rejects the Linux-only fields).
Each default can be overridden per workload; ``runAsRoot: true`` is the one line for images that
must start as root (the seeds' ``nginx``).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, cast

import pulumi
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.meta import v1 as meta

from keyvault_csi.kubernetes.secret_provider_class import DEFAULT_LABELS
from keyvault_csi.kubernetes.security import pod_security
from keyvault_csi.package.args import PodResources, PodSecurity
from keyvault_csi.rules.placement import placement_problems
from keyvault_csi.rules.pod import (
    CSI_DRIVER,
    DEFAULT_CONTAINER_NAME,
    DEFAULT_VOLUME_NAME,
    LINUX_MOUNT_PATH,
    NodeOS,
    check_mount_path,
    default_mount_path,
    default_writable_paths,
    resolve_resources,
    security_problems,
    writable_path_problems,
)

TYPE = "keyvault-csi:index:SecretsStorePod"


def secrets_store_volume(
    secret_provider_class: pulumi.Input[str],
    *,
    volume_name: str = DEFAULT_VOLUME_NAME,
    mount_path: str = LINUX_MOUNT_PATH,
) -> tuple[core.VolumeArgs, core.VolumeMountArgs]:
    """A CSI volume naming ``secret_provider_class`` and its read-only mount, for any Pod template.

    The class must live in the Pod's namespace: the driver looks it up there. Both are read-only:
    the driver rejects a writable request.
    """
    volume, mount = _csi_volume(secret_provider_class, volume_name, mount_path)
    return core.VolumeArgs(name=volume_name, csi=core.CSIVolumeSourceArgs(**volume["csi"])), core.VolumeMountArgs(
        **mount
    )


# The Pods we declare are built as dicts in the SDK's snake_case spelling (its *ArgsDict shapes), not
# as Args objects: the SDK serialises them cheaper, ~5 % of an evaluation
# (docs/azure-rules.md §pulumi-args-dicts). kubernetes-validate --strict checks the manifests in the tests.
Spec = dict[str, Any]


def without_none(value: Any) -> Any:
    """``value`` with every ``None`` left out of its dicts and lists, at any depth: an Args object
    leaves out a property that is ``None``, a dict would send ``null``. Args objects inside stay as they are."""
    if isinstance(value, dict):
        return {key: without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_none(item) for item in value if item is not None]
    return value


def _csi_volume(secret_provider_class: pulumi.Input[str], volume_name: str, mount_path: str) -> tuple[Spec, Spec]:
    csi = {"driver": CSI_DRIVER, "read_only": True, "volume_attributes": {"secretProviderClass": secret_provider_class}}
    return {"name": volume_name, "csi": csi}, {"name": volume_name, "mount_path": mount_path, "read_only": True}


def _container(
    name: str,
    image: str,
    mounts: Sequence[Spec],
    env: Sequence[core.EnvVarArgs] = (),
    env_from: Sequence[core.EnvFromSourceArgs] = (),
    security_context: Spec | None = None,
    resources: Mapping[str, Mapping[str, str]] | None = None,
) -> Spec:
    # The one place the container is shaped; pod_spec leaves out what is None.
    return {
        "name": name,
        "image": image,
        "volume_mounts": list(mounts),
        "env": list(env or ()) or None,
        "env_from": list(env_from or ()) or None,
        "security_context": security_context,
        "resources": {"requests": dict(resources["requests"]), "limits": dict(resources["limits"])}
        if resources
        else None,
    }


def _scratch_volumes(paths: Sequence[str]) -> tuple[list[Spec], list[Spec]]:
    names = [f"scratch-{i}" for i in range(len(paths))]
    volumes: list[Spec] = [{"name": n, "empty_dir": {}} for n in names]
    return volumes, [{"name": n, "mount_path": p} for n, p in zip(names, paths, strict=True)]


class WorkloadPodArgs(TypedDict):
    """A Pod's arguments but the class it mounts (camelCase, as in a stack's config): what a
    :class:`~keyvault_csi.kubernetes.workload.Workload` takes, since it mounts its own class.

    ``mountPath`` defaults to ``/mnt/secrets-store`` on Linux and ``C:\\mnt\\secrets-store`` on
    Windows. ``dependsOn`` lists what the Pod must wait for (the class, the Key Vault grants, the
    node identity assignments): without them the first mount can fail and is only retried later.
    """

    namespace: str
    podName: str
    image: str
    mountPath: NotRequired[str]
    os: NotRequired[NodeOS]
    containerName: NotRequired[str]
    serviceAccountName: NotRequired[pulumi.Input[str]]
    env: NotRequired[Sequence[core.EnvVarArgs]]
    """Container environment, e.g. keys of Secrets the class syncs (``secretKeyRef``)."""
    envFrom: NotRequired[Sequence[core.EnvFromSourceArgs]]
    securityContext: NotRequired[PodSecurity]
    """Overrides of the hardened defaults, e.g. ``{"runAsRoot": True}`` for an image that must start as root."""
    resources: NotRequired[PodResources]
    writablePaths: NotRequired[Sequence[str]]
    """``emptyDir`` scratch directories; default ``/tmp`` when the root filesystem is read-only."""
    labels: NotRequired[Mapping[str, str]]
    nodeSelector: NotRequired[Mapping[str, str]]
    """Merged over ``kubernetes.io/os``, e.g. ``{"kubernetes.azure.com/agentpool": "nodepool1"}`` (rules.placement)."""
    affinity: NotRequired[Mapping[str, Any]]
    """A Kubernetes ``Affinity`` in its own spelling (``nodeAffinity``, ...), passed through."""
    dependsOn: NotRequired[Sequence[pulumi.Resource]]


class SecretsStorePodArgs(WorkloadPodArgs):
    """Arguments of :class:`SecretsStorePod`: a Pod's, and the SecretProviderClass it mounts."""

    secretProviderClass: pulumi.Input[str]


@dataclass(frozen=True)
class CheckedPod:
    """A Pod's arguments after every rule has passed, with the defaults resolved."""

    args: WorkloadPodArgs
    os: NodeOS
    mount_path: str
    security: PodSecurity
    writable: list[str]
    resources: dict[str, dict[str, str]]


def check_pod(args: WorkloadPodArgs) -> CheckedPod:
    """Apply the Pod rules to ``args`` or raise ``ValueError``: called before anything is registered."""
    os: NodeOS = args.get("os") or "linux"
    if os not in typing.get_args(NodeOS):
        raise ValueError(f"os {os!r} is not allowed; use one of: {', '.join(typing.get_args(NodeOS))}")
    mount_path = args.get("mountPath") or default_mount_path(os)
    check_mount_path(mount_path, os)
    security = args.get("securityContext") or {}
    writable = list(args.get("writablePaths", default_writable_paths(os, security)))
    resources, problems = resolve_resources(os, args.get("resources"))
    problems = security_problems(os, security) + problems + writable_path_problems(os, writable, mount_path)
    problems += placement_problems(args.get("nodeSelector"), args.get("affinity"))
    if problems:
        raise ValueError("; ".join(problems))
    return CheckedPod(args, os, mount_path, security, writable, resources)


def pod_labels(args: WorkloadPodArgs) -> dict[str, str]:
    """The Pod's labels: the project's defaults under the caller's."""
    return {**DEFAULT_LABELS, **args.get("labels", {})}


def pod_spec(pod: CheckedPod, secret_provider_class: pulumi.Input[str]) -> core.PodSpecArgsDict:
    """The hardened Pod spec mounting ``secret_provider_class`` read-only: a bare Pod's and a Deployment's template."""
    args = pod.args
    volume, mount = _csi_volume(secret_provider_class, DEFAULT_VOLUME_NAME, pod.mount_path)
    scratch, scratch_mounts = _scratch_volumes(pod.writable)
    pod_context, container_context = pod_security(pod.os, pod.security)
    spec: Spec = {
        "containers": [
            _container(
                args.get("containerName") or DEFAULT_CONTAINER_NAME,
                args["image"],
                [mount, *scratch_mounts],
                args.get("env", ()),
                args.get("envFrom", ()),
                container_context,
                pod.resources,
            )
        ],
        "volumes": [volume, *scratch],
        "node_selector": {"kubernetes.io/os": pod.os, **args.get("nodeSelector", {})},
        # spec.os lets the API server and admission check OS-specific fields for this OS.
        "os": {"name": pod.os},
        "security_context": pod_context,
        "service_account_name": args.get("serviceAccountName"),
    }
    spec = without_none(spec)
    affinity = args.get("affinity")
    if affinity is not None:
        # Kubernetes spelling, passed through as given (label keys inside stay as written).
        spec["affinity"] = dict(affinity)
    return cast("core.PodSpecArgsDict", spec)


def pod_metadata(args: WorkloadPodArgs) -> meta.ObjectMetaArgsDict:
    """The Pod's metadata. An explicit name: Pulumi would otherwise append a random suffix."""
    return {"name": args["podName"], "namespace": args["namespace"], "labels": pod_labels(args)}


def pod_options(
    parent: pulumi.Resource, args: WorkloadPodArgs, depends_on: Sequence[pulumi.Resource] = ()
) -> pulumi.ResourceOptions:
    """A Pod's (or Deployment's) options: only parent and the explicit dependencies, never the component's own."""
    return pulumi.ResourceOptions(parent=parent, depends_on=[*args.get("dependsOn", []), *depends_on])


class SecretsStorePod(pulumi.ComponentResource):
    """Declares one ``v1`` Pod that mounts a SecretProviderClass's objects read-only.

    The Pod is pinned to nodes of the chosen OS (``nodeSelector kubernetes.io/os``), since the
    image must match the node's OS. It is created only after everything in ``dependsOn``.
    """

    def __init__(self, name: str, args: SecretsStorePodArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        checked = check_pod(args)  # bad arguments fail before anything is registered
        super().__init__(TYPE, name, None, opts)
        self.resource = core.Pod(
            name,
            metadata=pod_metadata(args),
            spec=pod_spec(checked, args["secretProviderClass"]),
            opts=pod_options(self, args),
        )
        self.pod_name: pulumi.Output[str] = self.resource.metadata.apply(lambda metadata: metadata.name or "")
        self.namespace: pulumi.Output[str] = self.resource.metadata.apply(lambda metadata: metadata.namespace or "")
        self.register_outputs({"podName": self.pod_name, "namespace": self.namespace})
