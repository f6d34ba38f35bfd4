"""Cross-key rules of what a workload's mount writes, over the validated settings (run by :mod:`.checks`).

* file paths per node OS: a class's files are written by the driver on the nodes of the Pods that mount
  it, so each workload's aliases are checked with its OS (``pod.os`` / ``deployment.os``, else ``os``, else
  linux; docs/azure-rules.md §objects-windows-paths);
* the certificate files ``<file>.crt`` / ``<file>.key`` the provider writes beside a secret object when the
  driver writes certificates' cert and key separately (docs/azure-rules.md §driver-certificates);
* the name of the driver's per-Pod status object (docs/azure-rules.md §status-object-name).

What may fail but cannot be decided at plan (names that differ only in case on Windows, certificate files
of a driver this stack does not install) are :func:`mount_warnings`, logged by the component.
"""

from __future__ import annotations

from collections.abc import Iterable

from keyvault_csi.model.errors import Problem
from keyvault_csi.model.settings import Settings, WorkloadSettings
from keyvault_csi.rules.choices import DriverInstall, NodeOS
from keyvault_csi.rules.driver import ADDON_CERTIFICATES, CONSTRUCT_PEM_CHAIN_FALSE
from keyvault_csi.rules.inputs import is_later
from keyvault_csi.rules.objects import CERT_FILE_SUFFIXES, KeyVaultObject, file_conflicts, writes_cert_parts
from keyvault_csi.rules.paths import alias_problem, case_variants, quoted, windows_device_name
from keyvault_csi.rules.secret_sync import mounted_objects, sync_source
from keyvault_csi.rules.status_object import deployment_name_problems, status_name_problem

SEPARATE_FILES = (
    "with certificates' cert and key in separate files the provider also writes <file>.crt and <file>.key "
    "beside a secret object that is a certificate's"
)


def _os_key(workload: WorkloadSettings) -> str:
    """Where the workload's node OS comes from, for messages."""
    if workload.pod is not None:
        return "pod.os"
    if workload.deployment is not None:
        return "deployment.os"
    return "os" if workload.os is not None else "os, default linux"


def _conflicts(settings: Settings, workload: WorkloadSettings, *, cert_parts: bool = True) -> list[str]:
    """:func:`file_conflicts` (with certificate files: ``cert_parts``) within each vault's mount, among the objects
    whose file name is known."""
    found: list[str] = []
    for objects in settings.objects_by_vault(workload).values():
        known = {j: o for j, o in objects.items() if o.file_known}
        found += file_conflicts(list(known.values()), list(known), os=workload.node_os(), cert_parts=cert_parts)
    return found


def _case_warnings(at: str, objects: Iterable[KeyVaultObject], cert_parts: bool | None) -> list[str]:
    """Files of one mount (``objects``: its objects) that differ only in letter case."""
    known = list(mounted_objects(objects).values())
    files = [o.file_name for o in known]
    parts = [f + s for o, f in zip(known, files, strict=True) if writes_cert_parts(o) for s in CERT_FILE_SUFFIXES]
    written = files + (parts if cert_parts is not False else [])
    return [
        f"{at}.objects: {quoted(a)} and {quoted(b)} differ only in letter case: on Windows nodes (NTFS "
        "ignores case) they are one file and one object's content replaces the other's; use names that differ "
        "in more than case"
        for a, b in case_variants(written)
        if not (a in parts and b in parts)  # the parts of two files already reported
    ]


def path_problems(settings: Settings) -> list[Problem]:
    """Each workload's file names under its node OS's rules, and files that collide within one vault's mount
    (certificate files among them)."""
    found: list[Problem] = []
    cert_parts = settings.cert_and_key_files()
    for i, workload in enumerate(settings.workloads):
        os = workload.node_os()
        nodes = f" (the class is mounted on {os} nodes: {_os_key(workload)})"
        for j, obj in enumerate(workload.objects):
            if obj.object_alias:
                problem = alias_problem(obj.object_alias, os)
                if problem:
                    found.append(
                        Problem(
                            ("workloads", i, "objects", j, "objectAlias"),
                            f"{quoted(obj.object_alias)} {problem}{nodes}",
                        )
                    )
            elif os == NodeOS.WINDOWS and isinstance(obj.object_name, str) and windows_device_name(obj.object_name):
                found.append(
                    Problem(
                        ("workloads", i, "objects", j, "objectName"),
                        f"{quoted(obj.object_name)} is also the file name, which Windows reserves as a device name "
                        f"(CON, PRN, AUX, NUL, COM1-9, LPT1-9); set objectAlias{nodes}",
                    )
                )
        # WorkloadSettings checks the files of each objects[].keyVault before the vaults are known; here an object
        # without keyVault is in the only vault of keyVaults too (and certificate files are counted).
        separate = f" ({SEPARATE_FILES})" if cert_parts else ""
        found += [
            Problem(("workloads", i, "objects"), conflict + separate)
            for conflict in _conflicts(settings, workload, cert_parts=bool(cert_parts))
        ]
    return found


