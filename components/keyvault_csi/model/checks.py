"""Rules that span keys, over the validated settings: each returns the problems it finds, with their key paths.

They run once every single key is valid (:func:`keyvault_csi.model.validate.validate_settings`),
and the defaults they compare (class, Pod and Deployment names, service accounts) are the model's
own methods, so the doctor and the components derive the same names.
"""

from __future__ import annotations

from collections.abc import Iterator

from keyvault_csi.model import pod_checks
from keyvault_csi.model.errors import Loc, Problem
from keyvault_csi.model.mounts import certificate_problems, path_problems, status_name_problems
from keyvault_csi.model.settings import PodSettings, Settings, WorkloadSettings
from keyvault_csi.rules.choices import DriverInstall, IdentityType, NodeOS, PermissionModel
from keyvault_csi.rules.clouds import cloud_mismatch_problem, is_stack, stack_env_file_problem
from keyvault_csi.rules.driver import (
    DRIVER,
    TOKEN_REQUESTS,
    chart_version_problem,
    token_requests_problem,
    value_conflicts,
)
from keyvault_csi.rules.inputs import is_later
from keyvault_csi.rules.model import repeated, repeats
from keyvault_csi.rules.names import ADFS_TENANT
from keyvault_csi.rules.parameters import tenant_problem
from keyvault_csi.rules.secret_sync import mounted_objects, sync_data_problems, sync_source_problem
from keyvault_csi.rules.workload_identity import MAX_CREDENTIALS


def problems(settings: Settings) -> list[Problem]:
    """Every cross-key problem of ``settings``, in a stable order.

    The rules that need each object's vault run once every object names a vault that exists.
    """
    vaults = vault_problems(settings)
    found = [*driver_problems(settings), *node_problems(settings), *vaults]
    if not vaults:
        found += [
            *name_problems(settings),
            *sync_problems(settings),
            *path_problems(settings),
            *status_name_problems(settings),
        ]
    return [
        *found,
        *service_account_problems(settings),
        *certificate_problems(settings),
        *tenant_problems(settings),
        *cloud_problems(settings),
        *computed_problems(settings),
        *pod_checks.problems(settings),
    ]


def vault_problems(settings: Settings) -> list[Problem]:
    """``keyVault`` or ``keyVaults``; each object's vault exists; each vault is read; no vault is listed twice."""
    if (settings.key_vault is None) == (settings.key_vaults is None):
        given = "both" if settings.key_vault is not None else "neither"
        return [Problem(("keyVault",), f"set keyVault (one vault) or keyVaults (several, by key); got {given}")]
    vaults = settings.vaults()
    several = settings.key_vaults is not None and len(vaults) > 1
    found: list[Problem] = []
    for i, workload in enumerate(settings.workloads):
        for j, obj in enumerate(workload.objects):
            at = ("workloads", i, "objects", j, "keyVault")
            if obj.key_vault is None and several:
                found.append(Problem(at, f"required with several vaults; one of: {', '.join(vaults)}"))
            elif obj.key_vault is not None and settings.key_vaults is None:
                found.append(Problem(at, "names a vault of keyVaults; with keyVault (one vault) drop it"))
            elif obj.key_vault is not None and obj.key_vault not in vaults:
                found.append(Problem(at, f"{obj.key_vault!r} is not a key of keyVaults; allowed: {', '.join(vaults)}"))
    if not found:
        read = {settings.vault_key(o) for w in settings.workloads for o in w.objects}
        found += [
            Problem(("keyVaults", key), "no object is read from this vault (objects[].keyVault); drop it")
            for key in vaults
            if key not in read
        ]
    names = (
        ((str(v.resource_group).lower(), str(v.name).lower()), key)
        for key, v in vaults.items()
        if not (is_later(v.name) or is_later(v.resource_group))
    )
    found += [
        Problem(("keyVaults",), f"vault {group}/{name} is listed under {len(keys)} keys ({', '.join(keys)}); keep one")
        for (group, name), keys in repeated(names)
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
            ("chartRepository", driver.chart_repository),
            ("timeout", driver.timeout),
            ("atomic", driver.atomic),
            ("providerHostFolders", driver.provider_host_folders),
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
                # The key that made it Windows: its pod's or deployment's os, else the workload's own.
                ("workloads", i, *(key for key, _ in _templates(w)), "os"),
                "windows, but driver.windows is false: no driver runs on Windows nodes to mount the class; "
                "drop driver.windows (on by default when a workload runs on Windows)",
            )
            for i, w in enumerate(settings.workloads)
            if w.node_os() == NodeOS.WINDOWS
        ]
    found += [
        Problem(
            ("driver", "values", *conflict.split(".")),
            "set by keyvault-csi from driver.syncSecret / driver.rotation / driver.windows / "
            "driver.providerHostFolders / driver.constructPEMChain / driver.writeCertAndKeyInSeparateFiles "
            "and the workloads; use those keys",
        )
        for conflict in value_conflicts(driver.values or {}, host_folders=bool(settings.provider_host_folders()))
    ]
    if install == DriverInstall.HELM:
        found += _token_problems(settings)
    if settings.identity.type == IdentityType.AKS_ADDON and install == DriverInstall.HELM:
        found.append(
            Problem(
                ("driver", "install"),
                "helm installs a second driver next to the AKS add-on whose identity identity type aksAddon uses; "
                "use install aksAddon (or none)",
            )
        )
    return found


