"""One cloud: a class's ``cloudName`` against the cloud its vault is declared in (docs/azure-rules.md §clouds).

The Azure provider builds the vault URL and the token authority from the class's ``cloudName``
(go-autorest ``EnvironmentFromName``: upper-cased, then looked up; ``AzureStackCloud`` is read from
the file named by ``cloudEnvFileName``). The vault, the identity and the grants are declared
through azure-native, in its ``environment``. Both must be the same cloud, or every mount fails.

``AzureStackCloud`` belongs to no azure-native ``environment``: its endpoints are in a file on the
nodes that nothing reads at preview, so it is accepted with any environment (the azure-native
provider then reaches that cloud through ``azure-native:metadataHost``). The file is read inside
the *provider pod* (docs/azure-rules.md §clouds-env-file): with the Helm chart its folder is mounted
there through ``linux.volumes``/``linux.volumeMounts``; the AKS add-on has no way to mount it.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from keyvault_csi.rules.choices import DriverInstall, Environment, NodeOS

AZURE_STACK_CLOUD = "AzureStackCloud"
GERMAN_CLOUD = "AzureGermanCloud"
# Microsoft Cloud Deutschland closed on this day (docs/azure-rules.md §clouds).
GERMAN_CLOUD_CLOSED = "2021-10-29"

# go-autorest v0.11.30 azure/environments.go: the names EnvironmentFromName knows, by the cloud they mean.
ENVIRONMENT_CLOUDS: Mapping[Environment, tuple[str, ...]] = {
    Environment.PUBLIC: ("AzurePublicCloud", "AzureCloud"),
    Environment.USGOVERNMENT: ("AzureUSGovernmentCloud", "AzureUSGovernment"),
    Environment.CHINA: ("AzureChinaCloud",),
}
CLOUD_LABELS: Mapping[Environment, str] = {
    Environment.PUBLIC: "Azure public cloud",
    Environment.USGOVERNMENT: "Azure US Government cloud",
    Environment.CHINA: "Azure China cloud (21Vianet)",
}

# The chart mounts the provider's socket folder at /provider (provider-azure-installer.yaml).
PROVIDER_SOCKET_FOLDER = "/provider"
HOST_VOLUME_PREFIX = "keyvault-csi-host"


def is_stack(cloud_name: str) -> bool:
    return cloud_name.lower() == AZURE_STACK_CLOUD.lower()


def german_cloud_problem(cloud_name: str) -> str | None:
    """Why ``AzureGermanCloud`` is refused (in any letter case), else None."""
    if cloud_name.lower() != GERMAN_CLOUD.lower():
        return None
    return (
        f"'{cloud_name}' is refused: Microsoft Cloud Deutschland closed on {GERMAN_CLOUD_CLOSED}, its endpoints no "
        "longer answer; its workloads moved to the public cloud's German regions (cloudName '' or AzurePublicCloud)"
    )


def cloud_environment(cloud_name: str) -> Environment | None:
    """The azure-native environment ``cloud_name`` means (``""`` is the public cloud); None for Stack or unknown."""
    if not cloud_name:
        return Environment.PUBLIC
    for environment, names in ENVIRONMENT_CLOUDS.items():
        if cloud_name.lower() in {n.lower() for n in names}:
            return environment
    return None


def allowed_cloud_names(environment: Environment) -> str:
    """The ``cloudName`` values of ``environment``'s cloud, for messages."""
    names = ENVIRONMENT_CLOUDS[environment]
    custom = f"{AZURE_STACK_CLOUD} (a custom cloud described by cloudEnvFileName)"
    return f"'' (the default: this cloud), {', '.join(names)} or {custom}"


def class_cloud_name(cloud_name: str, environment: Environment) -> str:
    """The ``cloudName`` a class is rendered with: as given, else ``environment``'s cloud (empty for the public
    cloud, the provider's default)."""
    if cloud_name or environment == Environment.PUBLIC:
        return cloud_name
    return ENVIRONMENT_CLOUDS[environment][0]


def cloud_mismatch_problem(cloud_name: str, environment: Environment) -> str | None:
    """Why a class naming ``cloud_name`` cannot read a vault declared in ``environment``, else None
    (an empty ``cloud_name`` is rendered as ``environment``'s cloud: :func:`class_cloud_name`)."""
    means = cloud_environment(cloud_name) if cloud_name else None
    if means is None or means == environment:
        return None
    return (
        f"'{cloud_name}' is the {CLOUD_LABELS[means]}, but the vault, identity and grants are declared in the "
        f"{CLOUD_LABELS[environment]} (environment '{environment}', azure-native:environment in a stack): the "
        f"provider would look for the vault and sign in there; allowed: {allowed_cloud_names(environment)}, or set "
        f"environment to '{means}'"
    )


# --- AzureStackCloud: the environment file inside the provider pods ---


def is_absolute(path: str, os: NodeOS) -> bool:
    if os == NodeOS.WINDOWS:
        return ntpath.isabs(path) and bool(ntpath.splitdrive(path)[0])
    return path.startswith("/")


def env_file_folder(path: str) -> str:
    """The folder of a Linux ``cloudEnvFileName``: the host folder mounted into the provider pods."""
    return posixpath.dirname(posixpath.normpath(path))


def host_folder_problem(folder: str) -> str | None:
    """Why a host folder cannot be mounted at the same path into the Linux provider pods, else None."""
    if not folder.startswith("/"):
        return f"{folder!r} is not an absolute path; give a folder on the nodes such as '/etc/kubernetes'"
    socket = PROVIDER_SOCKET_FOLDER
    if folder == "/" or folder == socket or folder.startswith(socket + "/"):
        return (
            f"{folder!r} would hide the provider's own files (its socket folder {socket} or its image's "
            "root); give the folder that holds the file, such as '/etc/kubernetes'"
        )
    if posixpath.normpath(folder) != folder:
        return f"{folder!r} is not a clean path; write it as {posixpath.normpath(folder)!r}"
    return None


