"""The input model: one pydantic type per concept, one validator per single-key rule, defaults as methods.

The same models serve the stack configuration (``keyvault-csi:*`` keys, camelCase) and the
arguments of :class:`keyvault_csi.AksKeyVaultSecrets` (Python's snake_case, or camelCase copied
from a stack file). The TypedDicts of :mod:`keyvault_csi.api.args` are generated from them.
Rules that span keys are in :mod:`keyvault_csi.model.checks`; :func:`keyvault_csi.model.validate.validate_settings`
runs both and reports every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, SecretStr, StrictBool, StrictInt, ValidationInfo, field_validator, model_validator

from keyvault_csi.model.outputs import (
    ClusterNameInput,
    GuidInput,
    IdentityNameInput,
    IdentityResourceIdInput,
    KeyVaultNameInput,
    ResourceGroupInput,
    TenantIdInput,
)
from keyvault_csi.rules.choices import (
    DriverInstall,
    Environment,
    IdentityType,
    KubeloginMode,
    NodeKind,
    NodeOS,
    PermissionModel,
    RolloutPolicy,
)
from keyvault_csi.rules.clouds import class_cloud_name, default_host_folders, host_folder_problem
from keyvault_csi.rules.driver import (
    CHART_VERSION,
    CHART_VERSION_PATTERN,
    chart_repository_problem,
    duration_seconds,
    timeout_problem,
    writes_cert_and_key,
)
from keyvault_csi.rules.kubeconfig import login_problem
from keyvault_csi.rules.metadata import Annotations, Labels, reserved_keys_problem
from keyvault_csi.rules.model import Strict, repeated
from keyvault_csi.rules.names import (
    AgentPoolName,
    CloudName,
    ComputeName,
    DnsLabel,
    DnsSubdomain,
    VaultKey,
    cloud_env_file_problem,
    default_class_name,
    default_pod_name,
    refusing,
)
from keyvault_csi.rules.objects import KeyVaultObject, file_conflicts
from keyvault_csi.rules.pod import (
    DEFAULT_IMAGE,
    DEFAULT_LABELS,
    DEFAULT_VOLUME_NAME,
    SELECTOR_LABEL,
    PodResources,
    PodSecurity,
    check_mount_path,
    default_mount_path,
    default_writable_paths,
    resolve_resources,
    security_problems,
    writable_path_problems,
)
from keyvault_csi.rules.pod_fields import ContainerPorts, ImagePullSecrets, Toleration
from keyvault_csi.rules.rollout import (
    DEFAULT_REPLICAS,
    OBJECTS_ANNOTATION,
    reloader_annotations,
)
from keyvault_csi.rules.secret_sync import EnvFromSecret, EnvVar, SecretObject, mounted_objects, sync_source_problem
from keyvault_csi.rules.tags import AzureTags


class ClusterRef(Strict):
    """An AKS managed cluster."""

    resource_group: ResourceGroupInput
    """Resource group of the managed cluster."""
    name: ClusterNameInput
    """Name of the managed cluster."""
    subscription_id: GuidInput | None = None
    """Subscription of the cluster (nodes.cluster only); default: the Azure provider's."""


class ComputeRef(Strict):
    """A VM scale set (one per AKS node pool) or a VM of an AvailabilitySet cluster."""

    resource_group: ResourceGroupInput
    """Resource group of the scale set or VM (for AKS node pools: the MC_* node resource group)."""
    name: ComputeName
    """Name of the scale set or VM."""
    subscription_id: GuidInput | None = None
    """Subscription of the scale set or VM; default: the Azure provider's."""


class ScaleSetRef(ComputeRef):
    """A node pool's scale set; ``agentPool`` names its pool so Pods are placed there (never guessed)."""

    agent_pool: AgentPoolName | None = None
    """The AKS pool this scale set backs: Pods are then placed on that pool (never guessed from the name)."""


class KeyVaultSettings(Strict):
    """The Key Vault the objects are read from."""

    name: KeyVaultNameInput
    """Vault name: 3-24 letters, digits and '-', starting with a letter, ending with a letter or digit, no '--'."""
    resource_group: ResourceGroupInput
    """Resource group of the vault."""
    subscription_id: GuidInput | None = None
    (
        "Subscription of the vault (the scope of RBAC grants; reads and access policies go through a provider for it); "
        "default: the Azure provider's."
    )
    permission_model: PermissionModel = PermissionModel.AUTO
    """How the vault grants access; auto (default) reads the vault's enableRbacAuthorization."""


