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


# The Key Vault object fields of the ``objects`` parameter (docs/azure-rules.md §objects-type,
# §objects-format-encoding). The provider compares objectType exactly, objectFormat and
# objectEncoding with strings.EqualFold: KeyVaultObject accepts any letter case of those two and
# keeps the member, so a class is always rendered with these spellings.
class ObjectType(enum.StrEnum):
    SECRET = "secret"
    KEY = "key"
    CERT = "cert"


class ObjectFormat(enum.StrEnum):
    PEM = "pem"
    PFX = "pfx"


class ObjectEncoding(enum.StrEnum):
    UTF_8 = "utf-8"
    HEX = "hex"
    BASE64 = "base64"
