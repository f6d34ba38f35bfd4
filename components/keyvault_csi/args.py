"""Typed arguments of ``AksKeyVaultSecrets``: the stack configuration's shape as nested TypedDicts.

Python callers get type checking from them; the multi-language package (``provider/``) gets its
schema from them: Pulumi's schema analyzer reads these annotations and the docstring under each
key. So this module keeps to what the analyzer accepts:

* no ``from __future__ import annotations`` — the analyzer needs real types, not strings;
* no ``Union`` or ``Literal`` — allowed values are named in the docstrings and checked, with the
  key path, by :mod:`keyvault_csi.settings.model`;
* ``pulumi.Input[str]`` only on the keys that name a cloud object (a value another resource may
  compute, checked when it resolves: ``docs/embedding.md``); every other key is a plain type,
  because it shapes the graph before anything is declared and must be known at preview.

``tests/test_plugin_schema.py`` checks that every key here matches the pydantic models in
:mod:`keyvault_csi.settings.model` (same keys, same required ones).
"""

from typing import Any, NotRequired, TypedDict

import pulumi


class AksCluster(TypedDict):
    """An AKS managed cluster, read in the Azure provider's subscription."""

    resourceGroup: pulumi.Input[str]
    """Resource group of the managed cluster."""
    name: pulumi.Input[str]
    """Name of the managed cluster."""


class ComputeNode(TypedDict):
    """A VM scale set (one per AKS node pool) or a VM of an AvailabilitySet cluster."""

    resourceGroup: pulumi.Input[str]
    """Resource group of the scale set or VM (for AKS node pools: the MC_* node resource group)."""
    name: str
    """Name of the scale set or VM (plain: it names the node's resource)."""
    subscriptionId: NotRequired[pulumi.Input[str]]
    """Subscription of the node; default: the Azure provider's."""


class ScaleSetNode(TypedDict):
    """A node pool's VM scale set."""

    resourceGroup: pulumi.Input[str]
    """Resource group of the scale set (for AKS node pools: the MC_* node resource group)."""
    name: str
    """Name of the scale set (plain: it names the node's resource)."""
    subscriptionId: NotRequired[pulumi.Input[str]]
    """Subscription of the node; default: the Azure provider's."""
    agentPool: NotRequired[str]
    """The AKS pool this scale set backs: Pods are then placed on that pool (never guessed from the name)."""


class NodeCluster(TypedDict):
    """The AKS cluster whose agent pools are named in agentPools."""

    resourceGroup: pulumi.Input[str]
    """Resource group of the managed cluster."""
    name: pulumi.Input[str]
    """Name of the managed cluster."""
    subscriptionId: NotRequired[str]
    """Subscription of the cluster; default: the Azure provider's."""


class Nodes(TypedDict):
    """Where a userAssigned or systemAssigned identity is put (refused for kubelet and workload)."""

    scaleSets: NotRequired[list[ScaleSetNode]]
    """VM scale sets, one per node pool."""
    virtualMachines: NotRequired[list[ComputeNode]]
    """VMs of an AvailabilitySet cluster."""
    cluster: NotRequired[NodeCluster]
    """The AKS cluster of agentPools."""
    agentPools: NotRequired[list[str]]
    """AKS agent pools by name; each pool's scale set is found at deploy time (tag aks-managed-poolName)."""


class KeyVault(TypedDict):
    """The Key Vault the objects are read from."""

    name: pulumi.Input[str]
    """Vault name: 3-24 letters, digits and '-', starting with a letter, ending with a letter or digit, no '--'."""
    resourceGroup: pulumi.Input[str]
    """Resource group of the vault."""
    subscriptionId: NotRequired[pulumi.Input[str]]
    """Subscription of the vault (the scope of RBAC grants; reads and access policies go through a provider for it); default: the Azure provider's."""
    permissionModel: NotRequired[str]
    """accessPolicy, rbac, or auto (default: read the vault's enableRbacAuthorization)."""


