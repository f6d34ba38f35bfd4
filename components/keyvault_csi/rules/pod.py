"""The hardened security context and resources of a Pod that holds secrets, with their overrides.

Defaults: not root, read-only root filesystem, no privilege escalation, all capabilities dropped,
the runtime's seccomp profile, requests and limits. A Windows Pod gets the subset the API server
accepts with ``spec.os.name: windows``. The overrides are models of their own (:class:`PodSecurity`,
:class:`PodResources`), nested in the Pod settings, so a bad override fails at preview with its key path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from decimal import Decimal

from pydantic import StrictBool, StrictInt

from keyvault_csi.rules.choices import NodeOS, SeccompProfile
from keyvault_csi.rules.model import Strict, repeats

CSI_DRIVER = "secrets-store.csi.k8s.io"
DEFAULT_VOLUME_NAME = "secrets-store-inline"
LINUX_MOUNT_PATH = "/mnt/secrets-store"
WINDOWS_MOUNT_PATH = "C:\\mnt\\secrets-store"
DEFAULT_CONTAINER_NAME = "app"
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")
# Works without root: listens on 8080 as uid 101 and writes only under /tmp.
DEFAULT_IMAGE = "nginxinc/nginx-unprivileged"
# Labels on everything this project declares in the cluster.
DEFAULT_LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "keyvault-csi"}
# A Deployment selects its Pods by this label, set to its name (a user label may not change it).
SELECTOR_LABEL = "app.kubernetes.io/name"

# Windows' unprivileged account in every Windows container image.
WINDOWS_USER = "ContainerUser"
RESOURCE_NAMES = ("cpu", "memory", "ephemeral-storage")
DEFAULT_RESOURCES: dict[NodeOS, dict[str, dict[str, str]]] = {
    NodeOS.LINUX: {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
    NodeOS.WINDOWS: {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
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
UID_MAX = 2**31 - 1


class PodSecurity(Strict):
    """Overrides of the Pod's hardened defaults: non-root, read-only root filesystem, no escalation, no capabilities.

    ``runAsRoot: true`` is the one line for images that must start as root (the seeds' ``nginx``).
    """

    run_as_root: StrictBool = False
    """The image must start as root (such as nginx): drops runAsNonRoot and the read-only root filesystem."""
    run_as_user: StrictInt | None = None
    """Linux: the UID to run as, for images whose USER is a name."""
    read_only_root_filesystem: StrictBool | None = None
    """Linux: read-only root filesystem (default true unless runAsRoot)."""
    allow_privilege_escalation: StrictBool | None = None
    """Linux: allow privilege escalation (default false)."""
    add_capabilities: list[str] | None = None
    """Linux: capabilities added after dropping ALL, such as NET_BIND_SERVICE."""
    seccomp_profile: SeccompProfile | None = None
    """Linux: the container's seccomp profile; default RuntimeDefault."""

    def given(self) -> list[str]:
        """The overrides set, by config key."""
        return [type(self).model_fields[name].alias or name for name in sorted(self.model_fields_set)]


class PodResources(Strict):
    """Container requests/limits by resource (cpu, memory, ephemeral-storage), over the OS's defaults."""

    requests: dict[str, str] = {}
    """Requests such as {cpu: 50m, memory: 64Mi}."""
    limits: dict[str, str] = {}
    """Limits such as {cpu: 500m, memory: 128Mi}."""


# The API server rejects these with spec.os.name: windows.
LINUX_ONLY_SETTINGS = tuple(
    field.alias or name for name, field in PodSecurity.model_fields.items() if name != "run_as_root"
)


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
    overrides = overrides or PodResources()
    problems: list[str] = []
    given: dict[str, dict[str, str]] = {}
    for kind in ("requests", "limits"):
        values = dict(overrides.requests if kind == "requests" else overrides.limits)
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
    security = security or PodSecurity()
    problems: list[str] = []
    if os == NodeOS.WINDOWS:
        problems += [
            f"securityContext.{key}: Linux-only; the API server rejects it on a Windows Pod (spec.os.name: windows); "
            "remove it"
            for key in security.given()
            if key in LINUX_ONLY_SETTINGS
        ]
        return problems
    user = security.run_as_user
    if user is not None and not 0 <= user <= UID_MAX:
        problems.append(f"securityContext.runAsUser: {user!r} is not allowed; a UID from 0 to {UID_MAX}")
    elif user == 0 and not security.run_as_root:
        problems.append(
            "securityContext.runAsUser: 0 is root, which runAsNonRoot refuses; set runAsRoot: true or a non-zero UID"
        )
    for capability in security.add_capabilities or []:
        if (
            not isinstance(capability, str)
            or not _CAPABILITY.match(capability)
            or capability.startswith("CAP_")
            or capability == "ALL"
        ):
            problems.append(
                f"securityContext.addCapabilities: {capability!r} is not allowed; "
                "a capability name without CAP_, such as NET_BIND_SERVICE"
            )
    return problems


def read_only_root(os: NodeOS, security: PodSecurity | None) -> bool:
    security = security or PodSecurity()
    if os != NodeOS.LINUX:
        return False
    given = security.read_only_root_filesystem
    return given if given is not None else not security.run_as_root


def default_writable_paths(os: NodeOS, security: PodSecurity | None) -> list[str]:
    """Scratch directories (``emptyDir``) a read-only root filesystem needs: ``/tmp`` on Linux."""
    return ["/tmp"] if read_only_root(os, security) else []


def default_mount_path(os: NodeOS) -> str:
    """Where the objects appear in the container: a Windows container needs a drive path."""
    return WINDOWS_MOUNT_PATH if os == NodeOS.WINDOWS else LINUX_MOUNT_PATH


def check_mount_path(path: str, os: NodeOS) -> None:
    """Refuse a mount path that is not absolute for the node's OS."""
    if os == NodeOS.WINDOWS and not _WINDOWS_ABSOLUTE.match(path):
        raise ValueError(
            f"mountPath {path!r} is not allowed on windows; give a drive path such as {WINDOWS_MOUNT_PATH!r}"
        )
    if os == NodeOS.LINUX and not path.startswith("/"):
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
