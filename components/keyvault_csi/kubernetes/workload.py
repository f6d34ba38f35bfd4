"""One workload: its SecretProviderClasses and, optionally, the Pod or Deployment that mounts them, under one component.

A workload reading one vault has one class; one reading several vaults has a class per vault, each
mounted as its own read-only volume (:meth:`keyvault_csi.model.settings.Settings.mounts`). The Pod
waits for its classes, so it is created after them. A Deployment (instead of the Pod) has the same
Pod template, waits for the same things, and carries the digest of what its classes mount on its
template, so a change of what is mounted rolls its Pods.
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
from keyvault_csi.kubernetes.pod import Manifest, pod_metadata, pod_spec, volume_and_mount
from keyvault_csi.kubernetes.secret_provider_class import class_inputs, class_parameters
from keyvault_csi.model.settings import Mount, WorkloadSettings
from keyvault_csi.rules.rollout import objects_digest

TYPE = "keyvault-csi:index:Workload"


class Workload(pulumi.ComponentResource):
    """A workload's ``SecretProviderClass``es and its Pod or Deployment (if any), declared together."""

    classes: dict[str, apiextensions.CustomResource]
    """The classes by vault key; each one's Pulumi name is ``<prefix>-<namespace>-<class>``."""
    class_names: list[str]
    volumes: list[tuple[Manifest, Manifest]]
    """Each class's read-only CSI volume and its container mount (:func:`volume_and_mount`), in class order."""
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
        mounts: Sequence[Mount],
        tenant_id: pulumi.Input[str],
        identity: Mapping[str, Any],
        resource_prefix: str,
        cert_parts: bool | None = False,
        placement: Mapping[str, Any] | None = None,
        service_account_name: pulumi.Input[str] | None = None,
        pod_labels: Mapping[str, str] | None = None,
        class_depends_on: Sequence[pulumi.Resource] = (),
        pod_depends_on: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``mounts``: the workload's classes (one per vault); ``identity``: how each class authenticates,
        ``{"client_id": ...}`` (workload identity; with ``"use_azure_token_proxy": True`` identity binding) or
        ``{"user_assigned_identity_id": ...}`` (the identity on
        the nodes; ``""`` for their system-assigned one); ``cert_parts``: the provider writes a certificate's
        ``.crt``/``.key`` files (``None``: unknown), which ``secretObjects`` may then sync. ``placement``,
        ``service_account_name`` and ``pod_labels`` shape the Pod. The classes wait for ``class_depends_on`` (the
        driver's Helm release, which brings the CRD), the Pod for its classes and ``pod_depends_on`` (grants, node
        assignments, its ServiceAccount and credential)."""
        parameters = [  # every class checked before anything registers
            class_parameters(
                mount.class_name,
                keyvault_name=mount.vault.name,
                tenant_id=tenant_id,
                objects=mount.objects,
                secret_objects=mount.secret_objects,
                cloud_name=mount.cloud_name,
                cloud_env_file_name=workload.cloud_env_file_name or "",
                os=workload.node_os(),
                cert_parts=cert_parts,
                **identity,
            )
            for mount in mounts
        ]
        super().__init__(TYPE, name, None, opts)
        namespace = self.namespace = workload.namespace
        self.class_names = [mount.class_name for mount in mounts]
        self.classes = {
            mount.vault_key: apiextensions.CustomResource(
                f"{resource_prefix}-{namespace}-{mount.class_name}",
                **class_inputs(mount.class_name, namespace, given, mount.secret_objects),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(class_depends_on) or None),
            )
            for mount, given in zip(mounts, parameters, strict=True)
        }
        waits = pulumi.ResourceOptions(parent=self, depends_on=[*self.classes.values(), *pod_depends_on])
        self.pod, self.pod_name, self.deployment, self.deployment_name = None, None, None, None
        template = workload.template
        self.volumes = [
            volume_and_mount(m.class_name, volume_name=m.volume_name, mount_path=m.mount_path) for m in mounts
        ]
        spec = (
            pod_spec(template, self.volumes, placement=placement, service_account_name=service_account_name)
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
            self.deployment = apps.Deployment(
                f"{resource_prefix}-{namespace}-{self.deployment_name}",
                **deployment_inputs(
                    self.deployment_name,
                    namespace,
                    workload.deployment.replicas,
                    spec,
                    _digest(mounts, parameters),
                    labels,
                    pod_annotations=workload.deployment.annotations,
                    annotations=workload.rollout_annotations(),
                ),
                opts=waits,
            )
        outputs: dict[str, Any] = {
            "classNames": self.class_names,
            "namespace": namespace,
            "podName": self.pod_name or "",
        }
        if self.deployment_name is not None:
            outputs["deploymentName"] = self.deployment_name
        self.register_outputs(outputs)

    @property
    def secret_provider_class(self) -> apiextensions.CustomResource:
        """The first class (the only one when the workload reads one vault)."""
        return next(iter(self.classes.values()))


def _digest(mounts: Sequence[Mount], parameters: Sequence[Mapping[str, Any]]) -> pulumi.Input[str]:
    """The digest of what the classes mount and sync (their ``objects`` strings one per line); one rendered
    from Outputs is digested once it resolves. One vault: the digest of its class alone (as before several vaults)."""
    manifests = [s.manifest() for m in mounts for s in m.secret_objects]
    texts = [p["objects"] for p in parameters]
    if any(isinstance(text, pulumi.Output) for text in texts):
        return pulumi.Output.all(*texts).apply(lambda resolved: objects_digest("\n".join(resolved), manifests))
    return objects_digest("\n".join(texts), manifests)
