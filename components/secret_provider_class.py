"""The SecretProviderClass: tells the Secrets Store CSI driver which Key Vault objects to mount, how.

The driver looks the class up by name in the Pod's namespace and hands ``spec.parameters`` to the
Azure provider, which reads them by exact, case-sensitive key and silently ignores unknown ones.
So the keys are written here once, from the provider's own spelling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_kubernetes import apiextensions

from .naming import CLOUD_NAMES, KEY_VAULT_NAME
from .objects import KeyVaultObject, render_objects
from .secret_sync import SecretObject, check_sync_sources

TYPE = "keyvault-csi:index:SecretProviderClass"
API_VERSION = "secrets-store.csi.x-k8s.io/v1"
DEFAULT_LABELS: Mapping[str, str] = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "keyvault-csi"}


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _check_common(keyvault_name: str, tenant_id: str, cloud_name: str, cloud_env_file_name: str) -> None:
    if not KEY_VAULT_NAME.match(keyvault_name) or "--" in keyvault_name:
        raise ValueError(
            f"keyvaultName {keyvault_name!r} is not a Key Vault name; allowed: 3-24 letters, digits and '-', "
            "starting with a letter, ending with a letter or digit, no '--'"
        )
    if not tenant_id.strip():
        raise ValueError("tenantID must not be empty; give the tenant ID of the Key Vault")
    if cloud_name and cloud_name.lower() not in {c.lower() for c in CLOUD_NAMES}:
        raise ValueError(f"cloudName {cloud_name!r} is not allowed; use \"\" (AzurePublicCloud) or one of: {', '.join(CLOUD_NAMES)}")
    if cloud_name.lower() == "azurestackcloud" and not cloud_env_file_name:
        raise ValueError("cloudName 'AzureStackCloud' needs cloudEnvFileName: the path of the Azure Stack environment file on the nodes")


def _check_client_id(key: str, value: pulumi.Input[str]) -> None:
    # Outputs are only known at deploy time; plain strings are checked for the common mix-ups.
    if isinstance(value, str) and value.startswith("/"):
        raise ValueError(f"{key} {value!r} looks like a resource ID; give the identity's client ID (a GUID)")


def _vm_identity(user_assigned_identity_id: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    _check_client_id("userAssignedIdentityId", user_assigned_identity_id)
    return {
        "usePodIdentity": _flag(False),
        "useVMManagedIdentity": _flag(True),
        # Exactly "...ID": the misspelt "...Id" is ignored, and nodes with several identities then fail.
        "userAssignedIdentityID": user_assigned_identity_id,
    }


def _workload_identity(client_id: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    if client_id == "":
        raise ValueError("clientId must not be empty in workload identity mode; give the federated identity's client ID")
    _check_client_id("clientId", client_id)
    # clientID only with useVMManagedIdentity "false": with "true" the provider would look for a
    # service-account token and fail.
    return {"clientID": client_id, "usePodIdentity": _flag(False), "useVMManagedIdentity": _flag(False)}


def provider_parameters(
    *,
    keyvault_name: str,
    tenant_id: str,
    objects: Sequence[KeyVaultObject],
    user_assigned_identity_id: pulumi.Input[str] | None = None,
    client_id: pulumi.Input[str] | None = None,
    cloud_name: str = "",
    cloud_env_file_name: str = "",
) -> dict[str, pulumi.Input[str]]:
    """``spec.parameters`` for the Azure provider, in one of its two identity modes.

    ``user_assigned_identity_id``: VM managed identity mode, the client ID of a user-assigned
    identity on the nodes, or ``""`` for the nodes' system-assigned identity.
    ``client_id``: workload identity mode, the client ID federated with the Pod's service account.
    Exactly one of the two is given. ``cloud_env_file_name`` is the environment file on the nodes
    that ``AzureStackCloud`` reads. Every value is a string, as the CRD requires.
    """
    if user_assigned_identity_id is not None and client_id is None:
        parameters = _vm_identity(user_assigned_identity_id)
    elif client_id is not None and user_assigned_identity_id is None:
        parameters = _workload_identity(client_id)
    else:
        raise ValueError("give exactly one of userAssignedIdentityId (VM managed identity) or clientId (workload identity)")
    _check_common(keyvault_name, tenant_id, cloud_name, cloud_env_file_name)
    # tenantID, never the deprecated tenantId that the seeds still show.
    parameters |= {"keyvaultName": keyvault_name, "tenantID": tenant_id, "objects": render_objects(objects)}
    if cloud_name:
        parameters["cloudName"] = cloud_name
    if cloud_env_file_name:
        parameters["cloudEnvFileName"] = cloud_env_file_name
    return parameters


class SecretProviderClassArgs(TypedDict):
    """Arguments of :class:`SecretProviderClass` (camelCase, as in a stack's config)."""

    namespace: str
    className: str
    keyvaultName: str
    tenantId: str
    objects: Sequence[KeyVaultObject]
    userAssignedIdentityId: NotRequired[pulumi.Input[str]]
    clientId: NotRequired[pulumi.Input[str]]
    cloudName: NotRequired[str]
    cloudEnvFileName: NotRequired[str]
    labels: NotRequired[Mapping[str, str]]
    secretObjects: NotRequired[Sequence[SecretObject]]
    """Kubernetes Secrets the driver syncs from the mounted files while a Pod mounts the class."""


class SecretProviderClass(pulumi.ComponentResource):
    """Declares one ``secrets-store.csi.x-k8s.io/v1`` SecretProviderClass in the Pods' namespace.

    It is the object a Pod's CSI volume names in ``volumeAttributes.secretProviderClass``: the
    driver reads it at mount time and the Azure provider fetches the listed Key Vault objects with
    the identity its parameters select. ``class_name`` carries a dependency on the class, so a Pod
    built from it is created after the class.
    """

    class_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    resource: apiextensions.CustomResource

    def __init__(self, name: str, args: SecretProviderClassArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Checked first, so bad arguments fail before anything is registered.
        parameters = provider_parameters(
            keyvault_name=args["keyvaultName"],
            tenant_id=args["tenantId"],
            objects=args["objects"],
            user_assigned_identity_id=args.get("userAssignedIdentityId"),
            client_id=args.get("clientId"),
            cloud_name=args.get("cloudName") or "",
            cloud_env_file_name=args.get("cloudEnvFileName") or "",
        )
        check_sync_sources(args["objects"], args.get("secretObjects", ()))
        super().__init__(TYPE, name, None, opts)
        self.resource = apiextensions.CustomResource(
            name,
            api_version=API_VERSION,
            kind="SecretProviderClass",
            metadata={
                "name": args["className"],
                "namespace": args["namespace"],
                "labels": {**DEFAULT_LABELS, **args.get("labels", {})},
            },
            spec={
                "provider": "azure",
                "parameters": parameters,
                **({"secretObjects": [s.manifest() for s in args["secretObjects"]]} if args.get("secretObjects") else {}),
            },
            # Only parent: the component's own options (e.g. depends_on) must not be copied down.
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.class_name = self.resource.metadata.apply(lambda metadata: metadata["name"])
        self.namespace = self.resource.metadata.apply(lambda metadata: metadata["namespace"])
        self.register_outputs({"className": self.class_name, "namespace": self.namespace})