# Which keys each identity type takes (as config keys), and what it says when they are wrong.
_IDENTITY_KEYS = ("name", "resourceGroup", "resourceId", "cluster")


class IdentitySettings(Strict):
    """Which identity reads the vault: see the README's "Identity modes"."""

    type: IdentityType
    """The mode: userAssigned, systemAssigned, kubelet, workload, aksAddon or identityBinding (see each key)."""
    name: IdentityNameInput | None = None
    """Name of the user-assigned identity to create (userAssigned, workload, identityBinding)."""
    resource_group: ResourceGroupInput | None = None
    """Resource group of the identity to create (userAssigned, workload, identityBinding)."""
    resource_id: IdentityResourceIdInput | None = None
    """ARM id of an existing user-assigned identity to reuse (userAssigned, identityBinding)."""
    cluster: ClusterRef | None = None
    """The AKS cluster of kubelet, workload (its OIDC issuer), aksAddon and identityBinding (the cluster bound to)."""

    @model_validator(mode="after")
    def _fields_match_type(self) -> IdentitySettings:
        values = (self.name, self.resource_group, self.resource_id, self.cluster)
        given = {key for key, value in zip(_IDENTITY_KEYS, values, strict=True) if value is not None}
        problem = _identity_problem(self.type, given)
        if self.cluster is not None and self.cluster.subscription_id is not None:
            # getManagedCluster reads with the Azure provider's subscription; another one would be ignored.
            problem = "; ".join(
                p
                for p in (
                    problem,
                    "cluster.subscriptionId is not supported: the cluster is read in the Azure provider's "
                    "subscription (azure-native:subscriptionId)",
                )
                if p
            )
        if problem:
            raise ValueError(problem)
        return self

    @property
    def creates_identity(self) -> bool:
        """True when this component creates the user-assigned identity (name + resourceGroup)."""
        creating = (IdentityType.USER_ASSIGNED, IdentityType.WORKLOAD, IdentityType.IDENTITY_BINDING)
        return self.type in creating and self.resource_id is None


def _identity_problem(kind: IdentityType, given: set[str]) -> str | None:
    if kind == IdentityType.USER_ASSIGNED:
        create, existing = {"name", "resourceGroup"} <= given, "resourceId" in given
        if create == existing or given - {"name", "resourceGroup", "resourceId"}:
            return (
                "type userAssigned takes either name + resourceGroup (create the identity) "
                f"or resourceId (use an existing one); got {sorted(given) or 'neither'}"
            )
        if existing and given & {"name", "resourceGroup"}:
            return "resourceId names an existing identity; drop name/resourceGroup"
        return None
    if kind in (IdentityType.KUBELET, IdentityType.AKS_ADDON):
        if given != {"cluster"}:
            return f"type {kind} takes only cluster: {{resourceGroup, name}}; got {sorted(given) or 'none'}"
        return None
    if kind == IdentityType.WORKLOAD:
        if given != {"name", "resourceGroup", "cluster"}:
            return (
                "type workload takes name + resourceGroup (the identity to create) and cluster: {resourceGroup, name} "
                f"(whose OIDC issuer is federated); got {sorted(given) or 'none'}"
            )
        return None
    if kind == IdentityType.IDENTITY_BINDING:
        if given not in ({"name", "resourceGroup", "cluster"}, {"resourceId", "cluster"}):
            return (
                "type identityBinding takes name + resourceGroup (the identity to create) or resourceId (an existing "
                "one), and cluster: {resourceGroup, name} (the AKS cluster it is bound to); "
                f"got {sorted(given) or 'none'}"
            )
        return None
    if given:
        return f"type systemAssigned uses the nodes' own identities and takes no {sorted(given)}"
    return None


