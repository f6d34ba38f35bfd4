"""The input model: one pydantic type per concept, one validator per single-key rule, defaults as methods.

The same models serve the stack configuration (``keyvault-csi:*`` keys, camelCase) and the
arguments of :class:`keyvault_csi.AksKeyVaultSecrets` (Python's snake_case, or camelCase copied
from a stack file). The TypedDicts of :mod:`keyvault_csi.api.args` are generated from them.
Rules that span keys are in :mod:`keyvault_csi.model.checks`; :func:`keyvault_csi.model.validate.validate_settings`
runs both and reports every problem at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, StrictBool, ValidationInfo, field_validator, model_validator

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
from keyvault_csi.rules.driver import duration_seconds
from keyvault_csi.rules.kubeconfig import login_problem
from keyvault_csi.rules.metadata import Annotations, Labels, reserved_keys_problem
from keyvault_csi.rules.model import Strict, repeated
from keyvault_csi.rules.names import (
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
from keyvault_csi.rules.pod import (
    DEFAULT_IMAGE,
    DEFAULT_LABELS,
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
from keyvault_csi.rules.secret_sync import EnvFromSecret, EnvVar, SecretObject
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
    """Subscription of the vault (the scope of RBAC grants; reads and access policies go through a provider for it); default: the Azure provider's."""
    permission_model: PermissionModel = PermissionModel.AUTO
    """How the vault grants access; auto (default) reads the vault's enableRbacAuthorization."""


# Which keys each identity type takes (as config keys), and what it says when they are wrong.
_IDENTITY_KEYS = ("name", "resourceGroup", "resourceId", "cluster")


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
        return self.type in (IdentityType.USER_ASSIGNED, IdentityType.WORKLOAD) and self.resource_id is None


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
    replicas: int = Field(default=DEFAULT_REPLICAS, ge=0)
    """Number of Pods; default 1."""

    @classmethod
    def reserved_labels(cls) -> dict[str, str]:
        """The Pod's, plus the selector label (its value is the Deployment's name)."""
        return {**super().reserved_labels(), SELECTOR_LABEL: "<the Deployment's name>"}

    @classmethod
    def reserved_annotations(cls) -> dict[str, str]:
        """The digest of what the class mounts and syncs (rules.rollout)."""
        return {OBJECTS_ANNOTATION: "<sha256 of the objects>"}


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
    rollout: RolloutPolicy = RolloutPolicy.ON_CHANGE
    """When Pods are replaced: onChange (default: objects change) or onRotation (also a synced Secret, by Reloader)."""

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

    def class_name(self, vault: object) -> str:
        """The SecretProviderClass's name: ``secretProviderClass``, else ``azure-<vault>-<name>``.

        A vault name given as an Output cannot name it (the checks then require ``secretProviderClass``).
        """
        if self.secret_provider_class:
            return self.secret_provider_class
        if isinstance(vault, str):
            return default_class_name(vault, self.name)
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
    """aksAddon: the cluster whose add-on is verified; default identity.cluster."""


class Settings(Strict):
    """One environment: the vault, the identity, the nodes it goes on, and the workloads."""

    tenant_id: TenantIdInput
    """Entra tenant ID (GUID) of the Key Vault, or adfs for Azure Stack Hub with AD FS (cloudName AzureStackCloud)."""
    key_vault: KeyVaultSettings
    """The vault the objects are read from."""
    identity: IdentitySettings
    """Who reads the vault: userAssigned, systemAssigned, kubelet, workload or aksAddon."""
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


class StackSettings(Settings):
    """A stack of the keyvault-csi program: the component's settings plus the cluster to deploy to."""

    kubernetes: KubernetesSettings | None = None
    """Where the Kubernetes objects go: a kubeconfig, a named AKS cluster, or the ambient one."""

    def driver_cluster(self) -> ClusterRef | None:
        """As :meth:`Settings.driver_cluster`, then ``kubernetes.cluster``."""
        return super().driver_cluster() or (self.kubernetes.cluster if self.kubernetes else None)
