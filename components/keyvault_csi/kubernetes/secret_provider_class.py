"""The SecretProviderClass: tells the Secrets Store CSI driver which Key Vault objects to mount, how.

The driver looks the class up by name in the Pod's namespace and hands ``spec.parameters`` to the
Azure provider, which reads them by exact, case-sensitive key and silently ignores unknown ones;
the keys are written once, in :mod:`keyvault_csi.rules.parameters`. The class is declared by its
workload (:class:`keyvault_csi.kubernetes.workload.Workload`); this module builds its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from keyvault_csi.model.outputs import checked, objects_parameter
from keyvault_csi.rules.choices import NodeOS
from keyvault_csi.rules.objects import KeyVaultObject
from keyvault_csi.rules.parameters import CRD_API_VERSION, LATER_CHECKS, provider_parameters
from keyvault_csi.rules.pod import DEFAULT_LABELS
from keyvault_csi.rules.secret_sync import SecretObject, check_sync_sources

KIND = "SecretProviderClass"


def class_parameters(
    class_name: str,
    *,
    keyvault_name: pulumi.Input[str],
    tenant_id: pulumi.Input[str],
    objects: Sequence[KeyVaultObject],
    secret_objects: Sequence[SecretObject] = (),
    user_assigned_identity_id: pulumi.Input[str] | None = None,
    client_id: pulumi.Input[str] | None = None,
    cloud_name: str = "",
    cloud_env_file_name: str = "",
    os: NodeOS = NodeOS.LINUX,
    cert_parts: bool | None = False,
    use_azure_token_proxy: bool = False,
) -> dict[str, Any]:
    """``spec.parameters`` of the class, or ``ValueError``: called before anything is registered.

    Exactly one of ``user_assigned_identity_id`` (the identity on the nodes: its client ID, ``""``
    for the nodes' system-assigned one) or ``client_id`` (workload identity; identity binding with
    ``use_azure_token_proxy``) is given. Values given as Outputs are checked by the same rules when
    they resolve. ``os`` (the node OS of the Pods that mount the class) and ``cert_parts`` (the
    provider writes certificates' ``.crt``/``.key`` files) decide which files ``secret_objects`` may sync.
    """
    parameters = provider_parameters(
        keyvault_name=keyvault_name,
        tenant_id=tenant_id,
        objects=objects,
        user_assigned_identity_id=user_assigned_identity_id,
        client_id=client_id,
        cloud_name=cloud_name,
        cloud_env_file_name=cloud_env_file_name,
        render=objects_parameter,
        use_azure_token_proxy=use_azure_token_proxy,
    )
    for key, check in LATER_CHECKS.items():
        parameters[key] = checked(parameters[key], check, f"SecretProviderClass {class_name!r}")
    check_sync_sources(objects, secret_objects, os=os, cert_parts=cert_parts)
    return parameters


def class_inputs(
    class_name: str,
    namespace: str,
    parameters: Mapping[str, Any],
    secret_objects: Sequence[SecretObject] = (),
) -> dict[str, Any]:
    """The ``SecretProviderClass`` custom resource's inputs (``apiextensions.CustomResource`` keywords)."""
    spec: dict[str, Any] = {"provider": "azure", "parameters": dict(parameters)}
    if secret_objects:
        spec["secretObjects"] = [s.manifest() for s in secret_objects]
    return {
        "api_version": CRD_API_VERSION,
        "kind": KIND,
        "metadata": {"name": class_name, "namespace": namespace, "labels": dict(DEFAULT_LABELS)},
        "spec": spec,
    }
