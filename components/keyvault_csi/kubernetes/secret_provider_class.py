"""The SecretProviderClass: tells the Secrets Store CSI driver which Key Vault objects to mount, how.

The driver looks the class up by name in the Pod's namespace and hands ``spec.parameters`` to the
Azure provider, which reads them by exact, case-sensitive key and silently ignores unknown ones.
So the keys are written here once, from the provider's own spelling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_kubernetes import apiextensions

from keyvault_csi.outputs import checked, objects_parameter
from keyvault_csi.rules.objects import KeyVaultObject
from keyvault_csi.rules.parameters import CRD_API_VERSION, LATER_CHECKS, provider_parameters
from keyvault_csi.rules.secret_sync import SecretObject, check_sync_sources

TYPE = "keyvault-csi:index:SecretProviderClass"
API_VERSION = CRD_API_VERSION
DEFAULT_LABELS: Mapping[str, str] = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "keyvault-csi",
}


class SecretProviderClassArgs(TypedDict):
    """Arguments of :class:`SecretProviderClass` (camelCase, as in a stack's config)."""

    namespace: str
    className: str
    keyvaultName: pulumi.Input[str]
    tenantId: pulumi.Input[str]
    objects: Sequence[KeyVaultObject]
    """Objects whose objectName/objectVersion are Outputs are rendered once those resolve."""
    userAssignedIdentityId: NotRequired[pulumi.Input[str]]
    clientId: NotRequired[pulumi.Input[str]]
    cloudName: NotRequired[str]
    cloudEnvFileName: NotRequired[str]
    labels: NotRequired[Mapping[str, str]]
    secretObjects: NotRequired[Sequence[SecretObject]]
    """Kubernetes Secrets the driver syncs from the mounted files while a Pod mounts the class."""


def check_secret_provider_class(args: SecretProviderClassArgs) -> dict[str, Any]:
    """``spec.parameters`` for ``args``, or ``ValueError``: called before anything is registered."""
    parameters = provider_parameters(
        keyvault_name=args["keyvaultName"],
        tenant_id=args["tenantId"],
        objects=args["objects"],
        user_assigned_identity_id=args.get("userAssignedIdentityId"),
        client_id=args.get("clientId"),
        cloud_name=args.get("cloudName") or "",
        cloud_env_file_name=args.get("cloudEnvFileName") or "",
        render=objects_parameter,
    )
    # Outputs are checked by the same rules when they resolve.
    for key, check in LATER_CHECKS.items():
        parameters[key] = checked(parameters[key], check, f"SecretProviderClass {args['className']!r}")
    check_sync_sources(args["objects"], args.get("secretObjects", ()))
    return parameters


def secret_provider_class_inputs(args: SecretProviderClassArgs, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The ``SecretProviderClass`` custom resource's inputs (``apiextensions.CustomResource`` keywords).

    Its callers declare the resource themselves, as a child with only parent and the explicit
    dependencies: the component's own options (e.g. depends_on) must not be copied down.
    """
    return {
        "api_version": API_VERSION,
        "kind": "SecretProviderClass",
        "metadata": {
            "name": args["className"],
            "namespace": args["namespace"],
            "labels": {**DEFAULT_LABELS, **args.get("labels", {})},
        },
        "spec": {
            "provider": "azure",
            "parameters": dict(parameters),
            **({"secretObjects": [s.manifest() for s in args["secretObjects"]]} if args.get("secretObjects") else {}),
        },
    }


class SecretProviderClass(pulumi.ComponentResource):
    """Declares one ``secrets-store.csi.x-k8s.io/v1`` SecretProviderClass in the Pods' namespace.

    It is the object a Pod's CSI volume names in ``volumeAttributes.secretProviderClass``: the
    driver reads it at mount time and the Azure provider fetches the listed Key Vault objects with
    the identity its parameters select. ``class_name`` carries a dependency on the class, so a Pod
    built from it is created after the class.
    """

    def __init__(self, name: str, args: SecretProviderClassArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        parameters = check_secret_provider_class(args)  # bad arguments fail before anything is registered
        super().__init__(TYPE, name, None, opts)
        self.resource = apiextensions.CustomResource(
            name, **secret_provider_class_inputs(args, parameters), opts=pulumi.ResourceOptions(parent=self)
        )
        # CustomResource declares its fields dynamically; the metadata we gave comes back as a dict.
        metadata: pulumi.Output[dict[str, str]] = self.resource.metadata  # type: ignore[attr-defined]  # dynamic attribute
        self.class_name: pulumi.Output[str] = metadata.apply(lambda m: m["name"])
        self.namespace: pulumi.Output[str] = metadata.apply(lambda m: m["namespace"])
        self.register_outputs({"className": self.class_name, "namespace": self.namespace})
