"""Where the Secrets Store CSI driver and its Azure provider come from (docs/azure-rules.md §driver-addon, §driver-helm).

Pure rules, no Pulumi: the Helm chart's identity and values, Go durations for the rotation poll
interval, and the check of a managed cluster's ``azureKeyvaultSecretsProvider`` add-on profile.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from keyvault_csi.rules.choices import DriverInstall

# The Azure provider's chart bundles the driver chart as dependency "secrets-store-csi-driver"
# (chart 1.8.2 bundles driver chart 1.5.6; keys below read from its values.yaml at tag v1.8.2).
CHART = "csi-secrets-store-provider-azure"
CHART_VERSION = "1.8.2"
CHART_REPOSITORY = "https://azure.github.io/secrets-store-csi-driver-provider-azure/charts"
NAMESPACE = "kube-system"
RELEASE_NAME = "csi-secrets-store-provider-azure"
DRIVER = "secrets-store-csi-driver"  # the dependency's values key
DEFAULT_POLL_INTERVAL = "2m"  # chart default and the add-on's default

ADDON = "azureKeyvaultSecretsProvider"
ADDON_CLI = "azure-keyvault-secrets-provider"

# The provider's certificate flags: chart values, the chart's and the provider's defaults, and what the
# AKS add-on runs with (docs/azure-rules.md §driver-certificates). The chart passes each flag only when
# its value is true, so constructPEMChain false leaves the provider's default, true.
CONSTRUCT_PEM_CHAIN = "constructPEMChain"
WRITE_CERT_AND_KEY = "writeCertAndKeyInSeparateFiles"
CHART_WRITES_CERT_AND_KEY = False
ADDON_WRITES_CERT_AND_KEY = True
ADDON_CERTIFICATES = (
    "the AKS add-on runs the provider with --construct-pem-chain=true and --write-cert-and-key-in-separate-files=true "
    "and has no setting to change them"
)
CONSTRUCT_PEM_CHAIN_FALSE = (
    "false cannot be set: the chart passes --construct-pem-chain only when constructPEMChain is true, and the "
    "provider's default is true"
)

# Go's time.ParseDuration units; the driver parses rotationPollInterval with it.
_GO_DURATION = re.compile(
    r"^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))*$"
)
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(text: str) -> float:
    """Seconds of a Go duration such as ``2m`` or ``1h30m``; ``ValueError`` for anything else."""
    if not _GO_DURATION.match(text):
        raise ValueError(f"{text!r} is not a Go duration; use a number with a unit (s, m, h), e.g. '2m' or '90s'")
    return sum(float(number) * _SECONDS[unit] for number, unit in _PART.findall(text))


def helm_values(
    *,
    sync_secret: bool,
    rotation: bool,
    poll_interval: str | None,
    windows: bool,
    extra: Mapping[str, Any] | None = None,
    construct_pem_chain: bool | None = None,
    write_cert_and_key: bool | None = None,
) -> dict[str, Any]:
    """The chart values the stack needs, over the user's ``extra`` values (deep-merged; ours win).

    The certificate flags are written only when given (unset: the chart's defaults)."""
    ours: dict[str, Any] = {
        "windows": {"enabled": windows},
        DRIVER: {
            "syncSecret": {"enabled": sync_secret},
            "enableSecretRotation": rotation,
            "windows": {"enabled": windows},
        },
    }
    if rotation:
        ours[DRIVER]["rotationPollInterval"] = poll_interval or DEFAULT_POLL_INTERVAL
    for key, flag in ((CONSTRUCT_PEM_CHAIN, construct_pem_chain), (WRITE_CERT_AND_KEY, write_cert_and_key)):
        if flag is not None:
            ours[key] = flag
    return _merge(copy.deepcopy(dict(extra or {})), ours)


def managed_value_paths() -> list[str]:
    """Dotted value paths keyvault-csi sets itself: ``driver.values`` must not set them."""
    return _paths(
        helm_values(
            sync_secret=True,
            rotation=True,
            poll_interval=None,
            windows=True,
            construct_pem_chain=True,
            write_cert_and_key=True,
        )
    )


def writes_cert_and_key(install: DriverInstall, setting: bool | None, addon_identity: bool) -> bool | None:
    """Whether the provider writes ``<file>.crt`` and ``<file>.key`` beside a certificate's secret object.

    ``install`` helm: ``setting``, else the chart's default (false); aksAddon: always; none: unknown (``None``),
    unless the identity is the add-on's (``addon_identity``), which runs only with the add-on's provider.
    """
    if install == DriverInstall.HELM:
        return CHART_WRITES_CERT_AND_KEY if setting is None else setting
    if install == DriverInstall.AKS_ADDON or addon_identity:
        return ADDON_WRITES_CERT_AND_KEY
    return None


def value_conflicts(extra: Mapping[str, Any]) -> list[str]:
    """Dotted paths of ``extra`` that keyvault-csi sets from its own keys."""
    given = set(_paths(extra))
    return [p for p in managed_value_paths() if p in given or any(p.startswith(g + ".") for g in given)]


def _paths(values: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        out += _paths(value, path + ".") if isinstance(value, Mapping) else [path]
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            base[key] = _merge(dict(base[key]), value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def addon_profile(profiles: Mapping[str, Any] | None) -> Any:
    """The ``azureKeyvaultSecretsProvider`` add-on profile, or ``None`` (AKS varies the key's case)."""
    for key, profile in (profiles or {}).items():
        if key.lower() == ADDON.lower():
            return profile
    return None


def enable_addon_fix(resource_group: str, cluster: str) -> str:
    return f"az aks enable-addons --addons {ADDON_CLI} -g {resource_group} -n {cluster}"


def addon_problem(
    enabled: bool,
    config: Mapping[str, str] | None,
    *,
    resource_group: str,
    cluster: str,
    rotation: bool | None,
    poll_interval: str | None,
) -> str | None:
    """What is wrong with the cluster's add-on against what the stack asks, with the fix; ``None`` if fine.

    ``rotation`` ``None``: the stack asks nothing about rotation.
    """
    where = f"AKS cluster {resource_group}/{cluster}"
    if not enabled:
        return (
            f"{where} does not run the {ADDON_CLI} add-on (addonProfiles.{ADDON} missing or disabled), so no "
            f"Secrets Store CSI driver mounts the classes; enable it: {enable_addon_fix(resource_group, cluster)}"
        )
    if rotation is None:
        return None
    config = config or {}
    actual = str(config.get("enableSecretRotation", "false")).strip().lower() == "true"
    actual_interval = str(config.get("rotationPollInterval") or DEFAULT_POLL_INTERVAL)
    update = f"az aks addon update --addon {ADDON_CLI} -g {resource_group} -n {cluster}"
    if actual != rotation:
        if rotation:
            return (
                f"{where}: the add-on has secret rotation off (config.enableSecretRotation "
                f"{config.get('enableSecretRotation', 'unset')!r}) but driver.rotation.enabled is true; "
                f"turn it on: {update} --enable-secret-rotation --rotation-poll-interval {poll_interval or DEFAULT_POLL_INTERVAL}"
            )
        return (
            f"{where}: the add-on rotates secrets (config.enableSecretRotation 'true') but driver.rotation.enabled "
            f"is false; turn it off: {update} --disable-secret-rotation"
        )
    if rotation and poll_interval and not _same_duration(actual_interval, poll_interval):
        return (
            f"{where}: the add-on polls every {actual_interval!r} (config.rotationPollInterval) but "
            f"driver.rotation.pollInterval is {poll_interval!r}; set it: {update} --enable-secret-rotation "
            f"--rotation-poll-interval {poll_interval}"
        )
    return None


def _same_duration(a: str, b: str) -> bool:
    try:
        return duration_seconds(a) == duration_seconds(b)
    except ValueError:
        return a == b
