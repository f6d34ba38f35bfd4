"""Pods that mount Key Vault objects through the Secrets Store CSI driver.

``secrets_store_volume`` gives the volume and mount for a user's own workload; ``SecretsStorePod``
declares a whole Pod with them, useful to check a class end to end: a mount failure shows only as
a ``FailedMount`` event and a Pod stuck in ``ContainerCreating``.

A Pod that holds secrets runs with the tightest defaults (:func:`pod_security`): not as root,
read-only root filesystem (an ``emptyDir`` at ``/tmp`` for scratch), no privilege escalation, no
capabilities, the runtime's seccomp profile, resource requests and limits. Windows Pods get the
subset the API server accepts with ``spec.os.name: windows`` (it rejects the Linux-only fields).
Each default can be overridden per workload; ``runAsRoot: true`` is the one line for images that
must start as root (the seeds' ``nginx``).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from decimal import Decimal
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
# Works without root: listens on 8080 as uid 101 and writes only under /tmp.
DEFAULT_IMAGE = "nginxinc/nginx-unprivileged"
# Windows' unprivileged account in every Windows container image.
WINDOWS_USER = "ContainerUser"
SECCOMP_PROFILES = ("RuntimeDefault", "Unconfined")
# The API server rejects these with spec.os.name: windows.
LINUX_ONLY_SETTINGS = ("runAsUser", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "addCapabilities", "seccompProfile")
RESOURCE_NAMES = ("cpu", "memory", "ephemeral-storage")
DEFAULT_RESOURCES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "linux": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
    "windows": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
}
_QUANTITY = re.compile(r"^(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][-+]?[0-9]+)?$")
_SUFFIX = {
    **{s: Decimal(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{s: Decimal(10) ** e for s, e in (("n", -9), ("u", -6), ("m", -3), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18))},
}
_CAPABILITY = re.compile(r"^[A-Z][A-Z_]*$")


class SecurityArgs(TypedDict, total=False):
    """Overrides of the hardened defaults; every key is optional.

    ``runAsRoot``: the image must start as root (e.g. ``nginx``): no ``runAsNonRoot``, the runtime's
    default capabilities and a writable root filesystem; no escalation, seccomp and limits stay.
    The rest are Linux-only: ``runAsUser`` (a UID, for images whose ``USER`` is a name),
    ``readOnlyRootFilesystem``, ``allowPrivilegeEscalation``, ``addCapabilities`` (added after
    dropping ALL, e.g. ``NET_BIND_SERVICE``) and ``seccompProfile`` (``RuntimeDefault`` or ``Unconfined``).
    """

    runAsRoot: bool
    runAsUser: int
    readOnlyRootFilesystem: bool
    allowPrivilegeEscalation: bool
    addCapabilities: Sequence[str]
    seccompProfile: Literal["RuntimeDefault", "Unconfined"]


class ResourcesArgs(TypedDict, total=False):
    """Container ``requests``/``limits`` by resource (``cpu``, ``memory``, ``ephemeral-storage``),
    merged key by key over :data:`DEFAULT_RESOURCES`; a request not given is at most its limit."""

    requests: Mapping[str, str]
    limits: Mapping[str, str]


def parse_quantity(text: str) -> Decimal:
    """A Kubernetes resource quantity (``100m``, ``128Mi``, ``1e3``) as a number; ValueError if malformed."""
    match = _QUANTITY.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a resource quantity; allowed: a number with an optional suffix such as 100m, 0.5, 128Mi, 1G")
    suffix = match["suffix"] or ""
    scale = Decimal(10) ** int(suffix[1:]) if suffix[:1] in ("e", "E") else _SUFFIX.get(suffix, Decimal(1))
    return Decimal(match["number"]) * scale


def resolve_resources(os: NodeOS, overrides: ResourcesArgs | None = None) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The container's resources (defaults for ``os`` under ``overrides``) and every problem found."""
    overrides = overrides or {}
    problems: list[str] = []
    given: dict[str, dict[str, str]] = {}
    for kind in ("requests", "limits"):
        values = dict(overrides.get(kind) or {})
        for name, value in sorted(values.items()):
            if name not in RESOURCE_NAMES:
                problems.append(f"resources.{kind}: unknown resource {name!r}; allowed: {', '.join(RESOURCE_NAMES)}")
                continue
            try:
                parse_quantity(value)
            except ValueError as error:
                problems.append(f"resources.{kind}.{name}: {error}")
        given[kind] = values
    defaults = DEFAULT_RESOURCES[os]
    limits = {**defaults["limits"], **given["limits"]}
    requests = dict(given["requests"])
    for name, default in defaults["requests"].items():
        if name in requests:
            continue
        # A lowered limit lowers the default request with it, as Kubernetes does for a missing request.
        limit = limits.get(name)
        requests[name] = limit if limit is not None and _smaller(limit, default) else default
    for name in sorted(set(requests) & set(limits)):
        if _smaller(limits[name], requests[name]):
            origin = "" if name in given["limits"] else " (default)"
            problems.append(
                f"resources.requests.{name} {requests[name]} exceeds resources.limits.{name} {limits[name]}{origin}; "
                "the API server refuses a request above its limit: raise the limit or lower the request"
            )
    return {"requests": dict(sorted(requests.items())), "limits": dict(sorted(limits.items()))}, problems


