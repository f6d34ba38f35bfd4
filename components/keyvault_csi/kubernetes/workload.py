"""One workload: its SecretProviderClass and, optionally, the Pod or Deployment that mounts it, under one component.

Each workload of :class:`keyvault_csi.AksKeyVaultSecrets` is one ``Workload``: the class and the
Pod are its direct children (3 registrations a workload instead of a component each). The Pod
names the class through the class resource's own output, so it is created after the class. A
Deployment (instead of the Pod) has the same Pod template, waits for the same things, and carries
the digest of the class's objects on its template, so a change of what is mounted rolls its Pods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NotRequired, TypedDict

import pulumi
from pulumi_kubernetes import apiextensions
from pulumi_kubernetes.core import v1 as core

from keyvault_csi.kubernetes.deployment import SecretsStoreDeploymentArgs, check_replicas, deployment_inputs
from keyvault_csi.kubernetes.pod import WorkloadPodArgs, check_pod, pod_metadata, pod_options, pod_spec
from keyvault_csi.kubernetes.secret_provider_class import (
    SecretProviderClassArgs,
    check_secret_provider_class,
    secret_provider_class_inputs,
)
from keyvault_csi.rules.rollout import objects_digest

if TYPE_CHECKING:
    from pulumi_kubernetes.apps import v1 as apps

TYPE = "keyvault-csi:index:Workload"


class WorkloadArgs(TypedDict):
    secretProviderClass: SecretProviderClassArgs
    pod: NotRequired[WorkloadPodArgs]
    """The Pod, which mounts the workload's own class."""
    deployment: NotRequired[SecretsStoreDeploymentArgs]
    """A Deployment instead of the Pod (not both), mounting the same class."""
    podDependsOn: NotRequired[Sequence[pulumi.Resource]]
    """What the Pod (or Deployment) waits for besides the class: Key Vault grants, node assignments, service accounts."""
    classDependsOn: NotRequired[Sequence[pulumi.Resource]]
    """What the class waits for: the driver's Helm release, which brings the SecretProviderClass CRD."""
    classResourceName: NotRequired[str]
    """Pulumi name of the class resource; default ``<name>-class``."""
    podResourceName: NotRequired[str]
    """Pulumi name of the Pod resource; default ``<name>-pod``."""


class Workload(pulumi.ComponentResource):
    """A workload's ``SecretProviderClass`` and its Pod (if any), declared together."""

    # Attributes are annotated in __init__: class annotations cost every instance (docs/azure-rules.md §pulumi-class-annotations).

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        class_args = args["secretProviderClass"]
        # Both checked before the component registers: a bad argument declares nothing.
        parameters = check_secret_provider_class(class_args)
        pod = check_pod(args["pod"]) if "pod" in args else None
        if "pod" in args and "deployment" in args:
            raise ValueError("set pod or deployment, not both")
        deployment = check_pod(args["deployment"]) if "deployment" in args else None
        replicas = check_replicas(args["deployment"]) if "deployment" in args else 0
        super().__init__(TYPE, name, None, opts)
        # The children are declared in this frame, not in helpers: Pulumi records every frame above
        # each registration (docs/azure-rules.md §pulumi-stack-traces).
        self.secret_provider_class = apiextensions.CustomResource(
            args.get("classResourceName") or f"{name}-class",
            **secret_provider_class_inputs(class_args, parameters),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.get("classDependsOn", ())) or None),
        )
        # Names are plain (checked above); the Pods wait for the class through depends_on.
        self.class_name: str
        self.namespace: str
        self.class_name, self.namespace = class_args["className"], class_args["namespace"]
        waits = [self.secret_provider_class, *args.get("podDependsOn", ())]
        self.pod: core.Pod | None = None
        self.pod_name: str | None = None
        if pod is not None:
            self.pod = core.Pod(
                args.get("podResourceName") or f"{name}-pod",
                metadata=pod_metadata(pod.args),
                spec=pod_spec(pod, self.class_name),
                opts=pod_options(self, pod.args, waits),
            )
            self.pod_name = pod.args["podName"]
        self.deployment: apps.Deployment | None = None
        self.deployment_name: str | None = None
        if deployment is not None:
            manifests = [s.manifest() for s in class_args.get("secretObjects", ())]
            objects = parameters["objects"]
            # An objects string rendered from Outputs is digested once it resolves.
            digest: pulumi.Input[str] = (
                objects.apply(lambda text: objects_digest(text, manifests))
                if isinstance(objects, pulumi.Output)
                else objects_digest(objects, manifests)
            )
            from pulumi_kubernetes.apps import v1 as apps  # loaded for Deployments only: 40 ms, 6,000 objects

            self.deployment = apps.Deployment(
                args.get("podResourceName") or f"{name}-deployment",
                **deployment_inputs(deployment, replicas, self.class_name, digest),
                opts=pod_options(self, deployment.args, waits),
            )
            self.deployment_name = deployment.args["podName"]
        outputs = {"className": self.class_name, "namespace": self.namespace, "podName": self.pod_name or ""}
        if self.deployment_name is not None:
            outputs["deploymentName"] = self.deployment_name
        self.register_outputs(outputs)