def _token_problems(settings: Settings) -> list[Problem]:
    """A Helm driver must request the service-account token the identity type needs (docs/azure-rules.md
    §driver-token-audiences): the chart's version and the ``tokenRequests`` the values give."""
    kind, driver = settings.identity.type, settings.driver
    found: list[Problem] = []
    version = chart_version_problem(driver.effective_chart_version(), kind)
    if version:
        found.append(Problem(("driver", "chartVersion"), version))
    tokens = token_requests_problem(driver.values or {}, kind)
    if tokens:
        found.append(Problem(("driver", "values", DRIVER, TOKEN_REQUESTS), tokens))
    return found


# Why each identity type refuses nodes.
_NO_NODES = {
    IdentityType.KUBELET: "AKS already put the kubelet identity on the nodes",
    IdentityType.AKS_ADDON: "AKS already put the add-on's identity on the nodes",
    IdentityType.WORKLOAD: "Pods authenticate with their service account; nothing goes on the nodes",
    IdentityType.IDENTITY_BINDING: "Pods authenticate with their service account through AKS's token proxy; "
    "nothing goes on the nodes",
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
        keys = (
            ((node_kind, str(ref.resource_group).lower(), ref.name.lower()), i)
            for i, (node_kind, ref) in enumerate(nodes.compute())
            if not is_later(ref.resource_group)
        )
        for (node_kind, group, name), indexes in repeated(keys):
            found.append(Problem(("nodes",), f"{node_kind} {group}/{name} is listed {len(indexes)} times ({indexes})"))
    return found


def name_problems(settings: Settings) -> list[Problem]:
    """Two workloads declaring one class, Pod or Deployment (or one name)."""
    workloads = settings.workloads
    named_by_output = any(is_later(v.name) for v in settings.vaults().values())  # then secretProviderClass names it
    classes = (
        ((w.namespace, mount.class_name), i)
        for i, w in enumerate(workloads)
        if w.secret_provider_class or not named_by_output
        for mount in settings.mounts(w)
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
    """``serviceAccount`` only with workload identity or identity binding; at most 20 federated subjects per
    identity with workload identity (an identity binding's one credential serves every service account)."""
    kind = settings.identity.type
    if kind not in (IdentityType.WORKLOAD, IdentityType.IDENTITY_BINDING):
        return [
            Problem(
                ("workloads", i, "serviceAccount"),
                f"only used with identity type workload or identityBinding (got '{kind}'); drop it",
            )
            for i, w in enumerate(settings.workloads)
            if w.service_account is not None
        ]
    if kind == IdentityType.IDENTITY_BINDING:
        return []
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


def _mounted(name: str, histories: dict[str, int | None]) -> bool:
    """True when ``data[].objectName`` ``name`` is one of these files (or a version of one)."""
    return sync_source_problem(name, histories)[0] is not None


def sync_problems(settings: Settings) -> list[Problem]:
    """Each workload's secretObjects against its mounted files, its Pod env against its synced Secrets,
    and Secrets synced twice in one namespace."""
    found: list[Problem] = []
    cert_parts = settings.cert_and_key_files()
    for index, workload in enumerate(settings.workloads):
        found += _workload_sync_problems(settings, workload, ("workloads", index), cert_parts)
    secrets = (
        ((w.namespace, secret.secret_name), (index, i))
        for index, w in enumerate(settings.workloads)
        for i, secret in enumerate(w.secret_objects)
    )
    found += [
        Problem(
            ("workloads", places[0][0], "secretObjects", places[0][1]),
            f"Secret {name!r} is synced {len(places)} times in namespace {namespace!r} "
            f"({', '.join(f'workloads[{w}].secretObjects[{s}]' for w, s in places)}); give each a distinct secretName",
        )
        for (namespace, name), places in sorted(repeated(secrets))
    ]
    return found


def _workload_sync_problems(
    settings: Settings, workload: WorkloadSettings, at: Loc, cert_parts: bool | None
) -> list[Problem]:
    found = [
        Problem((*at, "secretObjects", i, "data", j, "objectName"), problem)
        for i, j, problem in sync_data_problems(
            workload.objects, workload.secret_objects, os=workload.node_os(), cert_parts=cert_parts
        )
    ]
    # Each vault's objects are one mount: a Secret is synced from the files of one of them.
    by_vault = {
        key: {file: o.object_version_history for file, o in mounted_objects(objects.values()).items()}
        for key, objects in settings.objects_by_vault(workload).items()
    }
    synced: dict[str, set[str]] = {}
    for i, secret in enumerate(workload.secret_objects):
        synced.setdefault(secret.secret_name, set()).update(d.key for d in secret.data)
        sources = [{key for key, files in by_vault.items() if _mounted(d.object_name, files)} for d in secret.data]
        if len(by_vault) > 1 and all(sources) and not set.intersection(*sources):
            found.append(
                Problem(
                    (*at, "secretObjects", i),
                    f"copies files from the vaults {', '.join(sorted(set.union(*sources)))}; the driver syncs a Secret "
                    "from the files of one class (one vault): split it into one Secret per vault",
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
    """``adfs`` is Azure Stack Hub's tenant: every workload must then use AzureStackCloud.

    See docs/azure-rules.md §tenantID.
    """
    if settings.tenant_id != ADFS_TENANT:
        return []
    problem = tenant_problem(ADFS_TENANT, [w.cloud_name for w in settings.workloads])
    return [Problem(("tenantId",), problem)] if problem else []


def cloud_problems(settings: Settings) -> list[Problem]:
    """Each class's cloud is the vault's; AzureStackCloud's environment file is readable in the provider pods
    (docs/azure-rules.md §clouds, §clouds-env-file)."""
    found: list[Problem] = []
    folders = settings.provider_host_folders()
    for i, workload in enumerate(settings.workloads):
        cloud = workload.cloud_name
        if not is_stack(cloud):
            problem = cloud_mismatch_problem(cloud, settings.environment)
            if problem:
                found.append(Problem(("workloads", i, "cloudName"), problem))
            continue
        path = workload.cloud_env_file_name or ""  # required with AzureStackCloud: refused by the model if empty
        refused = stack_env_file_problem(
            settings.driver.install, workload.node_os(), path, folders, settings.driver.values
        )
        if refused:
            found.append(Problem(("workloads", i, refused[0]), refused[1]))
    return found


def computed_problems(settings: Settings) -> list[Problem]:
    """Keys given as Outputs leave values unknown that must then be given as plain values."""
    found: list[Problem] = []
    named_by_output: list[str] = []
    for key, vault in settings.vaults().items():
        at = ("keyVault",) if settings.key_vaults is None else ("keyVaults", key)
        path = ".".join(at)
        computed = [k for k, v in (("name", vault.name), ("resourceGroup", vault.resource_group)) if is_later(v)]
        if "name" in computed:
            named_by_output.append(path)
        if computed and vault.permission_model == PermissionModel.AUTO:
            found.append(
                Problem(
                    (*at, "permissionModel"),
                    f"'auto' reads the vault before anything is declared, but "
                    f"{' and '.join(f'{path}.{k}' for k in computed)} "
                    f"{'is an Output' if len(computed) == 1 else 'are Outputs'}; "
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
        if named_by_output and not workload.secret_provider_class:
            found.append(
                Problem(
                    ("workloads", i, "secretProviderClass"),
                    f"required ({label}) because {named_by_output[0]}.name is an Output: the default class name "
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
