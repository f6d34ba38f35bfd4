"""One workload: its SecretProviderClass and, optionally, the Pod or Deployment that mounts it, under one component.

The Pod names the class through the class resource's own output, so it is created after the
class. A Deployment (instead of the Pod) has the same Pod template, waits for the same things, and
carries the digest of the class's objects on its template, so a change of what is mounted rolls
its Pods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
from pulumi_kubernetes import apiextensions
from pulumi_kubernetes.apps import v1 as apps
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.meta import v1 as meta

from keyvault_csi.kubernetes.deployment import deployment_inputs
from keyvault_csi.kubernetes.pod import pod_metadata, pod_spec
from keyvault_csi.kubernetes.secret_provider_class import class_inputs
from keyvault_csi.model.settings import WorkloadSettings
from keyvault_csi.rules.rollout import objects_digest

TYPE = "keyvault-csi:index:Workload"


class Workload(pulumi.ComponentResource):
    """A workload's ``SecretProviderClass`` and its Pod or Deployment (if any), declared together."""

    secret_provider_class: apiextensions.CustomResource
    """The class; its Pulumi name is ``<prefix>-<namespace>-<class>``."""
    class_name: str
    namespace: str
    pod: core.Pod | None
    """The bare Pod (``pod:``); its Pulumi name is ``<prefix>-<namespace>-<pod>``."""
    pod_name: str | None
    deployment: apps.Deployment | None
    """The Deployment (``deployment:``); its Pulumi name is ``<prefix>-<namespace>-<deployment>``."""
    deployment_name: str | None

    def __init__(
        self,
        name: str,
        workload: WorkloadSettings,
        *,
        class_name: str,
        parameters: Mapping[str, Any],
        resource_prefix: str,
        placement: Mapping[str, Any] | None = None,
        service_account_name: pulumi.Input[str] | None = None,
        pod_labels: Mapping[str, str] | None = None,
        class_depends_on: Sequence[pulumi.Resource] = (),
        pod_depends_on: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``parameters``: the class's ``spec.parameters`` (:func:`~keyvault_csi.kubernetes.secret_provider_class.class_parameters`);
        ``placement``, ``service_account_name`` and ``pod_labels`` shape the Pod; the class waits for
        ``class_depends_on`` (the driver's Helm release, which brings the CRD) and the Pod for its class
        and ``pod_depends_on`` (grants, node assignments, its ServiceAccount and credential)."""
        super().__init__(TYPE, name, None, opts)
        namespace = workload.namespace
        self.class_name, self.namespace = class_name, namespace
        self.secret_provider_class = apiextensions.CustomResource(
            f"{resource_prefix}-{namespace}-{class_name}",
            **class_inputs(class_name, namespace, parameters, workload.secret_objects),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(class_depends_on) or None),
        )
        waits = pulumi.ResourceOptions(parent=self, depends_on=[self.secret_provider_class, *pod_depends_on])
        self.pod, self.pod_name, self.deployment, self.deployment_name = None, None, None, None
        template = workload.template
        spec = (
            pod_spec(template, class_name, placement=placement, service_account_name=service_account_name)
            if template is not None
            else None
        )
        # The user's labels and ours (refused when they overlap: model.settings, model.pod_checks).
        labels = {**(template.labels if template else {}), **(pod_labels or {})}
        if workload.pod is not None and spec is not None:
            self.pod_name = workload.pod_name()
            metadata = pod_metadata(self.pod_name, namespace, labels, workload.pod.annotations)
            self.pod = core.Pod(
                f"{resource_prefix}-{namespace}-{self.pod_name}",
                metadata=cast("meta.ObjectMetaArgsDict", metadata),
                # Kubernetes' own spelling, which the SDK passes through (kubernetes/pod.py).
                spec=cast("core.PodSpecArgsDict", spec),
                opts=waits,
            )
        if workload.deployment is not None and spec is not None:
            self.deployment_name = workload.deployment_name()
            objects = parameters["objects"]
            manifests = [s.manifest() for s in workload.secret_objects]
            # An objects string rendered from Outputs is digested once it resolves.
            digest: pulumi.Input[str] = (
                objects.apply(lambda text: objects_digest(text, manifests))
                if isinstance(objects, pulumi.Output)
                else objects_digest(objects, manifests)
            )
            self.deployment = apps.Deployment(
                f"{resource_prefix}-{namespace}-{self.deployment_name}",
                **deployment_inputs(
                    self.deployment_name,
                    namespace,
                    workload.deployment.replicas,
                    spec,
                    digest,
                    labels,
                    pod_annotations=workload.deployment.annotations,
                    annotations=workload.rollout_annotations(),
                ),
                opts=waits,
            )
        outputs: dict[str, Any] = {"className": class_name, "namespace": namespace, "podName": self.pod_name or ""}
        if self.deployment_name is not None:
            outputs["deploymentName"] = self.deployment_name
        self.register_outputs(outputs)