class Identity(TypedDict):
    """Who reads the vault on the Pods' behalf."""

    type: str
    """userAssigned (name + resourceGroup, or resourceId), systemAssigned, kubelet (cluster), workload (name + resourceGroup + cluster) or aksAddon (cluster: the AKS Key Vault add-on's identity)."""
    name: NotRequired[pulumi.Input[str]]
    """Name of the user-assigned identity to create (userAssigned, workload)."""
    resourceGroup: NotRequired[pulumi.Input[str]]
    """Resource group of the identity to create (userAssigned, workload)."""
    resourceId: NotRequired[pulumi.Input[str]]
    """ARM id of an existing user-assigned identity to reuse (userAssigned only)."""
    cluster: NotRequired[AksCluster]
    """The AKS cluster: its kubelet identity (kubelet), its OIDC issuer (workload) or its add-on identity (aksAddon)."""


class VaultObject(TypedDict):
    """One Key Vault secret, key or certificate to mount, with the Azure provider's field names."""

    objectName: pulumi.Input[str]
    """Name of the object in Key Vault (an Output needs a plain objectAlias)."""
    objectType: str
    """secret, key or cert (a certificate's private key and chain: secret on the certificate's name)."""
    objectVersion: NotRequired[pulumi.Input[str]]
    """Version to mount; empty for the latest."""
    objectAlias: NotRequired[str]
    """File name to write instead of objectName (relative, no '..')."""
    objectFormat: NotRequired[str]
    """pem (default) or pfx; pfx only with objectType secret."""
    objectEncoding: NotRequired[str]
    """utf-8 (default), hex or base64; only with objectType secret."""
    objectVersionHistory: NotRequired[int]
    """Number of versions to write as <file>/<index>; above 1 also grants list."""
    filePermission: NotRequired[str]
    """Octal file mode such as "0440"."""


class SecretObjectData(TypedDict):
    """One key of a synced Kubernetes Secret."""

    objectName: str
    """The mounted file to copy: the object's objectAlias, else its objectName."""
    key: str
    """Key in the Secret's data ([-._a-zA-Z0-9]+)."""


class SecretObject(TypedDict):
    """A Kubernetes Secret the CSI driver keeps in sync with mounted files while a Pod mounts the class."""

    secretName: str
    """Name of the Secret (DNS-1123 subdomain), unique in the namespace."""
    type: NotRequired[str]
    """Opaque (default), kubernetes.io/tls (keys tls.crt and tls.key), kubernetes.io/basic-auth, kubernetes.io/ssh-auth, kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg."""
    data: list[SecretObjectData]
    """Which mounted file goes under which key."""
    labels: NotRequired[dict[str, str]]
    """Labels of the Secret."""
    annotations: NotRequired[dict[str, str]]
    """Annotations of the Secret."""


class SecretKeyRef(TypedDict):
    """A key of a Secret this workload syncs."""

    name: str
    """The Secret's secretName."""
    key: str
    """One of its data keys."""


class EnvVar(TypedDict):
    """A container environment variable: a literal value or a synced Secret's key."""

    name: str
    """Variable name."""
    value: NotRequired[str]
    """Literal value (not with secretKeyRef)."""
    secretKeyRef: NotRequired[SecretKeyRef]
    """Read the value from a Secret this workload syncs (not with value)."""


class SecretRef(TypedDict):
    """A Secret this workload syncs."""

    name: str
    """The Secret's secretName."""


class EnvFromSecret(TypedDict):
    """Every key of a synced Secret as environment variables."""

    secretRef: SecretRef
    """The synced Secret."""
    prefix: NotRequired[str]
    """Prefix for every variable name."""


