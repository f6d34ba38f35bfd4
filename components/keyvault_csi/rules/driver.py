"""Where the Secrets Store CSI driver and its Azure provider come from.

Pure rules, no Pulumi: the Helm chart's identity and values, Go durations for the rotation poll
interval, and the check of a managed cluster's ``azureKeyvaultSecretsProvider`` add-on profile.
See docs/azure-rules.md §driver-addon, §driver-helm.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from keyvault_csi.rules import identity_binding, workload_identity
from keyvault_csi.rules.choices import DriverInstall, IdentityType
from keyvault_csi.rules.clouds import host_folder_values

# The Azure provider's chart bundles the driver chart as dependency "secrets-store-csi-driver"
# (chart 1.8.2 bundles driver chart 1.5.6; keys below read from its values.yaml at tag v1.8.2).
CHART = "csi-secrets-store-provider-azure"
# The newest chart release we know (upstream's latest as of June 2026); how to bump it: docs/driver.md
# "Bumping the chart". tests/reference/provider-chart/ holds that release's Chart.yaml and values.yaml.
CHART_VERSION = "1.8.2"
CHART_REPOSITORY = "https://azure.github.io/secrets-store-csi-driver-provider-azure/charts"
NAMESPACE = "kube-system"
RELEASE_NAME = "csi-secrets-store-provider-azure"
DRIVER = "secrets-store-csi-driver"  # the dependency's values key
DEFAULT_POLL_INTERVAL = "2m"  # chart default and the add-on's default

# The driver requests a service-account token per audience of its CSIDriver's spec.tokenRequests, which the driver
# chart writes from .Values.tokenRequests alone (csidriver.yaml); the provider reads the one its mode needs
# (docs/azure-rules.md §driver-token-audiences).
TOKEN_REQUESTS = "tokenRequests"
TOKEN_AUDIENCES: Mapping[IdentityType, str] = {
    IdentityType.WORKLOAD: workload_identity.AUDIENCE,
    IdentityType.IDENTITY_BINDING: identity_binding.AUDIENCE,
}
# The Azure chart's default (values.yaml at 1.8.2); chart 1.8.1 added AKSIdentityBinding (provider: useAzureTokenProxy).
CHART_TOKEN_AUDIENCES = (workload_identity.AUDIENCE, identity_binding.AUDIENCE)
IDENTITY_BINDING_CHART_VERSION = "1.8.1"

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


# driver.chartVersion: what Helm takes as an exact version (SemVer 2, no build metadata).
CHART_VERSION_PATTERN = r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$"
CHART_REPOSITORY_SCHEMES = ("https", "oci")
DEFAULT_TIMEOUT_SECONDS = 300  # pulumi-kubernetes helm.v3.Release's default (provider/pkg/provider/helm_release.go)


def chart_repository_problem(value: str | None) -> str | None:
    """Why ``driver.chartRepository`` is refused (``None``: unset, an https:// repository or an oci:// path)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in CHART_REPOSITORY_SCHEMES or not parts.netloc or any(c.isspace() for c in value):
        return (
            f"'{value}' is not a chart repository; allowed: an https:// Helm repository URL (a mirror of "
            f"{CHART_REPOSITORY}) or an oci:// registry path that holds the chart {CHART} "
            "(e.g. oci://myregistry.azurecr.io/helm)"
        )
    if parts.query or parts.fragment:
        return f"'{value}' has a query or fragment; give the repository's URL alone"
    return None


def chart_source(repository: str | None) -> tuple[str, str | None]:
    """The Release's ``chart`` and ``repositoryOpts.repo`` for ``driver.chartRepository`` (``None``: upstream's).

    An OCI registry is no repository to Helm: the chart is named by its full reference
    ``oci://<registry>/<path>/<chart>`` (where ``helm push <chart>.tgz oci://<registry>/<path>`` puts it),
    with no ``repo``; pulumi-kubernetes ignores ``repo`` for an ``oci://`` chart.
    """
    if repository is None:
        return CHART, CHART_REPOSITORY
    if urlsplit(repository).scheme == "oci":
        return f"{repository.rstrip('/')}/{CHART}", None
    return CHART, repository


def timeout_problem(value: object) -> str | None:
    """Why ``driver.timeout`` is refused (``None``: unset or a positive whole number of seconds)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        shown = f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)  # true, 1.5, as written
        return f"{shown} is not a whole number of seconds; e.g. 600 (default {DEFAULT_TIMEOUT_SECONDS})"
    if value <= 0:
        return f"{value} must be a positive number of seconds (default {DEFAULT_TIMEOUT_SECONDS})"
    return None


def _version_key(version: str) -> tuple[int, int, int, int]:
    """Orders SemVer versions as Helm does, to the precision needed here: a pre-release sorts before its release."""
    core, _, pre = version.partition("-")
    major, minor, patch = (int(part) for part in core.split("."))
    return major, minor, patch, 0 if pre else 1


def chart_version_warning(version: str) -> str | None:
    """A warning when ``driver.chartVersion`` is older than :data:`CHART_VERSION`, the newest we know."""
    if _version_key(version) >= _version_key(CHART_VERSION):
        return None
    return (
        f"keyvault-csi:driver.chartVersion {version} is older than {CHART_VERSION}, the newest "
        f"{CHART} keyvault-csi knows: older charts miss the provider's fixes, and the values keyvault-csi sets "
        f"were checked against {CHART_VERSION}; drop chartVersion (default {CHART_VERSION}) or raise it"
    )


def helm_values(
    *,
    sync_secret: bool,
    rotation: bool,
    poll_interval: str | None,
    windows: bool,
    extra: Mapping[str, Any] | None = None,
    host_folders: Sequence[str] = (),
    construct_pem_chain: bool | None = None,
    write_cert_and_key: bool | None = None,
) -> dict[str, Any]:
    """The chart values the stack needs, over the user's ``extra`` values (deep-merged; ours win).

    ``host_folders``: node folders mounted read-only, at the same path, into the Linux provider pods
    (``linux.volumes``/``linux.volumeMounts``), for AzureStackCloud's cloudEnvFileName
    (docs/azure-rules.md §clouds-env-file). The certificate flags are written only when given (unset:
    the chart's defaults).
    """
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
    if host_folders:
        ours["linux"] = host_folder_values(host_folders)
    for key, flag in ((CONSTRUCT_PEM_CHAIN, construct_pem_chain), (WRITE_CERT_AND_KEY, write_cert_and_key)):
        if flag is not None:
            ours[key] = flag
    return _merge(copy.deepcopy(dict(extra or {})), ours)


def managed_value_paths(*, host_folders: bool = False) -> list[str]:
    """Dotted value paths keyvault-csi sets itself: ``driver.values`` must not set them.

    ``host_folders``: keyvault-csi mounts host folders, so it also sets ``linux.volumes`` and ``linux.volumeMounts``.
    """
    return _paths(
        helm_values(
            sync_secret=True,
            rotation=True,
            poll_interval=None,
            windows=True,
            host_folders=["/"] if host_folders else [],
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


def value_conflicts(extra: Mapping[str, Any], *, host_folders: bool = False) -> list[str]:
    """Dotted paths of ``extra`` that keyvault-csi sets from its own keys."""
    given = set(_paths(extra))
    owned = managed_value_paths(host_folders=host_folders)
    return [p for p in owned if p in given or any(p.startswith(g + ".") for g in given)]


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


def token_requests_problem(values: Mapping[str, Any], identity_type: IdentityType) -> str | None:
    """Why ``driver.values`` leave the CSIDriver without the token ``identity_type`` needs, or None.

    Helm replaces a list value as a whole: a ``tokenRequests`` given in the values is the whole list.
    """
    audience = TOKEN_AUDIENCES.get(identity_type)
    driver = values.get(DRIVER)
    if audience is None or not isinstance(driver, Mapping) or TOKEN_REQUESTS not in driver:
        return None
    requests = driver[TOKEN_REQUESTS] if driver[TOKEN_REQUESTS] is not None else []
    if not isinstance(requests, list) or not all(isinstance(r, Mapping) for r in requests):
        return f"must be a list of {{audience: ...}} entries (the CSIDriver's spec.tokenRequests); got {requests!r}"
    audiences = [r.get("audience") for r in requests]
    if audience in audiences:
        return None
    return (
        f"{audiences} drops {audience}, which identity type {identity_type} needs: Helm replaces the chart's list "
        f"({', '.join(CHART_TOKEN_AUDIENCES)}), so the CSIDriver requests no token for it and every mount fails "
        f"('token for audience {audience} not found'); add {{audience: {audience}}} or drop the key"
    )


def chart_version_problem(version: str, identity_type: IdentityType) -> str | None:
    """Why chart ``version`` cannot serve ``identity_type``, or None (a pre-release of 1.8.1 counts as 1.8.1)."""
    # _version_key without its pre-release flag: a pre-release counts as its release here.
    if identity_type != IdentityType.IDENTITY_BINDING or (
        _version_key(version)[:3] >= _version_key(IDENTITY_BINDING_CHART_VERSION)[:3]
    ):
        return None
    return (
        f"'{version}' predates identity bindings: the provider reads useAzureTokenProxy, and the chart requests a "
        f"token for {identity_binding.AUDIENCE}, since {IDENTITY_BINDING_CHART_VERSION}; use "
        f"{IDENTITY_BINDING_CHART_VERSION} or later (default {CHART_VERSION})"
    )


def token_audience_warning(install: DriverInstall, identity_type: IdentityType) -> str | None:
    """What the stack cannot check about a driver it does not install, for identity bindings; None otherwise."""
    if identity_type != IdentityType.IDENTITY_BINDING or install == DriverInstall.HELM:
        return None
    check = (
        f"check that `kubectl get csidriver secrets-store.csi.k8s.io -o jsonpath='{{.spec.tokenRequests}}'` lists "
        f"{identity_binding.AUDIENCE} and that the Azure provider is v{IDENTITY_BINDING_CHART_VERSION} or later"
    )
    if install == DriverInstall.AKS_ADDON:
        return (
            "keyvault-csi:identity: identity type identityBinding with driver.install aksAddon: AKS documents the "
            "Key Vault add-on with workload identity, not with identity bindings, and AKS's changelog last names "
            "provider v1.7.2 for it, which does not read useAzureTokenProxy "
            f"(added in v{IDENTITY_BINDING_CHART_VERSION}): its mounts then fail; {check}, or use driver.install helm "
            "(docs/identity-binding.md)"
        )
    return (
        f"keyvault-csi:identity: identity type identityBinding with driver.install none: {check} "
        "(docs/identity-binding.md)"
    )


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
                f"turn it on: {update} --enable-secret-rotation "
                f"--rotation-poll-interval {poll_interval or DEFAULT_POLL_INTERVAL}"
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