def status_name_problems(settings: Settings) -> list[Problem]:
    """The driver's status object of each declared Pod (or Deployment's Pods) and each class it mounts must fit
    a Kubernetes name."""
    found: list[Problem] = []
    named_by_output = any(is_later(v.name) for v in settings.vaults().values())
    for i, workload in enumerate(settings.workloads):
        if not workload.secret_provider_class and named_by_output:
            continue  # the class name is required then (checks.computed_problems)
        namespace = workload.namespace
        for class_name in [m.class_name for m in settings.mounts(workload)]:
            if workload.pod is not None:
                problem = status_name_problem(
                    workload.pod_name(), namespace, class_name, "pod.name, namespace or secretProviderClass"
                )
                found += [Problem(("workloads", i, "pod"), problem)] if problem else []
            if workload.deployment is not None:
                found += [
                    Problem(("workloads", i, "deployment"), problem)
                    for problem in deployment_name_problems(
                        workload.deployment_name(), namespace, class_name, "namespace or secretProviderClass"
                    )
                ]
    return found


def certificate_problems(settings: Settings) -> list[Problem]:
    """``driver.constructPEMChain`` and ``driver.writeCertAndKeyInSeparateFiles``: chart values, helm only."""
    driver = settings.driver
    given = [
        key
        for key, value in (
            ("constructPEMChain", driver.construct_pem_chain),
            ("writeCertAndKeyInSeparateFiles", driver.write_cert_and_key_in_separate_files),
        )
        if value is not None
    ]
    if driver.install == DriverInstall.AKS_ADDON:
        return [Problem(("driver", key), f"{ADDON_CERTIFICATES}; drop it") for key in given]
    if driver.install == DriverInstall.NONE:
        return [
            Problem(("driver", key), "only with install helm (install none declares no driver to set it on); drop it")
            for key in given
        ]
    if driver.construct_pem_chain is False:
        return [Problem(("driver", "constructPEMChain"), f"{CONSTRUCT_PEM_CHAIN_FALSE}; drop it")]
    return []


def mount_warnings(settings: Settings) -> list[str]:
    """What may fail at mount time but cannot be decided at plan, with the key path to look at."""
    found: list[str] = []
    cert_parts = settings.cert_and_key_files()
    for i, workload in enumerate(settings.workloads):
        at = f"workloads[{i}]"
        if workload.node_os() == NodeOS.WINDOWS:
            for objects in settings.objects_by_vault(workload).values():  # each vault's files are one mount
                found += _case_warnings(at, objects.values(), cert_parts)
        if cert_parts is not None:
            continue
        found += [
            f"{at}.objects: {conflict}, if the installed driver writes certificates' cert and key in separate files "
            "(the AKS add-on does; the chart with writeCertAndKeyInSeparateFiles)"
            for conflict in _conflicts(settings, workload)
        ]
        mounted = mounted_objects(workload.objects)
        for j, secret in enumerate(workload.secret_objects):
            for k, entry in enumerate(secret.data):
                obj, part, _ = sync_source(entry.object_name, mounted, os=workload.node_os(), cert_parts=None)
                if obj is not None and part:
                    found.append(
                        f"{at}.secretObjects[{j}].data[{k}].objectName: {quoted(entry.object_name)} exists only if the "
                        f"installed driver writes certificates' cert and key in separate files (the AKS add-on "
                        f"does; the chart with writeCertAndKeyInSeparateFiles) and {quoted(obj.file_name)} is a "
                        "certificate's secret"
                    )
    return found
