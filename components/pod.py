"""Pods that mount Key Vault objects through the Secrets Store CSI driver.

``secrets_store_volume`` gives the volume and mount for a user's own workload; ``SecretsStorePod``
declares a whole Pod with them, useful to check a class end to end: a mount failure shows only as
a ``FailedMount`` event and a Pod stuck in ``ContainerCreating``.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

import pulumi
from pulumi_kubernetes.core import v1 as core

from .secret_provider_class import DEFAULT_LABELS

TYPE = "keyvault-csi:index:SecretsStorePod"
CSI_DRIVER = "secrets-store.csi.k8s.io"
DEFAULT_VOLUME_NAME = "secrets-store-inline"
LINUX_MOUNT_PATH = "/mnt/secrets-store"
WINDOWS_MOUNT_PATH = "C:\\mnt\\secrets-store"
DEFAULT_CONTAINER_NAME = "app"
NodeOS = Literal["linux", "windows"]
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


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
    volume = core.VolumeArgs(
        name=volume_name,
        csi=core.CSIVolumeSourceArgs(
            driver=CSI_DRIVER,
            read_only=True,
            volume_attributes={"secretProviderClass": secret_provider_class},
        ),
    )
    return volume, core.VolumeMountArgs(name=volume_name, mount_path=mount_path, read_only=True)


def default_mount_path(os: NodeOS) -> str:
    """Where the objects appear in the container: a Windows container needs a drive path."""
    return WINDOWS_MOUNT_PATH if os == "windows" else LINUX_MOUNT_PATH


def check_mount_path(path: str, os: NodeOS) -> None:
    """Refuse a mount path that is not absolute for the node's OS."""
    if os == "windows" and not _WINDOWS_ABSOLUTE.match(path):
        raise ValueError(f"mountPath {path!r} is not allowed on windows; give a drive path such as {WINDOWS_MOUNT_PATH!r}")
    if os == "linux" and not path.startswith("/"):
        raise ValueError(f"mountPath {path!r} is not allowed on linux; give an absolute path such as {LINUX_MOUNT_PATH!r}")


def _container(
    name: str,
    image: str,
    mount: core.VolumeMountArgs,
    env: Sequence[core.EnvVarArgs] = (),
    env_from: Sequence[core.EnvFromSourceArgs] = (),
) -> core.ContainerArgs:
    # The one place the container is shaped: a securityContext belongs here.
    return core.ContainerArgs(
        name=name, image=image, volume_mounts=[mount], env=list(env) or None, env_from=list(env_from) or None
    )


class SecretsStorePodArgs(TypedDict):
    """Arguments of :class:`SecretsStorePod` (camelCase, as in a stack's config).

    ``mountPath`` defaults to ``/mnt/secrets-store`` on Linux and ``C:\\mnt\\secrets-store`` on
    Windows. ``dependsOn`` lists what the Pod must wait for (the class, the Key Vault grants, the
    node identity assignments): without them the first mount can fail and is only retried later.
    """

    namespace: str
    podName: str
    image: str
    secretProviderClass: pulumi.Input[str]
    mountPath: NotRequired[str]
    os: NotRequired[NodeOS]
    containerName: NotRequired[str]
    serviceAccountName: NotRequired[pulumi.Input[str]]
    env: NotRequired[Sequence[core.EnvVarArgs]]
    """Container environment, e.g. keys of Secrets the class syncs (``secretKeyRef``)."""
    envFrom: NotRequired[Sequence[core.EnvFromSourceArgs]]
    labels: NotRequired[Mapping[str, str]]
    dependsOn: NotRequired[Sequence[pulumi.Resource]]


class SecretsStorePod(pulumi.ComponentResource):
    """Declares one ``v1`` Pod that mounts a SecretProviderClass's objects read-only.

    The Pod is pinned to nodes of the chosen OS (``nodeSelector kubernetes.io/os``), since the
    image must match the node's OS. It is created only after everything in ``dependsOn``.
    """

    pod_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    resource: core.Pod

    def __init__(self, name: str, args: SecretsStorePodArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        os: NodeOS = args.get("os") or "linux"
        if os not in typing.get_args(NodeOS):
            raise ValueError(f"os {os!r} is not allowed; use one of: {', '.join(typing.get_args(NodeOS))}")
        mount_path = args.get("mountPath") or default_mount_path(os)
        check_mount_path(mount_path, os)
        super().__init__(TYPE, name, None, opts)
        volume, mount = secrets_store_volume(args["secretProviderClass"], mount_path=mount_path)
        self.resource = core.Pod(
            name,
            # An explicit name: Pulumi would otherwise append a random suffix.
            metadata={
                "name": args["podName"],
                "namespace": args["namespace"],
                "labels": {**DEFAULT_LABELS, **args.get("labels", {})},
            },
            spec=core.PodSpecArgs(
                containers=[
                    _container(
                        args.get("containerName") or DEFAULT_CONTAINER_NAME,
                        args["image"],
                        mount,
                        args.get("env", ()),
                        args.get("envFrom", ()),
                    )
                ],
                volumes=[volume],
                node_selector={"kubernetes.io/os": os},
                # spec.os lets the API server and admission check OS-specific fields for this OS.
                os=core.PodOSArgs(name=os),
                service_account_name=args.get("serviceAccountName"),
            ),
            # Only parent and the explicit dependencies: the component's own options stay on it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.get("dependsOn", []))),
        )
        self.pod_name = self.resource.metadata.apply(lambda metadata: metadata.name)
        self.namespace = self.resource.metadata.apply(lambda metadata: metadata.namespace)
        self.register_outputs({"podName": self.pod_name, "namespace": self.namespace})
