"""Rules that span keys, over the validated settings: each returns the problems it finds, with their key paths.

They run once every single key is valid (:func:`keyvault_csi.model.validate.validate_settings`),
and the defaults they compare (class, Pod and Deployment names, service accounts) are the model's
own methods, so the doctor and the components derive the same names.
"""

from __future__ import annotations

from collections.abc import Iterator

from keyvault_csi.model import pod_checks
from keyvault_csi.model.errors import Loc, Problem
from keyvault_csi.model.settings import PodSettings, Settings, WorkloadSettings
from keyvault_csi.rules.choices import DriverInstall, IdentityType, NodeOS, PermissionModel
from keyvault_csi.rules.driver import value_conflicts
from keyvault_csi.rules.inputs import is_later
from keyvault_csi.rules.model import repeated, repeats
from keyvault_csi.rules.names import ADFS_TENANT
from keyvault_csi.rules.objects import KeyVaultObject
from keyvault_csi.rules.parameters import tenant_problem
from keyvault_csi.rules.secret_sync import mounted_files_text, sync_source_problem
from keyvault_csi.rules.workload_identity import MAX_CREDENTIALS


def problems(settings: Settings) -> list[Problem]:
    """Every cross-key problem of ``settings``, in a stable order."""
    found = [
        *driver_problems(settings),
        *node_problems(settings),
        *name_problems(settings),
        *service_account_problems(settings),
        *sync_problems(settings),
        *tenant_problems(settings),
        *computed_problems(settings),
        *pod_checks.problems(settings),
    ]
    return found


def _templates(workload: WorkloadSettings) -> Iterator[tuple[str, PodSettings]]:
    """The workload's Pod or Deployment settings, with their key."""
    if workload.pod is not None:
        yield "pod", workload.pod
    if workload.deployment is not None:
        yield "deployment", workload.deployment


def driver_problems(settings: Settings) -> list[Problem]:
    """Combinations of ``driver`` with the identity and the workloads that cannot work."""
    driver = settings.driver
    install = driver.install
    found: list[Problem] = []

    def only_with(key: str, wanted: DriverInstall) -> None:
        found.append(Problem(("driver", key), f"only with install {wanted} (got install '{install}'); drop it"))

    if install == DriverInstall.AKS_ADDON and settings.driver_cluster() is None:
        found.append(
            Problem(
                ("driver", "cluster"),
                "install aksAddon verifies the cluster's add-on and needs the AKS cluster: set "
                "driver.cluster: {resourceGroup, name} (or identity.cluster / kubernetes.cluster)",
            )
        )
    if install != DriverInstall.HELM:
        for key, value in (
            ("syncSecret", driver.sync_secret),
            ("windows", driver.windows),
            ("chartVersion", driver.chart_version),
            ("values", driver.values),
        ):
            if value is not None:
                only_with(key, DriverInstall.HELM)
    if install == DriverInstall.NONE and driver.rotation is not None:
        found.append(
            Problem(
                ("driver", "rotation"),
                "install none declares and checks no driver, so rotation cannot be set; "
                "use install helm (sets the chart's rotation values) or aksAddon (verifies the add-on's)",
            )
        )
    if install != DriverInstall.AKS_ADDON and driver.cluster is not None:
        only_with("cluster", DriverInstall.AKS_ADDON)
    if driver.sync_secret is False:
        found += [
            Problem(
                ("workloads", i, "secretObjects"),
                "driver.syncSecret is false, so the driver would sync nothing (silently); drop driver.syncSecret "
                "(on by default when a workload has secretObjects) or the secretObjects",
            )
            for i, w in enumerate(settings.workloads)
            if w.secret_objects
        ]
    if driver.windows is False:
        found += [
            Problem(
                ("workloads", i, key, "os"),
                "windows, but driver.windows is false: no driver runs on Windows nodes to mount the class; "
                "drop driver.windows (on by default when a Pod is Windows)",
            )
            for i, w in enumerate(settings.workloads)
            for key, template in _templates(w)
            if template.os == NodeOS.WINDOWS
        ]
    found += [
        Problem(
            ("driver", "values", *conflict.split(".")),
            "set by keyvault-csi from driver.syncSecret / driver.rotation / driver.windows and the workloads; "
            "use those keys",
        )
        for conflict in value_conflicts(driver.values or {})
    ]
    if settings.identity.type == IdentityType.AKS_ADDON and install == DriverInstall.HELM:
        found.append(
            Problem(
                ("driver", "install"),
                "helm installs a second driver next to the AKS add-on whose identity identity type aksAddon uses; "
                "use install aksAddon (or none)",
            )
        )
    return found


