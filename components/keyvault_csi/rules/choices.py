"""Allowed values of the inputs, once, as ``str`` enums.

The input model validates with them, the components compare against them, the multi-language
schema lists them as enum types, and the docs name them. A member *is* its string value
(``IdentityType.WORKLOAD == "workload"``), so callers may pass either.
"""

from __future__ import annotations

from enum import StrEnum


class IdentityType(StrEnum):
    """Who reads the vault: see the README's "Identity modes"."""

    USER_ASSIGNED = "userAssigned"
    """A user-assigned identity put on the nodes (created from name + resourceGroup, or an existing resourceId)."""
    SYSTEM_ASSIGNED = "systemAssigned"
    """Each node's own system-assigned identity."""
    KUBELET = "kubelet"
    """The AKS kubelet identity, already on the nodes."""
    WORKLOAD = "workload"
    """A user-assigned identity federated with each workload's service account (nothing on the nodes)."""
    AKS_ADDON = "aksAddon"
    """The identity of the AKS azure-keyvault-secrets-provider add-on, already on the nodes."""
    IDENTITY_BINDING = "identityBinding"
    """A user-assigned identity bound to the AKS cluster (AKS identity binding): Pods use it through their
    service account and AKS's token proxy, one federated credential for any number of them (nothing on the nodes)."""


# The modes whose identity this project puts on (or turns on for) the nodes.
NODE_IDENTITY_MODES = (IdentityType.USER_ASSIGNED, IdentityType.SYSTEM_ASSIGNED)


class PermissionModel(StrEnum):
    """How the vault grants access (its properties.enableRbacAuthorization)."""

    ACCESS_POLICY = "accessPolicy"
    """Access policies: one entry per principal."""
    RBAC = "rbac"
    """Azure RBAC: role assignments scoped to the vault."""
    AUTO = "auto"
    """Read the vault at preview and use its model."""


class DriverInstall(StrEnum):
    """Where the Secrets Store CSI driver and its Azure provider come from (docs/driver.md)."""

    NONE = "none"
    """Assumed installed; nothing declared or checked."""
    HELM = "helm"
    """The provider's Helm chart, declared as a release in kube-system."""
    AKS_ADDON = "aksAddon"
    """The AKS azure-keyvault-secrets-provider add-on, verified on the cluster."""


class NodeOS(StrEnum):
    """The node OS a Pod runs on (its nodeSelector kubernetes.io/os and spec.os.name)."""

    LINUX = "linux"
    """Linux nodes."""
    WINDOWS = "windows"
    """Windows nodes."""


class SeccompProfile(StrEnum):
    """The container's seccomp profile type (Linux)."""

    RUNTIME_DEFAULT = "RuntimeDefault"
    """The container runtime's default profile."""
    UNCONFINED = "Unconfined"
    """No seccomp filtering."""


class Environment(StrEnum):
    """The Azure cloud of the azure-native provider (azure-native:environment) and the node identity writes."""

    PUBLIC = "public"
    """Azure public cloud."""
    USGOVERNMENT = "usgovernment"
    """Azure US Government."""
    CHINA = "china"
    """Azure China (21Vianet)."""


class NodeKind(StrEnum):
    """A node that gets the identity: a VM scale set (one per AKS node pool) or a VM."""

    VMSS = "vmss"
    """A virtual machine scale set."""
    VM = "vm"
    """A virtual machine."""


class ObjectType(StrEnum):
    """What to read from Key Vault; the provider compares it exactly (docs/azure-rules.md §objects-type)."""

    SECRET = "secret"
    """A secret, or a certificate's private key and chain (on the certificate's name)."""
    KEY = "key"
    """A key's public key (PEM)."""
    CERT = "cert"
    """A certificate's public leaf certificate (PEM)."""


# objectFormat and objectEncoding are compared with strings.EqualFold: KeyVaultObject accepts any letter
# case of those two and keeps the member, so a class is always rendered with these spellings.
class ObjectFormat(StrEnum):
    """The file format of a secret (docs/azure-rules.md §objects-format-encoding)."""

    PEM = "pem"
    """PEM (the default)."""
    PFX = "pfx"
    """PKCS#12, for objectType secret only."""


class ObjectEncoding(StrEnum):
    """How a secret's value is encoded in Key Vault (docs/azure-rules.md §objects-format-encoding)."""

    UTF_8 = "utf-8"
    """Text (the default)."""
    HEX = "hex"
    """Hexadecimal."""
    BASE64 = "base64"
    """Base64."""


class KubeloginMode(StrEnum):
    """How kubelogin signs in to an AKS cluster with Entra ID integration (``kubelogin convert-kubeconfig -l``).

    Only the non-interactive modes: ``devicecode`` (what AKS hands out) and ``interactive`` wait for a
    person at a browser, so a deploy would hang (docs/azure-rules.md §aks-entra-kubeconfig).
    """

    AZURECLI = "azurecli"
    """The signed-in Azure CLI (az login)."""
    WORKLOADIDENTITY = "workloadidentity"
    """A federated token: AZURE_FEDERATED_TOKEN_FILE or GitHub Actions OIDC."""
    SPN = "spn"
    """A service principal secret or certificate from AZURE_CLIENT_ID/AZURE_CLIENT_SECRET."""
    MSI = "msi"
    """The managed identity of the Azure machine the deploy runs on."""


class TolerationOperator(StrEnum):
    """How a Pod toleration matches a taint's value (Kubernetes' Toleration.operator)."""

    EQUAL = "Equal"
    """The taint's value equals the toleration's value (Kubernetes' default)."""
    EXISTS = "Exists"
    """Any value of the taint's key (the toleration's value stays empty)."""


class TaintEffect(StrEnum):
    """The taint effect a Pod toleration tolerates (Kubernetes' Toleration.effect; unset: every effect)."""

    NO_SCHEDULE = "NoSchedule"
    """New Pods are not scheduled on the node."""
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    """The scheduler avoids the node."""
    NO_EXECUTE = "NoExecute"
    """Running Pods are evicted (after tolerationSeconds, when set)."""


class PortProtocol(StrEnum):
    """The protocol of a container port (Kubernetes' ContainerPort.protocol)."""

    TCP = "TCP"
    """TCP (Kubernetes' default)."""
    UDP = "UDP"
    """UDP."""
    SCTP = "SCTP"
    """SCTP."""


class RolloutPolicy(StrEnum):
    """When a workload's Pods are replaced (docs/driver.md "Rotation that reaches the app")."""

    ON_CHANGE = "onChange"
    """When what the class mounts or syncs changes: the Deployment's template carries their digest."""
    ON_ROTATION = "onRotation"
    """Also when rotation changes a synced Secret: Stakater Reloader's annotation names them."""