def _smaller(a: str, b: str) -> bool:
    try:
        return parse_quantity(a) < parse_quantity(b)
    except ValueError:
        return False  # reported as malformed


def security_problems(os: NodeOS, security: SecurityArgs | None) -> list[str]:
    """What the API server or the kubelet would refuse in these overrides, for a Pod on ``os``."""
    security = security or {}
    problems: list[str] = []
    if os == "windows":
        problems += [
            f"securityContext.{key}: Linux-only; the API server rejects it on a Windows Pod (spec.os.name: windows); remove it"
            for key in LINUX_ONLY_SETTINGS if key in security
        ]
        return problems
    user = security.get("runAsUser")
    if user is not None and (isinstance(user, bool) or not isinstance(user, int) or not 0 <= user <= 2**31 - 1):
        problems.append(f"securityContext.runAsUser: {user!r} is not allowed; a UID from 0 to {2**31 - 1}")
    elif user == 0 and not security.get("runAsRoot"):
        problems.append("securityContext.runAsUser: 0 is root, which runAsNonRoot refuses; set runAsRoot: true or a non-zero UID")
    for capability in security.get("addCapabilities") or []:
        if not isinstance(capability, str) or not _CAPABILITY.match(capability) or capability.startswith("CAP_") or capability == "ALL":
            problems.append(
                f"securityContext.addCapabilities: {capability!r} is not allowed; a capability name without CAP_, such as NET_BIND_SERVICE"
            )
    seccomp = security.get("seccompProfile")
    if seccomp is not None and seccomp not in SECCOMP_PROFILES:
        problems.append(f"securityContext.seccompProfile: {seccomp!r} is not allowed; use one of: {', '.join(SECCOMP_PROFILES)}")
    return problems


def read_only_root(os: NodeOS, security: SecurityArgs | None) -> bool:
    security = security or {}
    return os == "linux" and security.get("readOnlyRootFilesystem", not security.get("runAsRoot", False))


def default_writable_paths(os: NodeOS, security: SecurityArgs | None) -> list[str]:
    """Scratch directories (``emptyDir``) a read-only root filesystem needs: ``/tmp`` on Linux."""
    return ["/tmp"] if read_only_root(os, security) else []


def writable_path_problems(os: NodeOS, paths: Sequence[str], mount_path: str) -> list[str]:
    problems = []
    for path in paths:
        try:
            check_mount_path(path, os)
        except ValueError as error:
            problems.append(f"writablePaths: {error}")
        if path.rstrip("/\\") == mount_path.rstrip("/\\"):
            problems.append(f"writablePaths: {path!r} is where the Key Vault objects are mounted; give another directory")
    if len(set(paths)) != len(paths):
        problems.append(f"writablePaths: {sorted(p for p in set(paths) if list(paths).count(p) > 1)} listed twice")
    return problems


def pod_security(os: NodeOS, security: SecurityArgs | None = None) -> tuple[core.PodSecurityContextArgs | None, core.SecurityContextArgs | None]:
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
    mounts: Sequence[core.VolumeMountArgs],
    env: Sequence[core.EnvVarArgs] = (),
    env_from: Sequence[core.EnvFromSourceArgs] = (),
    security_context: core.SecurityContextArgs | None = None,
    resources: Mapping[str, Mapping[str, str]] | None = None,
) -> core.ContainerArgs:
    # The one place the container is shaped.
    return core.ContainerArgs(
        name=name,
        image=image,
        volume_mounts=list(mounts),
        env=list(env) or None,
        env_from=list(env_from) or None,
        security_context=security_context,
        resources=core.ResourceRequirementsArgs(requests=dict(resources["requests"]), limits=dict(resources["limits"])) if resources else None,
    )


def _scratch_volumes(paths: Sequence[str]) -> tuple[list[core.VolumeArgs], list[core.VolumeMountArgs]]:
    names = [f"scratch-{i}" for i in range(len(paths))]
    volumes = [core.VolumeArgs(name=n, empty_dir=core.EmptyDirVolumeSourceArgs()) for n in names]
    return volumes, [core.VolumeMountArgs(name=n, mount_path=p) for n, p in zip(names, paths, strict=True)]


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
    securityContext: NotRequired[SecurityArgs]
    """Overrides of the hardened defaults, e.g. ``{"runAsRoot": True}`` for an image that must start as root."""
    resources: NotRequired[ResourcesArgs]
    writablePaths: NotRequired[Sequence[str]]
    """``emptyDir`` scratch directories; default ``/tmp`` when the root filesystem is read-only."""
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
        security = args.get("securityContext") or {}
        writable = list(args.get("writablePaths", default_writable_paths(os, security)))
        resources, problems = resolve_resources(os, args.get("resources"))
        problems = security_problems(os, security) + problems + writable_path_problems(os, writable, mount_path)
        if problems:
            raise ValueError("; ".join(problems))
        super().__init__(TYPE, name, None, opts)
        volume, mount = secrets_store_volume(args["secretProviderClass"], mount_path=mount_path)
        scratch, scratch_mounts = _scratch_volumes(writable)
        pod_context, container_context = pod_security(os, security)
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
                        [mount, *scratch_mounts],
                        args.get("env", ()),
                        args.get("envFrom", ()),
                        container_context,
                        resources,
                    )
                ],
                volumes=[volume, *scratch],
                security_context=pod_context,
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