# Why each identity type refuses nodes.
_NO_NODES = {
    IdentityType.KUBELET: "AKS already put the kubelet identity on the nodes",
    IdentityType.AKS_ADDON: "AKS already put the add-on's identity on the nodes",
    IdentityType.WORKLOAD: "Pods authenticate with their service account; nothing goes on the nodes",
}


def node_problems(settings: Settings) -> list[Problem]:
    """Nodes that the identity type refuses or needs, and nodes listed twice."""
    kind, nodes = settings.identity.type, settings.nodes
    found: list[Problem] = []
    if kind in _NO_NODES and nodes is not None:
        found.append(Problem(("nodes",), f"refused for identity type {kind} ({_NO_NODES[kind]})"))
    elif kind not in _NO_NODES and (nodes is None or nodes.count() == 0):
        found.append(
            Problem(
                ("nodes",),
                f"identity type {kind} needs at least one entry in nodes.scaleSets, nodes.virtualMachines or "
                "nodes.agentPools",
            )
        )
    if nodes is not None:
        refs = [(node_kind, ref) for node_kind, ref in nodes.compute()]
        keys = (
            ((node_kind, str(ref.resource_group).lower(), ref.name.lower()), i)
            for i, (node_kind, ref) in enumerate(refs)
            if not is_later(ref.resource_group)
        )
        for (node_kind, group, name), indexes in repeated(keys):
            found.append(Problem(("nodes",), f"{node_kind} {group}/{name} is listed {len(indexes)} times ({indexes})"))
    return found


def name_problems(settings: Settings) -> list[Problem]:
    """Two workloads declaring one class, Pod or Deployment (or one name)."""
    workloads = settings.workloads
    vault = settings.key_vault.name
    classes = (
        ((w.namespace, w.class_name(vault)), i)
        for i, w in enumerate(workloads)
        if w.secret_provider_class or not is_later(vault)
    )
    found = [
        Problem(("workloads",), f"SecretProviderClass {cls!r} declared twice in namespace {namespace!r}", tuple(at))
        for (namespace, cls), at in repeated(classes)
    ]
    pods = (((w.namespace, w.pod_name()), i) for i, w in enumerate(workloads) if w.pod is not None)
    found += [
        Problem(("workloads",), f"Pod {pod!r} declared twice in namespace {namespace!r}", tuple(at))
        for (namespace, pod), at in repeated(pods)
    ]
    deployments = (((w.namespace, w.deployment_name()), i) for i, w in enumerate(workloads) if w.deployment)
    found += [
        Problem(("workloads",), f"Deployment {name!r} declared twice in namespace {namespace!r}", tuple(at))
        for (namespace, name), at in repeated(deployments)
    ]
    found += [
        Problem(("workloads",), f"the name {name!r} is used more than once; names must be unique", tuple(at))
        for name, at in repeated((w.name, i) for i, w in enumerate(workloads))
    ]
    return found


