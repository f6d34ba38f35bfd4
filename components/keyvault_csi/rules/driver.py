"""Where the Secrets Store CSI driver and its Azure provider come from (docs/azure-rules.md §driver-addon, §driver-helm).

Pure rules, no Pulumi: the Helm chart's identity and values, Go durations for the rotation poll
interval, and the check of a managed cluster's ``azureKeyvaultSecretsProvider`` add-on profile.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

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
) -> dict[str, Any]:
    """The chart values the stack needs, over the user's ``extra`` values (deep-merged; ours win)."""
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
    return _merge(copy.deepcopy(dict(extra or {})), ours)


def managed_value_paths() -> list[str]:
    """Dotted value paths keyvault-csi sets itself: ``driver.values`` must not set them."""
    return _paths(helm_values(sync_secret=True, rotation=True, poll_interval=None, windows=True))


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


def addon_rotates(config: Mapping[str, Any] | None) -> bool:
    """Whether the add-on's ``config.enableSecretRotation`` turns rotation on (``"true"``; unset is off)."""
    return str((config or {}).get("enableSecretRotation", "false")).strip().lower() == "true"


def chart_rotates(chart: str, values: Mapping[str, Any]) -> bool | None:
    """Whether a Helm release of the provider's chart (rotation under its driver dependency) or of the driver's
    own chart turns rotation on (default off); ``None`` for any other chart. ``chart`` may carry a repository."""
    name = chart.rstrip("/").rsplit("/", 1)[-1]
    if name == CHART:
        driver = values.get(DRIVER)
        values = driver if isinstance(driver, Mapping) else {}
    elif name != DRIVER:
        return None
    flag = values.get("enableSecretRotation", False)
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


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
    actual = addon_rotates(config)
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
