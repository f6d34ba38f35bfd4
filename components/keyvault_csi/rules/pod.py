"""The hardened security context and resources of a Pod that holds secrets, with their overrides.

Defaults: not root, read-only root filesystem, no privilege escalation, all capabilities dropped,
the runtime's seccomp profile, requests and limits. A Windows Pod gets the subset the API server
accepts with ``spec.os.name: windows``. The same rules serve the Pod component and the config
validation, so a bad override fails at preview with its key path.
"""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, cast

from keyvault_csi.rules.model import repeats

if TYPE_CHECKING:  # the shapes are generated from the input models; no import at run time
    from keyvault_csi.package.args import PodResources, PodSecurity

NodeOS = Literal["linux", "windows"]
CSI_DRIVER = "secrets-store.csi.k8s.io"
DEFAULT_VOLUME_NAME = "secrets-store-inline"
LINUX_MOUNT_PATH = "/mnt/secrets-store"
WINDOWS_MOUNT_PATH = "C:\\mnt\\secrets-store"
DEFAULT_CONTAINER_NAME = "app"
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")
# Works without root: listens on 8080 as uid 101 and writes only under /tmp.
DEFAULT_IMAGE = "nginxinc/nginx-unprivileged"

# Windows' unprivileged account in every Windows container image.
WINDOWS_USER = "ContainerUser"
SeccompProfile = Literal["RuntimeDefault", "Unconfined"]
SECCOMP_PROFILES: tuple[str, ...] = typing.get_args(SeccompProfile)
# The API server rejects these with spec.os.name: windows.
LINUX_ONLY_SETTINGS = (
    "runAsUser",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "addCapabilities",
    "seccompProfile",
)
RESOURCE_NAMES = ("cpu", "memory", "ephemeral-storage")
DEFAULT_RESOURCES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "linux": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
    "windows": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
}
_QUANTITY = re.compile(
    r"^(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][-+]?[0-9]+)?$"
)
_SUFFIX = {
    **{s: Decimal(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{
        s: Decimal(10) ** e
        for s, e in (("n", -9), ("u", -6), ("m", -3), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18))
    },
}
_CAPABILITY = re.compile(r"^[A-Z][A-Z_]*$")


def parse_quantity(text: str) -> Decimal:
    """A Kubernetes resource quantity (``100m``, ``128Mi``, ``1E``, ``1e3``) as a number; ValueError if malformed."""
    if isinstance(text, str):
        quantity = _quantity(text)
        if quantity is not None:
            return quantity
        if _QUANTITY.match(text):
            raise ValueError(f"{text!r} is too large a resource quantity")
    raise ValueError(
        f"{text!r} is not a resource quantity; allowed: a number with an optional suffix such as 100m, 0.5, 128Mi, 1G"
    )


@functools.lru_cache(maxsize=1024)  # every Pod compares the same few quantities
def _quantity(text: str) -> Decimal | None:
    """``None`` for a malformed quantity, or one too large to compute."""
    match = _QUANTITY.match(text)
    if not match:
        return None
    suffix = match["suffix"] or ""
    try:
        # "E" alone is exa (10^18); "e" or "E" followed by digits is a decimal exponent.
        scale = _SUFFIX[suffix] if suffix in _SUFFIX else Decimal(10) ** int(suffix[1:] or 0)
        return Decimal(match["number"]) * scale
    except ArithmeticError:  # decimal.Overflow: an exponent such as 1e9999999
        return None


def resolve_resources(os: NodeOS, overrides: PodResources | None = None) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The container's resources (defaults for ``os`` under ``overrides``) and every problem found."""
    overrides = overrides or {}
    problems: list[str] = []
    given: dict[str, dict[str, str]] = {}
    for kind in ("requests", "limits"):
        values = dict(cast("Mapping[str, str]", overrides.get(kind) or {}))
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


def security_problems(os: NodeOS, security: PodSecurity | None) -> list[str]:
    """What the API server or the kubelet would refuse in these overrides, for a Pod on ``os``."""
    security = security or {}
    problems: list[str] = []
    if os == "windows":
        problems += [
            f"securityContext.{key}: Linux-only; the API server rejects it on a Windows Pod (spec.os.name: windows); remove it"
            for key in LINUX_ONLY_SETTINGS
            if key in security
        ]
        return problems
    user = security.get("runAsUser")
    if user is not None and (isinstance(user, bool) or not isinstance(user, int) or not 0 <= user <= 2**31 - 1):
        problems.append(f"securityContext.runAsUser: {user!r} is not allowed; a UID from 0 to {2**31 - 1}")
    elif user == 0 and not security.get("runAsRoot"):
        problems.append(
            "securityContext.runAsUser: 0 is root, which runAsNonRoot refuses; set runAsRoot: true or a non-zero UID"
        )
    for capability in security.get("addCapabilities") or []:
        if (
            not isinstance(capability, str)
            or not _CAPABILITY.match(capability)
            or capability.startswith("CAP_")
            or capability == "ALL"
        ):
            problems.append(
                f"securityContext.addCapabilities: {capability!r} is not allowed; a capability name without CAP_, such as NET_BIND_SERVICE"
            )
    seccomp = seccomp_problem(security.get("seccompProfile"))
    if seccomp:
        problems.append(f"securityContext.seccompProfile: {seccomp}")
    return problems


def seccomp_problem(profile: object) -> str | None:
    """Why the kubelet would refuse ``profile`` as the container's seccomp profile type, or None."""
    if profile is not None and profile not in SECCOMP_PROFILES:
        return f"{profile!r} is not allowed; use one of: {', '.join(SECCOMP_PROFILES)}"
    return None


def read_only_root(os: NodeOS, security: PodSecurity | None) -> bool:
    security = security or {}
    return os == "linux" and security.get("readOnlyRootFilesystem", not security.get("runAsRoot", False))


def default_writable_paths(os: NodeOS, security: PodSecurity | None) -> list[str]:
    """Scratch directories (``emptyDir``) a read-only root filesystem needs: ``/tmp`` on Linux."""
    return ["/tmp"] if read_only_root(os, security) else []


def default_mount_path(os: NodeOS) -> str:
    """Where the objects appear in the container: a Windows container needs a drive path."""
    return WINDOWS_MOUNT_PATH if os == "windows" else LINUX_MOUNT_PATH


def check_mount_path(path: str, os: NodeOS) -> None:
    """Refuse a mount path that is not absolute for the node's OS."""
    if os == "windows" and not _WINDOWS_ABSOLUTE.match(path):
        raise ValueError(
            f"mountPath {path!r} is not allowed on windows; give a drive path such as {WINDOWS_MOUNT_PATH!r}"
        )
    if os == "linux" and not path.startswith("/"):
        raise ValueError(
            f"mountPath {path!r} is not allowed on linux; give an absolute path such as {LINUX_MOUNT_PATH!r}"
        )


def writable_path_problems(os: NodeOS, paths: Sequence[str], mount_path: str) -> list[str]:
    problems = []
    for path in paths:
        try:
            check_mount_path(path, os)
        except ValueError as error:
            problems.append(f"writablePaths: {error}")
        if path.rstrip("/\\") == mount_path.rstrip("/\\"):
            problems.append(
                f"writablePaths: {path!r} is where the Key Vault objects are mounted; give another directory"
            )
    twice = [path for path, _ in repeats(paths)]
    if twice:
        problems.append(f"writablePaths: {twice} listed twice")
    return problems