def service_account_problems(settings: Settings) -> list[Problem]:
    """``serviceAccount`` only with workload identity; at most 20 federated subjects per identity."""
    kind = settings.identity.type
    if kind != IdentityType.WORKLOAD:
        return [
            Problem(
                ("workloads", i, "serviceAccount"), f"only used with identity type workload (got '{kind}'); drop it"
            )
            for i, w in enumerate(settings.workloads)
            if w.service_account is not None
        ]
    # One federated credential per distinct subject; Entra holds at most 20 per identity.
    subjects = {(w.namespace, w.service_account_name()) for w in settings.workloads}
    if len(subjects) <= MAX_CREDENTIALS:
        return []
    return [
        Problem(
            ("workloads",),
            f"{len(subjects)} distinct (namespace, serviceAccount) pairs need {len(subjects)} federated credentials; "
            f"a user-assigned identity holds at most {MAX_CREDENTIALS}; share service accounts "
            "(workloads[].serviceAccount) or split the workloads across stacks with their own identity",
        )
    ]


def _files(objects: list[KeyVaultObject]) -> dict[str, KeyVaultObject]:
    """File name under the mount → the object that writes it (objects whose file is known)."""
    return {o.file_name: o for o in objects if o.object_alias or not is_later(o.object_name)}


def sync_problems(settings: Settings) -> list[Problem]:
    """Each workload's secretObjects against its mounted files, its Pod env against its synced Secrets,
    and Secrets synced twice in one namespace."""
    found: list[Problem] = []
    for index, workload in enumerate(settings.workloads):
        found += _workload_sync_problems(workload, ("workloads", index))
    seen: dict[tuple[str, str], list[str]] = {}
    for index, workload in enumerate(settings.workloads):
        for i, secret in enumerate(workload.secret_objects):
            seen.setdefault((workload.namespace, secret.secret_name), []).append(
                f"workloads[{index}].secretObjects[{i}]"
            )
    found += [
        Problem(
            _loc(places[0]),
            f"Secret {name!r} is synced {len(places)} times in namespace {namespace!r} ({', '.join(places)}); "
            "give each a distinct secretName",
        )
        for (namespace, name), places in sorted(seen.items())
        if len(places) > 1
    ]
    return found


def _loc(text: str) -> Loc:
    """``workloads[0].secretObjects[1]`` as a location."""
    loc: list[str | int] = []
    for part in text.replace("]", "").split("."):
        key, _, index = part.partition("[")
        loc += [key, int(index)] if index else [key]
    return tuple(loc)


def _workload_sync_problems(workload: WorkloadSettings, at: Loc) -> list[Problem]:
    found: list[Problem] = []
    files = _files(workload.objects)
    histories = {name: o.object_version_history for name, o in files.items()}
    aliased = {str(o.object_name): o.object_alias for o in workload.objects if o.object_alias}
    synced: dict[str, set[str]] = {}
    for i, secret in enumerate(workload.secret_objects):
        synced.setdefault(secret.secret_name, set()).update(d.key for d in secret.data)
        for j, entry in enumerate(secret.data):
            name = entry.object_name
            where = (*at, "secretObjects", i, "data", j, "objectName")
            file, problem = sync_source_problem(name, histories)
            if file is None:
                hint = (
                    f"; object {name!r} is written as {aliased[name]!r} (its objectAlias), use that"
                    if name in aliased
                    else ""
                )
                found.append(
                    Problem(
                        where,
                        f"{name!r} is not a mounted file{hint}; allowed: {mounted_files_text(histories)} "
                        "(an object's objectAlias, else its objectName)",
                    )
                )
                continue
            if problem:
                found.append(Problem(where, problem))
            source = files[file]
            if secret.type == "kubernetes.io/tls" and (source.object_type != "secret" or source.object_format == "pfx"):
                found.append(
                    Problem(
                        where,
                        f"type kubernetes.io/tls splits one PEM file into tls.crt and tls.key; {name!r} must be "
                        "objectType secret on the certificate's name, objectFormat pem (objectType cert has no private key)",
                    )
                )
    for key, pod in _templates(workload):
        found += _env_problems(pod, synced, (*at, key))
    return found