class PodSecurity(TypedDict):
    """Overrides of the Pod's hardened defaults (non-root, read-only root filesystem, no escalation, no capabilities)."""

    runAsRoot: NotRequired[bool]
    """The image must start as root (such as nginx): drops runAsNonRoot and the read-only root filesystem."""
    runAsUser: NotRequired[int]
    """Linux: the UID to run as, for images whose USER is a name."""
    readOnlyRootFilesystem: NotRequired[bool]
    """Linux: read-only root filesystem (default true unless runAsRoot)."""
    allowPrivilegeEscalation: NotRequired[bool]
    """Linux: allow privilege escalation (default false)."""
    addCapabilities: NotRequired[list[str]]
    """Linux: capabilities added after dropping ALL, such as NET_BIND_SERVICE."""
    seccompProfile: NotRequired[str]
    """Linux: RuntimeDefault (default) or Unconfined."""


class PodResources(TypedDict):
    """Container requests and limits by resource (cpu, memory, ephemeral-storage), over the OS's defaults."""

    requests: NotRequired[dict[str, str]]
    """Requests such as {cpu: 50m, memory: 64Mi}."""
    limits: NotRequired[dict[str, str]]
    """Limits such as {cpu: 500m, memory: 128Mi}."""


class WorkloadPod(TypedDict):
    """A Pod that mounts the workload's class read-only (the driver syncs Secrets only while a Pod mounts it)."""

    name: NotRequired[str]
    """Pod name (DNS-1123 subdomain); default <workload>-secrets-store-inline."""
    image: NotRequired[str]
    """Container image; default nginxinc/nginx-unprivileged."""
    mountPath: NotRequired[str]
    """Absolute path of the mounted objects; default /mnt/secrets-store."""
    os: NotRequired[str]
    """linux (default) or windows: the node OS the Pod is pinned to."""
    env: NotRequired[list[EnvVar]]
    """Container environment variables."""
    envFrom: NotRequired[list[EnvFromSecret]]
    """Synced Secrets whose keys all become environment variables."""
    securityContext: NotRequired[PodSecurity]
    """Overrides of the hardened security defaults."""
    resources: NotRequired[PodResources]
    """Container requests and limits."""
    writablePaths: NotRequired[list[str]]
    """Absolute paths that get a writable emptyDir under the read-only root filesystem; default /tmp on Linux."""
    nodeSelector: NotRequired[dict[str, str]]
    """Node labels the Pod requires, merged over the pool placement (kubernetes.azure.com/agentpool)."""
    affinity: NotRequired[dict[str, Any]]
    """A Kubernetes Affinity (nodeAffinity, podAffinity, ...), replacing the pool placement's."""


class WorkloadDeployment(TypedDict):
    """An apps/v1 Deployment whose Pod template is the hardened Pod; rolled when the mounted objects change."""

    replicas: NotRequired[int]
    """Number of Pods; default 1."""
    name: NotRequired[str]
    """Deployment name (DNS-1123 subdomain); default the workload name."""
    image: NotRequired[str]
    """Container image; default nginxinc/nginx-unprivileged."""
    mountPath: NotRequired[str]
    """Absolute path of the mounted objects; default /mnt/secrets-store."""
    os: NotRequired[str]
    """linux (default) or windows: the node OS the Pod is pinned to."""
    env: NotRequired[list[EnvVar]]
    """Container environment variables."""
    envFrom: NotRequired[list[EnvFromSecret]]
    """Synced Secrets whose keys all become environment variables."""
    securityContext: NotRequired[PodSecurity]
    """Overrides of the hardened security defaults."""
    resources: NotRequired[PodResources]
    """Container requests and limits."""
    writablePaths: NotRequired[list[str]]
    """Absolute paths that get a writable emptyDir under the read-only root filesystem; default /tmp on Linux."""
    nodeSelector: NotRequired[dict[str, str]]
    """Node labels the Pods require, merged over the pool placement (kubernetes.azure.com/agentpool)."""
    affinity: NotRequired[dict[str, Any]]
    """A Kubernetes Affinity (nodeAffinity, podAffinity, ...), replacing the pool placement's."""