def _mount_paths(values: Mapping[str, Any] | None, os: NodeOS) -> list[str]:
    """The ``mountPath`` of each ``<os>.volumeMounts`` entry of user chart values."""
    section = (values or {}).get(str(os))
    mounts = section.get("volumeMounts") if isinstance(section, Mapping) else None
    if not isinstance(mounts, list):
        return []
    return [str(m["mountPath"]) for m in mounts if isinstance(m, Mapping) and isinstance(m.get("mountPath"), str)]


def mounts_volumes(values: Mapping[str, Any] | None, os: NodeOS = NodeOS.LINUX) -> bool:
    """True when user chart values mount volumes of their own into the ``os`` provider pods."""
    section = (values or {}).get(str(os))
    return isinstance(section, Mapping) and bool(section.get("volumes") or section.get("volumeMounts"))


def _covers(folder: str, path: str, os: NodeOS) -> bool:
    if os == NodeOS.WINDOWS:
        folder, path = folder.replace("\\", "/").lower(), path.replace("\\", "/").lower()
    folder = folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")


def default_host_folders(
    files: Iterable[tuple[str, str | None, NodeOS]], values: Mapping[str, Any] | None
) -> list[str]:
    """The folders mounted when ``driver.providerHostFolders`` is unset: the folder of each Linux AzureStackCloud
    ``cloudEnvFileName`` (``files``: cloudName, cloudEnvFileName, node OS), none when ``values`` mount their own."""
    if mounts_volumes(values):
        return []
    folders = {
        env_file_folder(path)
        for cloud, path, os in files
        if is_stack(cloud) and path and os == NodeOS.LINUX and is_absolute(path, os)
    }
    return sorted(f for f in folders if host_folder_problem(f) is None)


def stack_env_file_problem(
    install: DriverInstall,
    os: NodeOS,
    path: str,
    host_folders: Sequence[str],
    values: Mapping[str, Any] | None,
) -> tuple[str, str] | None:
    """(key, why) when an AzureStackCloud class's ``cloudEnvFileName`` cannot be read by the provider, else None.

    ``os``: the node OS of the Pods that mount the class; ``host_folders``: the folders keyvault-csi
    mounts into the Linux provider pods; ``values``: the user's chart values.
    """
    if not is_absolute(path, os):
        example = "C:\\k\\azurestackcloud.json" if os == NodeOS.WINDOWS else "/etc/kubernetes/azurestackcloud.json"
        return "cloudEnvFileName", (
            f"{path!r} is not an absolute {os} path; the provider opens it inside its own pods, so give the path "
            f"of the file on the nodes, such as {example!r}"
        )
    if install == DriverInstall.AKS_ADDON:
        return "cloudName", (
            f"{AZURE_STACK_CLOUD} is read from cloudEnvFileName inside the provider pods, and the AKS add-on's "
            "provider pods cannot mount a file from the nodes (the add-on takes no volumes); use driver.install "
            "helm, which mounts the file's folder (driver.providerHostFolders)"
        )
    if install != DriverInstall.HELM:
        return None  # install none: warned at preview (env_file_warning)
    own = [f for f in host_folders if os == NodeOS.LINUX]
    if any(_covers(m, path, os) for m in [*own, *_mount_paths(values, os)]):
        return None
    if os == NodeOS.WINDOWS:
        return "cloudEnvFileName", (
            f"{path!r} is read inside the Windows provider pods (the Pod runs on Windows), which mount no folder of "
            "the nodes; keyvault-csi mounts folders only into the Linux ones: mount it with driver.values "
            "windows.volumes and windows.volumeMounts"
        )
    given = ", ".join(map(repr, host_folders)) or "none"
    return "cloudEnvFileName", (
        f"{path!r} is read inside the provider pods, which mount only {PROVIDER_SOCKET_FOLDER} and the folders "
        f"of driver.providerHostFolders ({given}); add {env_file_folder(path)!r} to driver.providerHostFolders "
        "(or leave it unset: the folder of each cloudEnvFileName), or mount it with driver.values linux.volumes "
        "and linux.volumeMounts"
    )


def env_file_warning(files: Sequence[tuple[str, str]]) -> str | None:
    """The preview warning for AzureStackCloud classes with ``driver.install: none`` (``files``: workload, path)."""
    if not files:
        return None
    listed = ", ".join(f"{workload} ({path})" for workload, path in files)
    return (
        f"cloudName {AZURE_STACK_CLOUD}: the Azure provider reads cloudEnvFileName inside its own pods, not on the "
        f"node; with driver.install none keyvault-csi cannot check that your provider DaemonSet mounts it: {listed}. "
        "With the provider's Helm chart, mount the file's folder (linux.volumes, linux.volumeMounts), or use "
        "driver.install helm, which mounts it (driver.providerHostFolders); docs/driver.md"
    )


def host_folder_values(folders: Sequence[str]) -> dict[str, Any]:
    """Chart values that mount each host folder read-only, at the same path, into the Linux provider pods."""
    names = [f"{HOST_VOLUME_PREFIX}-{i}" for i in range(len(folders))]
    return {
        "volumes": [
            {"name": name, "hostPath": {"path": folder, "type": "Directory"}}
            for name, folder in zip(names, folders, strict=True)
        ],
        "volumeMounts": [
            {"name": name, "mountPath": folder, "readOnly": True} for name, folder in zip(names, folders, strict=True)
        ],
    }