class NodeSettings(Strict):
    """Where a userAssigned or systemAssigned identity is put (refused for the other types)."""

    scale_sets: list[ScaleSetRef] = []
    """VM scale sets, one per node pool."""
    virtual_machines: list[ComputeRef] = []
    """VMs of an AvailabilitySet cluster."""
    cluster: ClusterRef | None = None
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
            for pool, indexes in repeated((pool, i) for i, pool in enumerate(self.agent_pools))
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def compute(self) -> list[tuple[NodeKind, ComputeRef]]:
        """The listed scale sets and VMs, each with its kind."""
        return [(NodeKind.VMSS, ref) for ref in self.scale_sets] + [(NodeKind.VM, ref) for ref in self.virtual_machines]

    def count(self) -> int:
        """How many nodes get the identity: scale sets, VMs and agent pools."""
        return len(self.scale_sets) + len(self.virtual_machines) + len(self.agent_pools)

    def pools(self) -> list[str]:
        """Pools known to carry the identity: ``agentPools`` plus scale sets' explicit ``agentPool``."""
        named = [*self.agent_pools, *(ref.agent_pool for ref in self.scale_sets if ref.agent_pool)]
        return list(dict.fromkeys(named))


class PodSettings(Strict):
    """A Pod that mounts the workload's class read-only (the driver syncs Secrets only while a Pod mounts it)."""

    name: DnsSubdomain | None = None
    """Pod name (DNS-1123 subdomain); default <workload>-secrets-store-inline."""
    # Runs as a non-root user: the hardened defaults need no override.
    image: str = Field(default=DEFAULT_IMAGE, min_length=1, pattern=r"^\S+$")
    """Container image; default nginxinc/nginx-unprivileged."""
    mount_path: str | None = None
    """Absolute path of the mounted objects; default /mnt/secrets-store (Windows: C:\\mnt\\secrets-store)."""
    os: NodeOS = NodeOS.LINUX
    """The node OS the Pod is pinned to; default linux."""
    env: list[EnvVar] = []
    """Container environment variables."""
    env_from: list[EnvFromSecret] = []
    """Synced Secrets whose keys all become environment variables."""
    security_context: PodSecurity = PodSecurity()
    """Overrides of the hardened security defaults."""
    resources: PodResources = PodResources()
    """Container requests and limits."""
    writable_paths: list[str] | None = None
    """Absolute paths that get a writable emptyDir under the read-only root filesystem; default /tmp on Linux."""
    mount_paths: dict[str, str] | None = None
    (
        "With objects from several vaults: the mount path of each vault's volume, by vault key; "
        "default <mountPath>/<key>."
    )
    node_selector: dict[str, str] | None = None
    """Node labels the Pod requires, merged over the pool placement (kubernetes.azure.com/agentpool)."""
    affinity: dict[str, Any] | None = None
    """A Kubernetes Affinity (nodeAffinity, podAffinity, ...), replacing the pool placement's."""
    labels: Labels = {}
    """Labels of the Pod (of a Deployment: of the Deployment and its Pods), besides the ones keyvault-csi sets."""
    annotations: Annotations = {}
    """Annotations of the Pod (of a Deployment: of its Pod template)."""
    tolerations: list[Toleration] = []
    """Kubernetes tolerations, such as for the taint of a dedicated node pool."""
    image_pull_secrets: ImagePullSecrets = []
    """Names of Secrets in the workload's namespace holding credentials for a private registry."""
    command: list[str] | None = None
    """The container's entrypoint, replacing the image's ENTRYPOINT."""
    args: list[str] | None = None
    """Arguments of the entrypoint, replacing the image's CMD."""
    ports: ContainerPorts = []
    """Ports the container listens on."""

    @classmethod
    def reserved_labels(cls) -> dict[str, str]:
        """Labels keyvault-csi sets on this object itself (a user label may not change them)."""
        return dict(DEFAULT_LABELS)

    @classmethod
    def reserved_annotations(cls) -> dict[str, str]:
        """Annotations keyvault-csi sets on this object's Pods itself."""
        return {}

    @field_validator("labels", "annotations")
    @classmethod
    def _not_ours(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        # Refused rather than overridden: a different value would break the selector, the rollout or our marks.
        problem = (
            reserved_keys_problem(value, cls.reserved_labels(), "on every object keyvault-csi declares")
            if info.field_name == "labels"
            else reserved_keys_problem(value, cls.reserved_annotations(), "so that a change rolls the Pods")
        )
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _hardening_overrides(self) -> PodSettings:
        problems = security_problems(self.os, self.security_context) + resolve_resources(self.os, self.resources)[1]
        try:
            check_mount_path(self.effective_mount_path(), self.os)
        except ValueError as error:
            problems.insert(0, str(error))
        for key, path in (self.mount_paths or {}).items():
            try:
                check_mount_path(path, self.os)
            except ValueError as error:
                problems.append(f"mountPaths.{key}: {error}")
        if self.writable_paths is not None:
            problems += writable_path_problems(self.os, self.writable_paths, self.effective_mount_path())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def effective_mount_path(self) -> str:
        return self.mount_path or default_mount_path(self.os)

    def effective_writable_paths(self) -> list[str]:
        """``writablePaths``, else the scratch directories a read-only root needs (``/tmp`` on Linux)."""
        if self.writable_paths is not None:
            return list(self.writable_paths)
        return default_writable_paths(self.os, self.security_context)

    def effective_resources(self) -> dict[str, dict[str, str]]:
        """Requests and limits: the OS's defaults under the overrides."""
        return resolve_resources(self.os, self.resources)[0]


class DeploymentSettings(PodSettings):
    """An ``apps/v1`` Deployment whose Pod template is the hardened Pod (docs/driver.md "Deployments")."""

    name: DnsSubdomain | None = None
    """Deployment name (DNS-1123 subdomain); default the workload name."""
    replicas: StrictInt = Field(default=DEFAULT_REPLICAS, ge=0)
    """Number of Pods; default 1."""

    @classmethod
    def reserved_labels(cls) -> dict[str, str]:
        """The Pod's, plus the selector label (its value is the Deployment's name)."""
        return {**super().reserved_labels(), SELECTOR_LABEL: "<the Deployment's name>"}

    @classmethod
    def reserved_annotations(cls) -> dict[str, str]:
        """The digest of what the class mounts and syncs (rules.rollout)."""
        return {OBJECTS_ANNOTATION: "<sha256 of the objects>"}


class VaultObject(KeyVaultObject):
    """One Key Vault secret, key or certificate to write into the mounted volume, from one of the vaults.

    The provider's own fields (KeyVaultObject), plus ``keyVault`` when several vaults are configured.
    """

    key_vault: VaultKey | None = None
    """With keyVaults: the key of the vault that holds the object; default the only vault."""


class WorkloadSettings(Strict):
    """One application namespace's SecretProviderClass, and optionally a Pod that mounts it."""

    name: DnsLabel
    """Workload name (DNS-1123 label), unique; names the class, Pod and service account by default."""
    namespace: DnsLabel = "default"
    """Kubernetes namespace of the class and Pod; default default."""
    secret_provider_class: DnsSubdomain | None = None
    """Class name; default azure-<vault>-<name>."""
    service_account: DnsSubdomain | None = None
    """Workload identity and identity binding: the Pods' service account (created); default the workload name."""
    cloud_name: CloudName = ""
    """Azure cloud of the vault, the one of environment (default); AzureStackCloud: a custom cloud."""
    cloud_env_file_name: str | None = None
    """AzureStackCloud: the environment file, read inside the provider pods (a node file mounted there)."""
    objects: list[VaultObject] = Field(min_length=1)
    """The Key Vault objects to mount (at least one); one SecretProviderClass per vault they come from."""
    secret_objects: list[SecretObject] = []
    """Kubernetes Secrets synced from the mounted files."""
    pod: PodSettings | None = None
    """A Pod that mounts the class; none if omitted (mount it into your own workload)."""
    deployment: DeploymentSettings | None = None
    """A Deployment that mounts the class (instead of pod); name defaults to the workload name."""
    os: NodeOS | None = None
    """Without pod or deployment: the node OS of the Pods that mount the class (its file path rules); default linux."""
    rollout: RolloutPolicy = RolloutPolicy.ON_CHANGE
    """When Pods are replaced: onChange (default: objects change) or onRotation (also a synced Secret, by Reloader)."""

    @field_validator("service_account")
    @classmethod
    def _own_service_account(cls, value: str | None) -> str | None:
        # Kubernetes creates "default" in every namespace: declaring it again fails with AlreadyExists.
        if value == "default":
            raise ValueError(
                "'default' is not allowed: Kubernetes already creates it in every namespace; "
                "name a dedicated service account"
            )
        return value

    @model_validator(mode="after")
    def _files_and_cloud(self) -> WorkloadSettings:
        # Each vault's objects are mounted as their own volume: files collide only within one vault.
        problems: list[str] = []
        for key in dict.fromkeys(o.key_vault for o in self.objects):
            at = [i for i, o in enumerate(self.objects) if o.key_vault == key]
            known = [i for i in at if self.objects[i].file_known]
            problems += file_conflicts([self.objects[i] for i in known], known, os=self.node_os())
        if self.pod is not None and self.deployment is not None:
            problems.append("set pod or deployment, not both (a Deployment's Pods mount the class)")
        if self.os is not None and self.template is not None:
            key = "pod" if self.pod is not None else "deployment"
            problems.append(f"os is for a class mounted by your own Pods; this workload's Pods run on {key}.os")
        stack_file = cloud_env_file_problem(self.cloud_name, self.cloud_env_file_name)
        if stack_file:
            problems.append(stack_file)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def class_name(self, vault: object, key: str | None = None) -> str:
        """The SecretProviderClass's name: ``secretProviderClass``, else ``azure-<vault>-<name>``; with ``key``
        (a workload reading several vaults) ``secretProviderClass`` gets ``-<key>``.

        A vault name given as an Output cannot name it (the checks then require ``secretProviderClass``).
        """
        if self.secret_provider_class:
            return f"{self.secret_provider_class}-{key}" if key else self.secret_provider_class
        if isinstance(vault, str):
            return default_class_name(vault, self.name)
        raise ValueError(f"workload {self.name!r}: set secretProviderClass (keyVault.name is an Output)")

    @property
    def template(self) -> PodSettings | None:
        """The settings of the Pod the workload runs: its ``pod`` or its ``deployment`` (at most one is set)."""
        return self.pod or self.deployment

    def node_os(self) -> NodeOS:
        """The node OS of the Pods that mount the class: its pod's or deployment's, else ``os``, else linux."""
        template = self.template
        return template.os if template is not None else self.os or NodeOS.LINUX

    def pod_name(self) -> str:
        return (self.pod.name if self.pod else None) or default_pod_name(self.name)

    def deployment_name(self) -> str:
        return (self.deployment.name if self.deployment else None) or self.name

    def service_account_name(self) -> str:
        """The service account (workload identity, identity binding): ``serviceAccount``, else the workload's name."""
        return self.service_account or self.name

    def rollout_annotations(self) -> dict[str, str]:
        """What the metadata of the workload's controller carries for its rollout (onRotation: Reloader's)."""
        if self.rollout != RolloutPolicy.ON_ROTATION:
            return {}
        return reloader_annotations([s.secret_name for s in self.secret_objects])


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

    install: DriverInstall = DriverInstall.NONE
    (
        "none (default: assumed installed), helm (declare the provider's chart in kube-system) "
        "or aksAddon (verify the AKS add-on)."
    )
    chart_version: str | None = Field(default=None, pattern=CHART_VERSION_PATTERN)
    """helm: version of csi-secrets-store-provider-azure; default 1.8.2 (an older one is warned about)."""
    chart_repository: Annotated[str | None, refusing(chart_repository_problem)] = None
    """helm: an https:// Helm repository (a mirror) or an oci:// registry path holding the chart; default upstream's."""
    # Checked before pydantic's int check, which would take True as 1 and name no unit.
    timeout: Annotated[int | None, refusing(timeout_problem, before=True)] = None
    """helm: seconds Helm waits for each Kubernetes operation of the release; default 300."""
    atomic: StrictBool | None = None
    """helm: a failed install or upgrade is rolled back (Helm then waits for the release's resources); default false."""
    values: dict[str, Any] | None = None
    """helm: extra chart values, merged under the ones keyvault-csi sets."""
    rotation: RotationSettings | None = None
    """helm: sets the driver's rotation values; aksAddon: verified on the add-on."""
    sync_secret: StrictBool | None = None
    """helm: the driver's syncSecret.enabled; default on when a workload has secretObjects."""
    windows: StrictBool | None = None
    """helm: Windows DaemonSets of provider and driver; default on when a workload runs on Windows (its os)."""
    cluster: ClusterRef | None = None
    """aksAddon: the cluster whose add-on is verified; default identity.cluster."""
    provider_host_folders: list[str] | None = None
    """helm: node folders mounted read-only into the Linux provider pods; default each AzureStackCloud file's folder."""

    @field_validator("provider_host_folders")
    @classmethod
    def _mountable_folders(cls, value: list[str] | None) -> list[str] | None:
        problems = [p for p in map(host_folder_problem, value or []) if p]
        problems += [
            f"{folder!r} is listed {len(at)} times"
            for folder, at in repeated((f, i) for i, f in enumerate(value or []))
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    # The chart's spelling (rules.driver.CONSTRUCT_PEM_CHAIN), which to_camel would write constructPemChain.
    construct_pem_chain: StrictBool | None = Field(default=None, alias="constructPEMChain")
    """helm: the chart's constructPEMChain (certificate chains ordered server, intermediate, root); only true."""
    write_cert_and_key_in_separate_files: StrictBool | None = None
    """helm: also write <file>.crt and <file>.key beside a certificate's secret object; default false."""

    def rotation_enabled(self) -> bool:
        """Whether ``rotation.enabled`` is set true (what the chart is given and the add-on checked against)."""
        return bool(self.rotation and self.rotation.enabled)

    def effective_chart_version(self) -> str:
        """helm: ``chartVersion``, else the version keyvault-csi pins (rules.driver.CHART_VERSION)."""
        return self.chart_version or CHART_VERSION


class Settings(Strict):
    """One environment: the vault, the identity, the nodes it goes on, and the workloads."""

    tenant_id: TenantIdInput
    """Entra tenant ID (GUID) of the Key Vault, or adfs for Azure Stack Hub with AD FS (cloudName AzureStackCloud)."""
    key_vault: KeyVaultSettings | None = None
    """The vault the objects are read from (or keyVaults, for several)."""
    key_vaults: dict[VaultKey, KeyVaultSettings] | None = None
    (
        "Several vaults by key, instead of keyVault: each object names its vault (objects[].keyVault); "
        "a workload gets one class and one read-only volume per vault it reads, mounted at <mountPath>/<key>."
    )
    identity: IdentitySettings
    """Who reads the vault: userAssigned, systemAssigned, kubelet, workload, aksAddon or identityBinding."""
    nodes: NodeSettings | None = None
    """Scale sets, VMs and agent pools that get the identity (userAssigned, systemAssigned)."""
    workloads: list[WorkloadSettings] = Field(min_length=1)
    """The workloads, each with its SecretProviderClass (at least one)."""
    location: str | None = None
    """Azure region of a created identity; default the Azure provider's."""
    tags: AzureTags = {}
    """Azure tags for the resources this component creates."""
    protect: StrictBool = False
    """Protect the identity, Key Vault grants and federated credentials from deletion (and retain them in Azure)."""
    arm_endpoint: str = ""
    """ARM endpoint override for the node identity writes (Azure Stack, tests)."""
    environment: Environment = Environment.PUBLIC
    """Azure environment (cloud) of the Azure provider; default public."""
    driver: DriverSettings = DriverSettings()
    """Where the Secrets Store CSI driver comes from: none (assumed), helm or aksAddon."""

    def driver_cluster(self) -> ClusterRef | None:
        """The AKS cluster of ``driver.install: aksAddon``: ``driver.cluster``, else ``identity.cluster``."""
        return self.driver.cluster or self.identity.cluster

    def vaults(self) -> dict[str, KeyVaultSettings]:
        """The vaults by key: ``keyVaults``, or ``keyVault`` under the key ``default``."""
        if self.key_vaults is not None:
            return dict(self.key_vaults)
        return {SINGLE_VAULT: self.key_vault} if self.key_vault is not None else {}

    def vault_key(self, obj: VaultObject) -> str:
        """The key of the vault that holds ``obj``: its ``keyVault``, else the only vault's."""
        if obj.key_vault is not None:
            return obj.key_vault
        keys = list(self.vaults())
        return keys[0] if len(keys) == 1 else ""

    def objects_of(self, key: str) -> list[VaultObject]:
        """Every object read from the vault ``key``, over all workloads (its grants cover them)."""
        return [o for w in self.workloads for o in w.objects if self.vault_key(o) == key]

    def objects_by_vault(self, workload: WorkloadSettings) -> dict[str, dict[int, VaultObject]]:
        """The workload's objects (by position) by the key of the vault that holds them, in the order of first use:
        each vault's objects are one mount."""
        found: dict[str, dict[int, VaultObject]] = {}
        for i, obj in enumerate(workload.objects):
            found.setdefault(self.vault_key(obj), {})[i] = obj
        return found

    def mounts(self, workload: WorkloadSettings) -> list[Mount]:
        """The workload's classes: one per vault its objects come from, in the order of first use.

        A workload reading one vault has one class, volume ``secrets-store-inline`` at its mount path;
        one reading several has a class per vault (``secretProviderClass`` + ``-<key>``) and a volume
        ``secrets-store-<key>`` at ``<mountPath>/<key>`` (or ``mountPaths[<key>]``).
        """
        vaults = self.vaults()
        by_vault = self.objects_by_vault(workload)
        several = len(by_vault) > 1
        template = workload.template
        base = template.effective_mount_path() if template is not None else default_mount_path(workload.node_os())
        mounts = []
        for key, at in by_vault.items():
            objects = tuple(at.values())
            histories = {file: o.object_version_history for file, o in mounted_objects(objects).items()}
            synced = tuple(s for s in workload.secret_objects if _syncs_from(s, histories))
            path = (template.mount_paths or {}).get(key) if template is not None else None
            mounts.append(
                Mount(
                    vault_key=key,
                    vault=vaults[key],
                    class_name=workload.class_name(vaults[key].name, key if several else None),
                    objects=objects,
                    secret_objects=synced if several else tuple(workload.secret_objects),
                    volume_name=f"secrets-store-{key}" if several else DEFAULT_VOLUME_NAME,
                    mount_path=path or (_join(base, key) if several else base),
                    cloud_name=class_cloud_name(workload.cloud_name, self.environment),
                )
            )
        return mounts

    def provider_host_folders(self) -> list[str]:
        """Node folders mounted into the Linux provider pods (``install: helm``): ``driver.providerHostFolders``,
        else the folder of each Linux AzureStackCloud workload's ``cloudEnvFileName``."""
        if self.driver.install != DriverInstall.HELM:
            return []
        if self.driver.provider_host_folders is not None:
            return list(self.driver.provider_host_folders)
        files = [(w.cloud_name, w.cloud_env_file_name, w.node_os()) for w in self.workloads]
        return default_host_folders(files, self.driver.values)

    def cert_and_key_files(self) -> bool | None:
        """Whether the provider writes ``<file>.crt`` and ``<file>.key`` beside a certificate's secret object
        (``None``: unknown, with ``driver.install: none``)."""
        driver = self.driver
        addon_identity = self.identity.type == IdentityType.AKS_ADDON
        return writes_cert_and_key(driver.install, driver.write_cert_and_key_in_separate_files, addon_identity)


# The key of keyVault (one vault) in Settings.vaults(); keyVaults' own keys name resources, this one does not.
SINGLE_VAULT = "default"


@dataclass(frozen=True)
class Mount:
    """One SecretProviderClass of a workload: the vault it reads, its objects and synced Secrets, its volume."""

    vault_key: str
    vault: KeyVaultSettings
    class_name: str
    objects: tuple[VaultObject, ...]
    secret_objects: tuple[SecretObject, ...]
    volume_name: str
    mount_path: str
    cloud_name: str = ""
    """The class's cloudName: the workload's, else the cloud of the vault's environment (rules.clouds)."""


def _syncs_from(secret: SecretObject, histories: dict[str, int | None]) -> bool:
    """True when every file ``secret`` copies is mounted from these objects."""
    return all(sync_source_problem(d.object_name, histories)[0] is not None for d in secret.data)


def _join(base: str, key: str) -> str:
    """``<base>/<key>``, with the separator of the mount path's OS (a drive path is Windows')."""
    separator = "\\" if ":" in base[:3] else "/"
    return base.rstrip("/\\") + separator + key


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
    (
        "With cluster, if it has Entra ID integration: how kubelogin signs in, azurecli (default), "
        "workloadidentity, spn or msi (docs/entra-id.md)."
    )

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


class StackSettings(Settings):
    """A stack of the keyvault-csi program: the component's settings plus the cluster to deploy to."""

    kubernetes: KubernetesSettings | None = None
    """Where the Kubernetes objects go: a kubeconfig, a named AKS cluster, or the ambient one."""

    def driver_cluster(self) -> ClusterRef | None:
        """As :meth:`Settings.driver_cluster`, then ``kubernetes.cluster``."""
        return super().driver_cluster() or (self.kubernetes.cluster if self.kubernetes else None)