class Workload(TypedDict):
    """One application namespace's SecretProviderClass, and optionally a Pod that mounts it."""

    name: str
    """Workload name (DNS-1123 label), unique; names the class, Pod and service account by default."""
    namespace: NotRequired[str]
    """Kubernetes namespace of the class and Pod; default default."""
    secretProviderClass: NotRequired[str]
    """Class name; default azure-<vault>-<name>."""
    serviceAccount: NotRequired[str]
    """Workload identity only: the Pod's service account (created and federated); default the workload name."""
    cloudName: NotRequired[str]
    """Azure cloud of the vault; empty for AzurePublicCloud."""
    cloudEnvFileName: NotRequired[str]
    """Environment file on the nodes, required with cloudName AzureStackCloud."""
    objects: list[VaultObject]
    """The Key Vault objects to mount (at least one)."""
    secretObjects: NotRequired[list[SecretObject]]
    """Kubernetes Secrets synced from the mounted files."""
    pod: NotRequired[WorkloadPod]
    """A Pod that mounts the class; none if omitted (mount it into your own workload)."""
    deployment: NotRequired[WorkloadDeployment]
    """A Deployment that mounts the class (instead of pod); name defaults to the workload name."""


class DriverRotation(TypedDict):
    """Rotation: the driver re-reads the vault and rewrites the mounted files."""

    enabled: NotRequired[bool]
    """Rotate mounted objects; default true when rotation is set."""
    pollInterval: NotRequired[str]
    """Go duration between reads, e.g. 2m (the default)."""


class Driver(TypedDict):
    """Where the Secrets Store CSI driver and its Azure provider come from (docs/driver.md)."""

    install: NotRequired[str]
    """none (default: assumed installed), helm (declare the provider's chart in kube-system) or aksAddon (verify the AKS add-on)."""
    chartVersion: NotRequired[str]
    """helm: version of csi-secrets-store-provider-azure; default 1.8.2."""
    values: NotRequired[dict[str, Any]]
    """helm: extra chart values, merged under the ones keyvault-csi sets."""
    rotation: NotRequired[DriverRotation]
    """helm: sets the driver's rotation values; aksAddon: verified on the add-on."""
    syncSecret: NotRequired[bool]
    """helm: the driver's syncSecret.enabled; default on when a workload has secretObjects."""
    windows: NotRequired[bool]
    """helm: Windows DaemonSets of provider and driver; default on when a Pod runs on Windows."""
    cluster: NotRequired[AksCluster]
    """aksAddon: the cluster whose add-on is verified; default identity.cluster, else kubernetes.cluster."""


class AksKeyVaultSecretsArgs(TypedDict):
    """Arguments of AksKeyVaultSecrets: the stack configuration's keys (see Pulumi.yaml); the names of cloud objects may be outputs of other resources."""

    tenantId: pulumi.Input[str]
    """Entra tenant ID (GUID) of the Key Vault."""
    keyVault: KeyVault
    """The vault the objects are read from."""
    identity: Identity
    """Who reads the vault: userAssigned, systemAssigned, kubelet or workload."""
    workloads: list[Workload]
    """The workloads, each with its SecretProviderClass (at least one)."""
    nodes: NotRequired[Nodes]
    """Scale sets and VMs that get the identity (userAssigned, systemAssigned)."""
    location: NotRequired[str]
    """Azure region of a created identity; default the Azure provider's."""
    tags: NotRequired[dict[str, str]]
    """Azure tags for the resources this component creates."""
    protect: NotRequired[bool]
    """Protect the identity, Key Vault grants and federated credentials from deletion."""
    armEndpoint: NotRequired[str]
    """ARM endpoint override for the node identity writes (Azure Stack, tests)."""
    environment: NotRequired[str]
    """Azure environment of the node identity writes: public (default), usgovernment or china."""
    driver: NotRequired[Driver]
    """Where the Secrets Store CSI driver comes from: none (assumed), helm or aksAddon."""