def _env_problems(pod: PodSettings, synced: dict[str, set[str]], at: Loc) -> list[Problem]:
    """A bare Pod's or a Deployment's Pod template env against the Secrets the workload syncs."""
    found: list[Problem] = []
    secrets = ", ".join(sorted(map(repr, synced))) or "none (add secretObjects)"
    for i, env in enumerate(pod.env):
        ref = env.secret_key_ref
        if ref is None:
            continue
        if ref.name not in synced:
            found.append(
                Problem(
                    (*at, "env", i, "secretKeyRef", "name"),
                    f"{ref.name!r} is not a Secret this workload syncs; allowed: {secrets}",
                )
            )
        elif ref.key not in synced[ref.name]:
            found.append(
                Problem(
                    (*at, "env", i, "secretKeyRef", "key"),
                    f"{ref.key!r} is not a key of the synced Secret {ref.name!r}; "
                    f"allowed: {', '.join(sorted(map(repr, synced[ref.name])))}",
                )
            )
    for i, env_from in enumerate(pod.env_from):
        if env_from.secret_ref.name not in synced:
            found.append(
                Problem(
                    (*at, "envFrom", i, "secretRef", "name"),
                    f"{env_from.secret_ref.name!r} is not a Secret this workload syncs; allowed: {secrets}",
                )
            )
    for name, count in repeats(e.name for e in pod.env):
        found.append(Problem((*at, "env"), f"{name!r} is set {count} times; the last would silently win"))
    return found


def tenant_problems(settings: Settings) -> list[Problem]:
    """``adfs`` is Azure Stack Hub's tenant: every workload must then use AzureStackCloud (docs/azure-rules.md §tenantID)."""
    if settings.tenant_id != ADFS_TENANT:
        return []
    problem = tenant_problem(ADFS_TENANT, [w.cloud_name for w in settings.workloads])
    return [Problem(("tenantId",), problem)] if problem else []


def computed_problems(settings: Settings) -> list[Problem]:
    """Keys given as Outputs leave values unknown that must then be given as plain values."""
    found: list[Problem] = []
    vault = settings.key_vault
    computed = [
        key for key, value in (("name", vault.name), ("resourceGroup", vault.resource_group)) if is_later(value)
    ]
    if computed and vault.permission_model == PermissionModel.AUTO:
        found.append(
            Problem(
                ("keyVault", "permissionModel"),
                f"'auto' reads the vault before anything is declared, but "
                f"{' and '.join(f'keyVault.{k}' for k in computed)} {'is an Output' if len(computed) == 1 else 'are Outputs'}; "
                "set permissionModel to accessPolicy or rbac (the choice decides which resources exist)",
            )
        )
    nodes = settings.nodes
    for key, refs in (
        ("scaleSets", nodes.scale_sets if nodes else []),
        ("virtualMachines", nodes.virtual_machines if nodes else []),
    ):
        names = [ref.name.lower() for ref in refs if is_later(ref.resource_group)]
        found += [
            Problem(
                ("nodes", key),
                f"{name!r} is listed more than once with a resourceGroup that is an Output; "
                "the node's resource is then named by its name alone, so names must be distinct",
            )
            for name, _ in repeats(names)
        ]
    for i, workload in enumerate(settings.workloads):
        label = f"workload {workload.name!r}"
        if "name" in computed and not workload.secret_provider_class:
            found.append(
                Problem(
                    ("workloads", i, "secretProviderClass"),
                    f"required ({label}) because keyVault.name is an Output: the default class name "
                    "azure-<vault>-<workload> needs the vault's name before anything is declared",
                )
            )
        for j, obj in enumerate(workload.objects):
            if is_later(obj.object_name) and not obj.object_alias:
                found.append(
                    Problem(
                        ("workloads", i, "objects", j, "objectAlias"),
                        f"required ({label}) because objectName is an Output: the file name must be known to check "
                        "that no two objects write the same file",
                    )
                )
    return found
