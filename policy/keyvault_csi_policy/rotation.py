"""Advisory: synced Secrets in a stack whose CSI driver does not rotate (docs/azure-rules.md §driver-rotation).

Without rotation the driver writes a class's files and its synced Secrets (``secretObjects``) once, at
the first mount; a Secret changed in Key Vault reaches neither the Secret nor a running Pod. The
pack sees the driver when the stack declares it: a Helm release of the Azure provider's chart or of
the driver's own chart (``kubernetes:helm.sh/v3:Release``, ``helm.sh/v4:Chart``), or an AKS managed
cluster with the ``azureKeyvaultSecretsProvider`` add-on. A stack that declares none (a driver
installed elsewhere) is not judged; neither is one whose rotation setting is not known yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, StackValidationArgs, StackValidationPolicy

from ._props import UNKNOWN, dig, known_str, plain
from ._shared import addon_profile, addon_rotates, chart_rotates
from .secret_provider_class import class_label, is_secret_provider_class

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
MANAGED_CLUSTER = "azure-native:containerservice:ManagedCluster"


def driver_rotation(resource: PolicyResource) -> tuple[str, Any] | None:
    """(the driver, whether it rotates: True, False or UNKNOWN) for a resource that runs the driver, else None."""
    props = plain(resource.props)
    if resource.resource_type in HELM_TYPES:
        chart, values = props.get("chart"), props.get("values")
        if not isinstance(chart, str) or chart_rotates(chart, {}) is None:
            return None  # another chart
        label = f"Helm chart {chart} ({resource.name})"
        if values is UNKNOWN or any(v is UNKNOWN for v in _leaves(values)):
            return label, UNKNOWN
        return label, chart_rotates(chart, values if isinstance(values, Mapping) else {})
    if resource.resource_type == MANAGED_CLUSTER:
        profiles = props.get("addonProfiles")
        profile = addon_profile(profiles) if isinstance(profiles, Mapping) else None
        if not isinstance(profile, Mapping) or profile.get("enabled") is not True:
            return None
        config = profile.get("config")
        known = config is not UNKNOWN and all(v is not UNKNOWN for v in _leaves(config))
        rotates = addon_rotates(config if isinstance(config, Mapping) else None) if known else UNKNOWN
        return (
            f"AKS add-on azureKeyvaultSecretsProvider of {known_str(props.get('resourceName')) or resource.name}",
            rotates,
        )
    return None


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    else:
        yield value


def _validate(args: StackValidationArgs, report_violation) -> None:
    drivers = [found for found in map(driver_rotation, args.resources) if found is not None]
    if not drivers or any(rotates is not False for _, rotates in drivers):
        return  # no driver in this stack, one that rotates, or one not known yet
    names = ", ".join(sorted(name for name, _ in drivers))
    for resource in args.resources:
        props = plain(resource.props)
        if not is_secret_provider_class(resource.resource_type, props):
            continue
        synced = dig(props, "spec", "secretObjects")
        if not isinstance(synced, list) or not synced:
            continue
        secrets = sorted(filter(None, (known_str(dig(s, "secretName")) for s in synced)))
        report_violation(
            f"SecretProviderClass {class_label(props, resource.name)} syncs the Secrets {', '.join(secrets) or '?'} "
            f"but the driver ({names}) does not rotate: a value changed in Key Vault never reaches the Secrets or "
            "running Pods (the driver writes them once per mount); fix: turn rotation on (chart value "
            "secrets-store-csi-driver.enableSecretRotation, add-on --enable-secret-rotation; keyvault-csi: "
            "driver.rotation: {enabled: true}), and restart Pods that read them as environment variables "
            "(keyvault-csi: workloads[].rollout: onRotation)",
            resource.urn,
        )


POLICY = StackValidationPolicy(
    name="secret-sync-needs-rotation",
    description=(
        "Advisory: SecretProviderClasses that sync Secrets (secretObjects) in a stack whose Secrets Store CSI "
        "driver (Helm release or AKS add-on) has rotation off, so Key Vault changes never reach them."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.ADVISORY,
)
