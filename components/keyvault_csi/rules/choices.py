"""Allowed values of the inputs, once: the settings validate with them, the components type their
arguments with them, and the package schema's descriptions list them (``keyvault_csi.package.generate``)."""

from __future__ import annotations

import enum
from typing import Literal

# Who reads the vault: see the README's "Identity modes".
IdentityType = Literal["userAssigned", "systemAssigned", "kubelet", "workload", "aksAddon"]
# How the vault grants access; auto reads the vault's enableRbacAuthorization.
PermissionModel = Literal["accessPolicy", "rbac", "auto"]
# A node that gets the identity: a VM scale set (one per AKS node pool) or a VM.
NodeKind = Literal["vmss", "vm"]
# Azure environments of the node identity writes (azure-native:environment).
Environment = Literal["public", "usgovernment", "china"]
# Where the Secrets Store CSI driver comes from (docs/driver.md): assumed installed, a Helm release, or the AKS add-on.
DriverInstall = Literal["none", "helm", "aksAddon"]


class KubeloginMode(enum.StrEnum):
    """How kubelogin signs in to an AKS cluster with Entra ID integration (``kubelogin convert-kubeconfig -l``).

    Only the non-interactive modes: ``devicecode`` (what AKS hands out) and ``interactive`` wait for a
    person at a browser, so a deploy would hang (docs/azure-rules.md §aks-entra-kubeconfig).
    """

    AZURECLI = "azurecli"  # the signed-in Azure CLI (az login)
    WORKLOADIDENTITY = "workloadidentity"  # a federated token: AZURE_FEDERATED_TOKEN_FILE or GitHub Actions OIDC
    SPN = "spn"  # a service principal secret or certificate from AZURE_CLIENT_ID/AZURE_CLIENT_SECRET
    MSI = "msi"  # the managed identity of the Azure machine the deploy runs on
