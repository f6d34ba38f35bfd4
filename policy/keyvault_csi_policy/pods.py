"""Pods (and pod templates) that mount the Secrets Store CSI driver: read-only, class in their namespace.

The driver rejects a writable request and looks the class up in the Pod's own namespace; both
mistakes show only as a ``FailedMount`` event on a Pod stuck in ``ContainerCreating``
(docs/azure-rules.md §pod-failed-mount).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import UNKNOWN, dig, known_str, plain, string_list_config
from ._shared import CSI_DRIVER
from .secret_provider_class import is_secret_provider_class

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: Mapping[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:PodTemplate": ("template", "spec"),
    "kubernetes:core/v1:ReplicationController": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = POD_SPEC_PATHS.get(resource_type)
    spec = dig(props, *path) if path else None
    return spec if isinstance(spec, Mapping) else None


def csi_volumes(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    volumes = spec.get("volumes")
    for volume in volumes if isinstance(volumes, list) else []:
        if isinstance(volume, Mapping) and dig(volume, "csi", "driver") == CSI_DRIVER:
            yield volume


def mount_problems(spec: Mapping[str, Any]) -> list[str]:
    found = []
    for volume in csi_volumes(spec):
        name = volume.get("name")
        read_only = dig(volume, "csi", "readOnly")
        if read_only is not True and read_only is not UNKNOWN:
            found.append(
                f"volume {name!r} (driver {CSI_DRIVER}) is not csi.readOnly: true; "
                "fix: set csi.readOnly: true (the driver rejects writable requests)"
            )
        class_name = dig(volume, "csi", "volumeAttributes", "secretProviderClass")
        if class_name is None or class_name == "":
            found.append(f"volume {name!r} names no class; fix: set csi.volumeAttributes.secretProviderClass")
        for kind in _CONTAINER_LISTS:
            containers = spec.get(kind)
            for container in containers if isinstance(containers, list) else []:
                mounts = container.get("volumeMounts") if isinstance(container, Mapping) else None
                for mount in mounts if isinstance(mounts, list) else []:
                    if (
                        isinstance(mount, Mapping)
                        and mount.get("name") == name
                        and mount.get("readOnly") not in (True, UNKNOWN)
                    ):
                        found.append(
                            f"{kind[:-1]} {container.get('name')!r} mounts {name!r} "
                            f"at {mount.get('mountPath')!r} without readOnly: true; fix: set readOnly: true on that "
                            "volumeMount"
                        )
    return found


def workload_label(resource_type: str, props: Mapping[str, Any], fallback: str, namespace: str) -> str:
    kind = resource_type.rsplit(":", 1)[-1]
    return f"{kind} {namespace}/{known_str(dig(props, 'metadata', 'name')) or fallback}"


def _namespace(props: Mapping[str, Any], provider_props: Mapping[str, Any] | None) -> str:
    # Unset: the Kubernetes provider's namespace, else "default".
    return (
        known_str(dig(props, "metadata", "namespace"))
        or known_str((provider_props or {}).get("namespace"))
        or "default"
    )


def _pod_workload(
    resource: ResourceValidationArgs | PolicyResource,
) -> tuple[Mapping[str, Any], Mapping[str, Any], str] | None:
    """(props, pod spec, namespace) of a resource that carries a pod spec, else None."""
    if resource.resource_type not in POD_SPEC_PATHS:
        return None
    props = plain(resource.props)
    spec = pod_spec(resource.resource_type, props)
    if spec is None:
        return None
    return props, spec, _namespace(props, _provider_props(resource))


def _validate_read_only(args: ResourceValidationArgs, report_violation) -> None:
    workload = _pod_workload(args)
    if workload is None:
        return
    props, spec, namespace = workload
    label = workload_label(args.resource_type, props, args.name, namespace)
    for problem in mount_problems(spec):
        report_violation(f"{label}: {problem}", None)


def declared_classes(resources: Iterable[PolicyResource]) -> set[tuple[str, str]]:
    classes = set()
    for resource in resources:
        props = plain(resource.props)
        if is_secret_provider_class(resource.resource_type, props):
            name = known_str(dig(props, "metadata", "name"))
            if name:
                classes.add((_namespace(props, _provider_props(resource)), name))
    return classes


def _provider_props(resource: ResourceValidationArgs | PolicyResource) -> Mapping[str, Any] | None:
    return plain(resource.provider.props) if resource.provider is not None else None


def _validate_class_in_namespace(args: StackValidationArgs, report_violation) -> None:
    classes = declared_classes(args.resources)
    external = {str(entry) for entry in args.get_config().get("externalClasses") or []}
    for resource in args.resources:
        workload = _pod_workload(resource)
        if workload is None:
            continue
        props, spec, namespace = workload
        for volume in csi_volumes(spec):
            name = known_str(dig(volume, "csi", "volumeAttributes", "secretProviderClass"))
            if not name or (namespace, name) in classes or f"{namespace}/{name}" in external:
                continue
            elsewhere = sorted(ns for ns, cls in classes if cls == name)
            where = f" (it is declared in {', '.join(elsewhere)})" if elsewhere else ""
            report_violation(
                f"{workload_label(resource.resource_type, props, resource.name, namespace)} mounts SecretProviderClass "
                f"{name!r}, which this stack does not declare in namespace {namespace!r}{where}; the driver looks it "
                f"up in the Pod's namespace; fix: declare the class in {namespace!r}, or, if another stack manages it, "
                f"add '{namespace}/{name}' to this policy's externalClasses config",
                resource.urn,
            )


READ_ONLY_POLICY = ResourceValidationPolicy(
    name="secrets-store-mount-read-only",
    description=(
        "Pods and pod templates mount secrets-store.csi.k8s.io volumes with csi.readOnly: true "
        "and read-only volumeMounts."
    ),
    validate=_validate_read_only,
    enforcement_level=EnforcementLevel.MANDATORY,
)
CLASS_IN_NAMESPACE_POLICY = StackValidationPolicy(
    name="secrets-store-class-in-pod-namespace",
    description="The SecretProviderClass a Pod mounts is declared in the Pod's namespace.",
    validate=_validate_class_in_namespace,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=string_list_config(
        "externalClasses", [], "'namespace/name' of classes another stack or tool manages."
    ),
)
