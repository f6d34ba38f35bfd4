"""The settings of one environment: validated in full before any resource is declared.

The same model serves the stack configuration (``keyvault-csi:*`` keys, see ``Pulumi.yaml``) and
the arguments of :class:`components.AksKeyVaultSecrets` when it is embedded in another program.
Every problem is reported at once as one :class:`pulumi.RunError` naming the key path, the bad
value and what is allowed, so ``pulumi preview`` prints it without a traceback.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import pulumi
from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from keyvault_csi.azure.workload_identity import MAX_CREDENTIALS
from keyvault_csi.rules.choices import (
    DriverInstall,
    Environment,
    IdentityType,
    KubeloginMode,
    NodeKind,
    PermissionModel,
)
from keyvault_csi.rules.driver import duration_seconds
from keyvault_csi.rules.kubeconfig import login_problem
from keyvault_csi.rules.model import Strict, as_mappings, input_keys, is_model, type_in
from keyvault_csi.rules.model import repeated as _duplicates
from keyvault_csi.rules.names import (
    ADFS_TENANT,
    AgentPoolName,
    CloudName,
    ComputeName,
    DnsLabel,
    DnsSubdomain,
    cloud_env_file_problem,
    default_class_name,
    default_pod_name,
    refusing,
)
from keyvault_csi.rules.objects import KeyVaultObject, file_conflicts
from keyvault_csi.rules.parameters import DERIVED_PARAMETERS, tenant_problem
from keyvault_csi.rules.pod import (
    DEFAULT_IMAGE,
    NodeOS,
    SeccompProfile,
    check_mount_path,
    default_mount_path,
    resolve_resources,
    seccomp_problem,
    security_problems,
    writable_path_problems,
)
from keyvault_csi.rules.rollout import DEFAULT_REPLICAS
from keyvault_csi.rules.secret_sync import (
    EnvFromSecret,
    EnvVar,
    SecretObject,
    duplicate_secret_names,
    workload_sync_problems,
)
from keyvault_csi.rules.tags import AzureTags
from keyvault_csi.settings.driver import driver_problems
from keyvault_csi.settings.inputs import (
    ClusterNameInput,
    GuidInput,
    IdentityNameInput,
    IdentityResourceIdInput,
    KeyVaultNameInput,
    ResourceGroupInput,
    TenantIdInput,
    computed_problems,
    defer_outputs,
    key_path,
    render_problems,
)
from keyvault_csi.settings.offline import is_secure_placeholder, secure_value_problem

if TYPE_CHECKING:  # generated from the models below
    from keyvault_csi.package import args as shapes


class ResourceRef(Strict):
    """An Azure resource named by resource group and name (subscription: the provider's unless set)."""

    resource_group: ResourceGroupInput
    """Resource group of the resource."""
    name: str = Field(min_length=1)
    """Name of the resource."""
    subscription_id: GuidInput | None = None
    """Subscription of the resource; default: the Azure provider's."""


class ComputeRef(ResourceRef):
    """A VM scale set (one per AKS node pool) or a VM of an AvailabilitySet cluster."""

    name: ComputeName
    """Name of the scale set or VM (for AKS node pools: in the MC_* node resource group)."""


class ClusterRef(ResourceRef):
    """An AKS managed cluster."""

    name: ClusterNameInput  # type: ignore[assignment]  # a cluster's name may be an Output; a node's may not
    """Name of the managed cluster."""

    def as_args(self) -> shapes.AksCluster:
        """The cluster as the components take it (``cluster`` arguments)."""
        return {"resourceGroup": self.resource_group, "name": self.name}


class NodeClusterRef(ClusterRef):
    """The AKS cluster whose agent pools are named in agentPools."""

    subscription_id: GuidInput | None = None
    """Subscription of the cluster; default: the Azure provider's."""


class KeyVaultSettings(Strict):
    """The Key Vault the objects are read from."""

    name: KeyVaultNameInput
    """Vault name: 3-24 letters, digits and '-', starting with a letter, ending with a letter or digit, no '--'."""
    resource_group: ResourceGroupInput
    """Resource group of the vault."""
    subscription_id: GuidInput | None = None
    """Subscription of the vault (the scope of RBAC grants; reads and access policies go through a provider for it); default: the Azure provider's."""
    permission_model: PermissionModel = "auto"
    """How the vault grants access; auto (default) reads the vault's enableRbacAuthorization."""


class IdentitySettings(Strict):
    """Which identity reads the vault: see the README's "Identity modes"."""

    type: IdentityType
    """The mode: userAssigned takes name + resourceGroup or resourceId, kubelet takes cluster, workload takes name + resourceGroup + cluster, aksAddon takes cluster (the AKS Key Vault add-on's identity)."""
    name: IdentityNameInput | None = None
    """Name of the user-assigned identity to create (userAssigned, workload)."""
    resource_group: ResourceGroupInput | None = None
    """Resource group of the identity to create (userAssigned, workload)."""
    resource_id: IdentityResourceIdInput | None = None
    """ARM id of an existing user-assigned identity to reuse (userAssigned only)."""
    cluster: ClusterRef | None = None
    """The AKS cluster: its kubelet identity (kubelet), its OIDC issuer (workload) or its add-on identity (aksAddon)."""

    @model_validator(mode="after")
    def _fields_match_type(self) -> IdentitySettings:
        problems: list[str] = []
        given = {
            k
            for k, v in (
                ("name", self.name),
                ("resourceGroup", self.resource_group),
                ("resourceId", self.resource_id),
                ("cluster", self.cluster),
            )
            if v is not None
        }
        if self.type == "userAssigned":
            create, existing = {"name", "resourceGroup"} <= given, "resourceId" in given
            if create == existing or given - {"name", "resourceGroup", "resourceId"}:
                problems.append(
                    "type userAssigned takes either name + resourceGroup (create the identity) "
                    f"or resourceId (use an existing one); got {sorted(given) or 'neither'}"
                )
            elif existing and given & {"name", "resourceGroup"}:
                problems.append("resourceId names an existing identity; drop name/resourceGroup")
        elif self.type in ("kubelet", "aksAddon"):
            if given != {"cluster"}:
                problems.append(
                    f"type {self.type} takes only cluster: {{resourceGroup, name}}; got {sorted(given) or 'none'}"
                )
        elif self.type == "workload":
            if given != {"name", "resourceGroup", "cluster"}:
                problems.append(
                    "type workload takes name + resourceGroup (the identity to create) and cluster: {resourceGroup, name} "
                    f"(whose OIDC issuer is federated); got {sorted(given) or 'none'}"
                )
        elif given:
            problems.append(f"type systemAssigned uses the nodes' own identities and takes no {sorted(given)}")
        if self.cluster is not None and self.cluster.subscription_id is not None:
            # getManagedCluster reads with the Azure provider's subscription; another one would be ignored.
            problems.append(
                "cluster.subscriptionId is not supported: the cluster is read in the Azure provider's subscription (azure-native:subscriptionId)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ScaleSetRef(ComputeRef):
    """A node pool's scale set; ``agentPool`` names its pool so Pods are placed there (never guessed)."""

    name: ComputeName
    """Name of the scale set (for AKS node pools: in the MC_* node resource group)."""
    agent_pool: AgentPoolName | None = None
    """The AKS pool this scale set backs: Pods are then placed on that pool (never guessed from the name)."""


class NodeSettings(Strict):
    """Where a userAssigned or systemAssigned identity is put (refused for kubelet and workload)."""

    scale_sets: list[ScaleSetRef] = []
    """VM scale sets, one per node pool."""
    virtual_machines: list[ComputeRef] = []
    """VMs of an AvailabilitySet cluster."""
    cluster: NodeClusterRef | None = None
    """The AKS cluster of agentPools."""
    agent_pools: list[AgentPoolName] = []
    """AKS agent pools by name; each pool's scale set is found at deploy time (tag aks-managed-poolName)."""

    @model_validator(mode="after")
    def _pools_need_a_cluster(self) -> NodeSettings:
        problems = []
        if self.agent_pools and self.cluster is None:
            problems.append("agentPools needs cluster: {resourceGroup, name} (the AKS cluster the pools belong to)")
        problems += [
            f"agentPools: {pool!r} is listed {len(indexes)} times"
            for pool, indexes in _duplicates((pool, i) for i, pool in enumerate(self.agent_pools))
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def all(self) -> list[tuple[NodeKind, ComputeRef]]:
        return [("vmss", ref) for ref in self.scale_sets] + [("vm", ref) for ref in self.virtual_machines]

    def pools(self) -> list[str]:
        """Pools known to carry the identity: ``agentPools`` plus scale sets' explicit ``agentPool``."""
        named = [*self.agent_pools, *(ref.agent_pool for ref in self.scale_sets if ref.agent_pool)]
        return list(dict.fromkeys(named))


class KubernetesSettings(Strict):
    """Where the Kubernetes objects go: a kubeconfig (secret), a named AKS cluster, or neither (ambient)."""

    kubeconfig: SecretStr | None = None
    """Kubeconfig of the cluster (a secret)."""
    cluster: ClusterRef | None = None
    """An AKS cluster whose user credentials are read."""
    context: str | None = None
    """Context of the kubeconfig to use."""
    # Checked before pydantic's enum check, to say why devicecode is refused.
    login: Annotated[KubeloginMode | None, refusing(login_problem, before=True)] = None
    """With cluster, if it has Entra ID integration: how kubelogin signs in, azurecli (default), workloadidentity, spn or msi (docs/entra-id.md)."""

    @model_validator(mode="after")
    def _one_source(self) -> KubernetesSettings:
        if self.kubeconfig is not None and self.cluster is not None:
            raise ValueError("set kubeconfig or cluster, not both")
        return self

    @field_validator("login")
    @classmethod
    def _login_needs_cluster(cls, value: KubeloginMode | None, info: ValidationInfo) -> KubeloginMode | None:
        # Only the kubeconfig read from the cluster is converted; one the user gives is used as written.
        if value is None or info.data.get("cluster") is not None or "cluster" not in info.data:
            return value
        given = (
            "a kubeconfig given here"
            if info.data.get("kubeconfig") is not None
            else "the ambient kubeconfig (KUBECONFIG or ~/.kube/config)"
        )
        raise ValueError(
            f"login applies only to the kubeconfig read from cluster: {{resourceGroup, name}}; {given} is used as "
            f"written: convert it with `kubelogin convert-kubeconfig -l {value}` (docs/entra-id.md)"
        )


class PodSecuritySettings(Strict):
    """Overrides of the Pod's hardened defaults (non-root, read-only root filesystem, no escalation, no capabilities).

    ``runAsRoot: true`` is the one line for images that must start as root (the seeds' ``nginx``).
    """

    run_as_root: StrictBool = False
    """The image must start as root (such as nginx): drops runAsNonRoot and the read-only root filesystem."""
    run_as_user: int | None = None
    """Linux: the UID to run as, for images whose USER is a name."""
    read_only_root_filesystem: StrictBool | None = None
    """Linux: read-only root filesystem (default true unless runAsRoot)."""
    allow_privilege_escalation: StrictBool | None = None
    """Linux: allow privilege escalation (default false)."""
    add_capabilities: list[str] | None = None
    """Linux: capabilities added after dropping ALL, such as NET_BIND_SERVICE."""
    # Checked before pydantic's literal check, in the Pod component's own words.
    seccomp_profile: Annotated[SeccompProfile | None, refusing(seccomp_problem, before=True)] = None
    """Linux: the container's seccomp profile; default RuntimeDefault."""


class PodResources(Strict):
    """Container requests/limits by resource (cpu, memory, ephemeral-storage), over the OS's defaults."""

    requests: dict[str, str] = {}
    """Requests such as {cpu: 50m, memory: 64Mi}."""
    limits: dict[str, str] = {}
    """Limits such as {cpu: 500m, memory: 128Mi}."""


class PodSettings(Strict):
    """A Pod that mounts the workload's class read-only (the driver syncs Secrets only while a Pod mounts it)."""

    name: DnsSubdomain | None = None
    """Pod name (DNS-1123 subdomain); default <workload>-secrets-store-inline."""
    # Runs as a non-root user: the hardened defaults need no override.
    image: str = Field(default=DEFAULT_IMAGE, min_length=1, pattern=r"^\S+$")
    """Container image; default nginxinc/nginx-unprivileged."""
    mount_path: str | None = None
    """Absolute path of the mounted objects; default /mnt/secrets-store (Windows: C:\\mnt\\secrets-store)."""
    os: NodeOS = "linux"
    """The node OS the Pod is pinned to; default linux."""
    env: list[EnvVar] = []
    """Container environment variables."""
    env_from: list[EnvFromSecret] = []
    """Synced Secrets whose keys all become environment variables."""
    security_context: PodSecuritySettings = PodSecuritySettings()
    """Overrides of the hardened security defaults."""
    resources: PodResources = PodResources()
    """Container requests and limits."""
    writable_paths: list[str] | None = None
    """Absolute paths that get a writable emptyDir under the read-only root filesystem; default /tmp on Linux."""
    node_selector: dict[str, str] | None = None
    """Node labels the Pod requires, merged over the pool placement (kubernetes.azure.com/agentpool)."""
    affinity: dict[str, Any] | None = None
    """A Kubernetes Affinity (nodeAffinity, podAffinity, ...), replacing the pool placement's."""

    @model_validator(mode="after")
    def _hardening_overrides(self) -> PodSettings:
        # The same rules SecretsStorePod enforces, reported with the config's key paths.
        problems = (
            security_problems(self.os, self.security_args()) + resolve_resources(self.os, self.resources_args())[1]
        )
        if self.writable_paths is not None:
            problems += writable_path_problems(self.os, self.writable_paths, self.effective_mount_path())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def security_args(self) -> shapes.PodSecurity:
        # camelCase keys (serialize_by_alias): the generated shape of this very model.
        return typing.cast("shapes.PodSecurity", self.security_context.model_dump(exclude_none=True))

    def resources_args(self) -> shapes.PodResources:
        return typing.cast("shapes.PodResources", self.resources.model_dump())

    def effective_mount_path(self) -> str:
        return self.mount_path or default_mount_path(self.os)

    @model_validator(mode="after")
    def _absolute_mount_path(self) -> PodSettings:
        if self.mount_path is not None:
            check_mount_path(self.mount_path, self.os)  # the Pod component's own rule, one source
        return self


class DeploymentSettings(PodSettings):
    """An ``apps/v1`` Deployment whose Pod template is the hardened Pod (docs/driver.md "Deployments")."""

    name: DnsSubdomain | None = None
    """Deployment name (DNS-1123 subdomain); default the workload name."""
    replicas: int = Field(default=DEFAULT_REPLICAS, ge=0)
    """Number of Pods; default 1."""


class WorkloadSettings(Strict):
    """One application namespace's SecretProviderClass, and optionally a Pod that mounts it."""

    name: DnsLabel
    """Workload name (DNS-1123 label), unique; names the class, Pod and service account by default."""
    namespace: DnsLabel = "default"
    """Kubernetes namespace of the class and Pod; default default."""
    secret_provider_class: DnsSubdomain | None = None
    """Class name; default azure-<vault>-<name>."""
    service_account: DnsSubdomain | None = None
    """Workload identity only: the Pod's service account (created and federated); default the workload name."""
    cloud_name: CloudName = ""
    """Azure cloud of the vault; empty for AzurePublicCloud."""
    cloud_env_file_name: str | None = None
    """Environment file on the nodes, required with cloudName AzureStackCloud."""
    objects: list[KeyVaultObject] = Field(min_length=1)
    """The Key Vault objects to mount (at least one)."""
    secret_objects: list[SecretObject] = []
    """Kubernetes Secrets synced from the mounted files."""
    pod: PodSettings | None = None
    """A Pod that mounts the class; none if omitted (mount it into your own workload)."""
    deployment: DeploymentSettings | None = None
    """A Deployment that mounts the class (instead of pod); name defaults to the workload name."""

    @field_validator("service_account")
    @classmethod
    def _own_service_account(cls, value: str | None) -> str | None:
        # Kubernetes creates "default" in every namespace: declaring it again fails with AlreadyExists.
        if value == "default":
            raise ValueError(
                "'default' is not allowed: Kubernetes already creates it in every namespace; name a dedicated service account"
            )
        return value

    @model_validator(mode="after")
    def _files_and_cloud(self) -> WorkloadSettings:
        problems = file_conflicts([o for o in self.objects if o.object_alias or isinstance(o.object_name, str)])
        if self.pod is not None and self.deployment is not None:
            problems.append("set pod or deployment, not both (a Deployment's Pods mount the class)")
        stack_file = cloud_env_file_problem(self.cloud_name, self.cloud_env_file_name)
        if stack_file:
            problems.append(stack_file)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def class_name(self, vault: str | pulumi.Output[str]) -> str:
        if self.secret_provider_class:
            return self.secret_provider_class
        if isinstance(vault, str):
            return default_class_name(vault, self.name)
        # validate_settings requires secretProviderClass when the vault name is an Output.
        raise ValueError(f"workload {self.name!r}: set secretProviderClass (keyVault.name is an Output)")

    @property
    def template(self) -> PodSettings | None:
        """The settings of the Pod the workload runs: its ``pod`` or its ``deployment`` (at most one is set)."""
        return self.pod or self.deployment

    def pod_name(self) -> str:
        return (self.pod.name if self.pod else None) or default_pod_name(self.name)

    def deployment_name(self) -> str:
        return (self.deployment.name if self.deployment else None) or self.name

    def service_account_name(self) -> str:
        """The workload identity service account: ``serviceAccount``, else the workload's name."""
        return self.service_account or self.name


class RotationSettings(Strict):
    """Rotation of mounted objects: the driver re-reads Key Vault every ``pollInterval`` (Go duration)."""

    enabled: StrictBool = True
    """Rotate mounted objects; default true when rotation is set."""
    poll_interval: str | None = None
    """Go duration between reads, e.g. 2m (the default)."""

    @field_validator("poll_interval")
    @classmethod
    def _go_duration(cls, value: str | None) -> str | None:
        if value is not None and duration_seconds(value) <= 0:
            raise ValueError(f"{value!r} must be a positive duration")
        return value

    @model_validator(mode="after")
    def _interval_needs_rotation(self) -> RotationSettings:
        if not self.enabled and self.poll_interval is not None:
            raise ValueError("pollInterval is only used with enabled: true; drop it")
        return self


class DriverSettings(Strict):
    """Where the Secrets Store CSI driver and its Azure provider come from: see docs/driver.md."""

    install: DriverInstall = "none"
    """none (default: assumed installed), helm (declare the provider's chart in kube-system) or aksAddon (verify the AKS add-on)."""
    chart_version: str | None = Field(default=None, pattern=r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
    """helm: version of csi-secrets-store-provider-azure; default 1.8.2."""
    values: dict[str, Any] | None = None
    """helm: extra chart values, merged under the ones keyvault-csi sets."""
    rotation: RotationSettings | None = None
    """helm: sets the driver's rotation values; aksAddon: verified on the add-on."""
    sync_secret: StrictBool | None = None
    """helm: the driver's syncSecret.enabled; default on when a workload has secretObjects."""
    windows: StrictBool | None = None
    """helm: Windows DaemonSets of provider and driver; default on when a Pod or Deployment runs on Windows."""
    cluster: ClusterRef | None = None
    """aksAddon: the cluster whose add-on is verified; default identity.cluster, else kubernetes.cluster."""


class Settings(Strict):
    """One environment: the vault, the identity, the nodes it goes on, and the workloads."""

    tenant_id: TenantIdInput
    """Entra tenant ID (GUID) of the Key Vault, or adfs for Azure Stack Hub with AD FS (cloudName AzureStackCloud)."""
    key_vault: KeyVaultSettings
    """The vault the objects are read from."""
    identity: IdentitySettings
    """Who reads the vault: userAssigned, systemAssigned, kubelet or workload."""
    nodes: NodeSettings | None = None
    """Scale sets and VMs that get the identity (userAssigned, systemAssigned)."""
    workloads: list[WorkloadSettings] = Field(min_length=1)
    """The workloads, each with its SecretProviderClass (at least one)."""
    location: str | None = None
    """Azure region of a created identity; default the Azure provider's."""
    tags: AzureTags = {}
    """Azure tags for the resources this component creates."""
    protect: StrictBool = False
    """Protect the identity, Key Vault grants and federated credentials from deletion."""
    arm_endpoint: str = ""
    """ARM endpoint override for the node identity writes (Azure Stack, tests)."""
    environment: Environment = "public"
    """Azure environment of the node identity writes; default public."""
    kubernetes: KubernetesSettings | None = None
    """Where the Kubernetes objects go: a kubeconfig, a named AKS cluster, or the ambient one."""
    driver: DriverSettings = DriverSettings()
    """Where the Secrets Store CSI driver comes from: none (assumed), helm or aksAddon."""


def _cross_checks(raw: Mapping[str, Any], prefix: str) -> list[str]:
    """Rules that span keys. They read the raw mapping defensively so they are reported even when
    single fields are also wrong ("every problem at once")."""
    problems: list[str] = []
    raw_identity = raw.get("identity")
    identity: Mapping[str, Any] = raw_identity if isinstance(raw_identity, Mapping) else {}
    nodes = raw.get("nodes") if isinstance(raw.get("nodes"), Mapping) else None
    node_lists = (
        {kind: nodes.get(key) or [] for kind, key in (("vmss", "scaleSets"), ("vm", "virtualMachines"))}
        if nodes
        else {}
    )
    node_count = sum(len(v) for v in node_lists.values() if isinstance(v, list))
    pools = nodes.get("agentPools") if nodes else None
    node_count += len(pools) if isinstance(pools, list) else 0
    kind = identity.get("type")
    problems += driver_problems(raw, prefix)
    if kind == "kubelet" and raw.get("nodes") is not None:
        problems.append(
            f"{prefix}nodes: refused for identity type kubelet (AKS already put the kubelet identity on the nodes)"
        )
    elif kind == "aksAddon" and raw.get("nodes") is not None:
        problems.append(
            f"{prefix}nodes: refused for identity type aksAddon (AKS already put the add-on's identity on the nodes)"
        )
    elif kind == "workload" and raw.get("nodes") is not None:
        problems.append(
            f"{prefix}nodes: refused for identity type workload (Pods authenticate with their service account; nothing goes on the nodes)"
        )
    elif kind in ("userAssigned", "systemAssigned") and node_count == 0:
        problems.append(
            f"{prefix}nodes: identity type {kind} needs at least one entry in nodes.scaleSets, nodes.virtualMachines or nodes.agentPools"
        )
    for (node_kind, rg, name), indexes in _duplicates(
        ((node_kind, str(ref.get("resourceGroup", "")).lower(), str(ref.get("name", "")).lower()), i)
        for node_kind, refs in node_lists.items()
        if isinstance(refs, list)
        for i, ref in enumerate(refs)
        if isinstance(ref, Mapping)
    ):
        problems.append(f"{prefix}nodes: {node_kind} {rg}/{name} is listed {len(indexes)} times ({indexes})")
    workloads = as_mappings(raw.get("workloads"))
    vault = raw.get("keyVault", {}).get("name", "") if isinstance(raw.get("keyVault"), Mapping) else ""
    # Keys as strings: a name of the wrong type is reported by its own field check, not a crash here.
    classes = (
        (
            (
                str(w.get("namespace", "default")),
                str(w.get("secretProviderClass") or default_class_name(str(vault), str(w.get("name")))),
            ),
            i,
        )
        for i, w in enumerate(workloads)
    )
    for (namespace, cls), indexes in _duplicates(classes):
        problems.append(
            f"{prefix}workloads {indexes}: SecretProviderClass {cls!r} declared twice in namespace {namespace!r}"
        )
    pods = (
        ((str(w.get("namespace", "default")), str(w["pod"].get("name") or default_pod_name(str(w.get("name"))))), i)
        for i, w in enumerate(workloads)
        if isinstance(w.get("pod"), Mapping)
    )
    for (namespace, pod), indexes in _duplicates(pods):
        problems.append(f"{prefix}workloads {indexes}: Pod {pod!r} declared twice in namespace {namespace!r}")
    deployments = (
        ((str(w.get("namespace", "default")), str(w["deployment"].get("name") or w.get("name"))), i)
        for i, w in enumerate(workloads)
        if isinstance(w.get("deployment"), Mapping)
    )
    for (namespace, deployment), indexes in _duplicates(deployments):
        problems.append(
            f"{prefix}workloads {indexes}: Deployment {deployment!r} declared twice in namespace {namespace!r}"
        )
    for reused, indexes in _duplicates((w.get("name"), i) for i, w in enumerate(workloads)):
        problems.append(
            f"{prefix}workloads {indexes}: the name {reused!r} is used more than once; names must be unique"
        )
    problems += _workload_identity_checks(workloads, kind, prefix)
    for i, workload in enumerate(workloads):
        problems += workload_sync_problems(workload, f"{prefix}workloads[{i}]")
    problems += duplicate_secret_names(enumerate(workloads), prefix)
    tenant = raw.get("tenantId")
    if tenant == ADFS_TENANT:  # docs/azure-rules.md §tenantID: 'adfs' needs Azure Stack Hub in every workload
        problem = tenant_problem(tenant, [str(w.get("cloudName") or "") for w in workloads])
        problems += [f"{prefix}tenantId: {problem}"] if problem else []
    return problems


def _workload_identity_checks(workloads: list[Mapping[str, Any]], kind: Any, prefix: str) -> list[str]:
    if kind != "workload":
        return [
            f"{prefix}workloads[{i}].serviceAccount: only used with identity type workload (got {kind!r}); drop it"
            for i, w in enumerate(workloads)
            if w.get("serviceAccount") is not None
        ]
    # One federated credential per distinct subject; Entra holds at most 20 per identity.
    subjects = sorted(
        {(str(w.get("namespace", "default")), str(w.get("serviceAccount") or w.get("name"))) for w in workloads}
    )
    if len(subjects) > MAX_CREDENTIALS:
        return [
            f"{prefix}workloads: {len(subjects)} distinct (namespace, serviceAccount) pairs need {len(subjects)} federated "
            f"credentials; a user-assigned identity holds at most {MAX_CREDENTIALS}; share service accounts "
            "(workloads[].serviceAccount) or split the workloads across stacks with their own identity"
        ]
    return []


def validate_settings(raw: Mapping[str, Any], *, prefix: str = "", component: bool = False) -> Settings:
    """Validate ``raw`` (camelCase keys) into :class:`Settings` or raise one RunError listing every problem.

    ``prefix`` is prepended to key paths: ``"keyvault-csi:"`` for stack config, ``""`` for component args.
    Outputs are taken where a key is input-capable (checked when they resolve), refused elsewhere;
    ``component``: the arguments of a component, which take no ``kubernetes`` key.
    """
    raw, problems, refused = defer_outputs(raw, prefix, _field_at, _describe)
    problems += _cross_checks(raw, prefix) + computed_problems(raw, prefix)
    if component and "kubernetes" in raw:
        problems.append(_COMPONENT_KUBERNETES)
    try:
        settings = Settings.model_validate(dict(raw))
    except ValidationError as error:
        problems = [
            _describe(e, prefix) for e in error.errors(include_url=False) if tuple(e["loc"]) not in refused
        ] + problems
    else:
        if not problems:
            return settings
    raise pulumi.RunError(render_problems(problems))


def _describe(error: Mapping[str, Any], prefix: str) -> str:
    loc = [p for p in error["loc"] if p not in _VALIDATOR_LOCS]
    path = key_path(loc, prefix)
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        derived = _DERIVED_PARAMETERS.get(key.lower()) if len(loc) > 1 else None
        if derived:
            return f"{path}: unknown key {key!r}; the SecretProviderClass parameter is derived from {derived}, do not set it"
        allowed = sorted(_keys_at(loc[:-1]))
        guess = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        return f"{path}: unknown key {key!r}; {hint}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return f"{path}: required but not set"
    message = str(error["msg"]).removeprefix("Value error, ")
    if is_secure_placeholder(value):
        return secure_value_problem(path, value, message)
    if value is None and kind in (
        "model_type",
        "dict_type",
    ):  # an empty list item (`- `) or `key:` with nothing after it
        return f"{path}: is empty (null); expected a mapping{_required_keys(loc)}"
    if loc and loc[-1] == "filePermission" and isinstance(value, int) and not isinstance(value, bool):
        return _unquoted_permission(path, value)
    if kind.startswith("value_error") or kind == "assertion_error":
        return f"{path}: {message}"
    if _is_secret_field(loc):  # a kubeconfig must never reach the preview output
        return f"{path}: {message}; got a {type(value).__name__} (value not shown: secret)"
    return f"{path}: {message}; got {value!r}"


def _required_keys(loc: list[Any]) -> str:
    fields = _fields_along(loc)
    model = type_in(fields[-1].annotation, is_model) if fields else None
    if model is None:
        return ""
    required = [f.alias or name for name, f in model.model_fields.items() if f.is_required()]
    return f" with {', '.join(required)}" if required else ""


def _unquoted_permission(path: str, value: int) -> str:
    # YAML 1.1 (PyYAML) and go-yaml v3 (the Pulumi CLI) both read an unquoted 0440 as octal: 288.
    octal = f"0{value:o}"
    hint = f'filePermission: "{octal}"'
    if (
        str(value) != octal.lstrip("0")
        and 0 <= value <= 0o777
        and str(value).isdigit()
        and set(str(value)) <= set("01234567")
    ):
        hint += f' (or "{value}" if you wrote {value})'
    return (
        f"{path}: got the number {value}; YAML reads an unquoted mode as a number ({octal} becomes {value}), "
        f"quote it: {hint}"
    )


_COMPONENT_KUBERNETES = (
    "kubernetes: only the keyvault-csi program reads it (from stack config); a component uses the Kubernetes "
    "provider it is given: AksKeyVaultSecrets(name, args, pulumi.ResourceOptions(providers=[azure, k8s]))"
)


def _field_at(loc: list[Any]) -> Any:
    """The pydantic field at a key path, or None if the path leaves the model."""
    fields = _fields_along(loc)
    return fields[-1] if fields and len(fields) == len([p for p in loc if not isinstance(p, int)]) else None


def _is_secret_field(loc: list[Any]) -> bool:
    annotations = [field.annotation for field in _fields_along(loc)]
    return any(SecretStr in (a, *typing.get_args(a)) for a in annotations)


# Provider parameters people copy from hand-written classes (any spelling); keyvault-csi renders them itself.
_DERIVED_PARAMETERS = {key.lower(): f"keyvault-csi:{source}" for key, source in DERIVED_PARAMETERS.items()}

_VALIDATOR_LOCS = {"function-after[check()]"}


def _fields_along(loc: list[Any]) -> list[Any]:
    """The pydantic fields named by a key path from :class:`Settings` (list indexes skipped)."""
    fields, current = [], Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = _field_by_key(current, part) if current is not None else None
        if field is None:
            break
        fields.append(field)
        current = type_in(field.annotation, is_model)
    return fields


def _field_by_key(model: type[BaseModel], key: Any) -> Any:
    """The field of ``model`` whose config key (alias) is ``key``."""
    return next((f for name, f in model.model_fields.items() if (f.alias or name) == key), None)


def _keys_at(loc: list[Any]) -> set[str]:
    """The keys the model nested at ``loc`` accepts (for "did you mean")."""
    fields = _fields_along(loc)
    if len(fields) != len([p for p in loc if not isinstance(p, int)]):
        return set()
    model = type_in(fields[-1].annotation, is_model) if fields else Settings
    return set(input_keys(model)) if model is not None else set()


# Keys of the keyvault-csi namespace (location and environment come from azure-native:*).
CONFIG_KEYS = tuple(key for key in input_keys(Settings) if key not in ("location", "environment"))


def settings_from_stack_config(namespace: str = "keyvault-csi") -> Settings:
    """Read and validate every ``keyvault-csi:*`` key of the current stack (plus ``azure-native:location``).

    Unknown keys in the namespace are reported too, with a "did you mean".
    """
    raw: dict[str, Any] = {}
    config = pulumi.Config(namespace)
    for key in _keys_in_namespace(namespace):
        try:
            raw[key] = config.get_object(key)
        except Exception:  # a scalar that is not JSON: keep the text
            raw[key] = config.get(key)
    azure = pulumi.Config("azure-native")
    if azure.get("location"):
        raw["location"] = azure.get("location")
    if azure.get("environment"):
        raw["environment"] = azure.get("environment")
    return validate_settings(raw, prefix=f"{namespace}:")


def _keys_in_namespace(namespace: str) -> list[str]:
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    found = sorted(k.split(":", 1)[1] for k in keys if k.startswith(f"{namespace}:"))
    # `pulumi config set --path` style keys never reach the program split; config objects arrive whole.
    return [k for k in found if ":" not in k]
