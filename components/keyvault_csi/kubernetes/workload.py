"""One workload: its SecretProviderClass and, optionally, the Pod that mounts it, under one component.

Each workload of :class:`keyvault_csi.AksKeyVaultSecrets` is one ``Workload``: the class and the
Pod are its direct children (3 registrations a workload instead of a component each). The Pod
names the class through the class resource's own output, so it is created after the class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_kubernetes import apiextensions
from pulumi_kubernetes.core import v1 as core

from keyvault_csi.kubernetes.pod import SecretsStorePodArgs, check_pod, declare_pod
from keyvault_csi.kubernetes.secret_provider_class import (
    SecretProviderClassArgs,
    check_secret_provider_class,
    declare_secret_provider_class,
)

TYPE = "keyvault-csi:index:Workload"


class WorkloadArgs(TypedDict):
    secretProviderClass: SecretProviderClassArgs
    pod: NotRequired[SecretsStorePodArgs]
    """The Pod; its ``secretProviderClass`` is ignored (the workload's own class is mounted)."""
    podDependsOn: NotRequired[Sequence[pulumi.Resource]]
    """What the Pod waits for besides the class: Key Vault grants, node assignments, service accounts."""
    classResourceName: NotRequired[str]
    """Pulumi name of the class resource; default ``<name>-class``."""
    podResourceName: NotRequired[str]
    """Pulumi name of the Pod resource; default ``<name>-pod``."""


class Workload(pulumi.ComponentResource):
    """A workload's ``SecretProviderClass`` and its Pod (if any), declared together."""

    class_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    secret_provider_class: apiextensions.CustomResource
    pod: core.Pod | None
    pod_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        class_args = args["secretProviderClass"]
        # Both checked before the component registers: a bad argument declares nothing.
        parameters = check_secret_provider_class(class_args)
        pod = check_pod(args["pod"]) if "pod" in args else None
        super().__init__(TYPE, name, None, opts)
        self.secret_provider_class = declare_secret_provider_class(
            args.get("classResourceName") or f"{name}-class", class_args, parameters, self
        )
        self.class_name = self.secret_provider_class.metadata.apply(lambda metadata: metadata["name"])
        self.namespace = self.secret_provider_class.metadata.apply(lambda metadata: metadata["namespace"])
        self.pod, self.pod_name = None, None
        if pod is not None:
            self.pod = declare_pod(
                args.get("podResourceName") or f"{name}-pod", pod, self.class_name, self, args.get("podDependsOn", ())
            )
            self.pod_name = self.pod.metadata.apply(lambda metadata: metadata.name)
        self.register_outputs(
            {"className": self.class_name, "namespace": self.namespace, "podName": self.pod_name or ""}
        )
