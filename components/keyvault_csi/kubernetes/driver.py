"""The Secrets Store CSI driver and its Azure provider: declared as a Helm release, or verified on AKS.

Without them every mount fails with "failed to find provider binary azure" (docs/azure-rules.md §driver-missing-provider).

* ``helm`` — the Azure provider's chart ``csi-secrets-store-provider-azure`` (which bundles the
  driver chart as dependency ``secrets-store-csi-driver``) as a ``helm.v3.Release`` in
  ``kube-system``. A Release, not a ``helm.v4.Chart``: v4 renders the chart at preview, which
  needs the chart repository; a Release is one resource the engine checks and installs at
  ``up``. Every SecretProviderClass waits for it: its CRD comes with the chart.
* ``aksAddon`` — nothing is declared in the cluster; the managed cluster is read (invoke) and the
  ``azureKeyvaultSecretsProvider`` add-on must be enabled, with rotation as asked, else the
  preview fails with the ``az aks`` command that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import containerservice

from keyvault_csi.outputs import plain
from keyvault_csi.rules.driver import (
    CHART,
    CHART_REPOSITORY,
    CHART_VERSION,
    NAMESPACE,
    RELEASE_NAME,
    addon_problem,
    addon_profile,
    helm_values,
    value_conflicts,
)

if TYPE_CHECKING:
    from pulumi_kubernetes.helm import v3 as helm

    from keyvault_csi.settings.model import Settings

TYPE = "keyvault-csi:index:CsiDriver"
ASSUMED = (
    "keyvault-csi:driver.install is none: the Secrets Store CSI driver and its Azure provider are assumed "
    "to run in the cluster (else mounts fail with 'failed to find provider binary azure'); "
    "see docs/driver.md"
)


class DriverClusterArgs(TypedDict):
    resourceGroup: pulumi.Input[str]
    name: pulumi.Input[str]


class DriverRotationArgs(TypedDict):
    enabled: bool
    pollInterval: NotRequired[str]


class CsiDriverArgs(TypedDict):
    """Arguments of :class:`CsiDriver` (camelCase, as ``keyvault-csi:driver`` in a stack's config)."""

    install: Literal["helm", "aksAddon"]
    chartVersion: NotRequired[str]
    """helm: the chart version; default 1.8.2."""
    values: NotRequired[Mapping[str, Any]]
    """helm: extra chart values, merged under the ones this component sets."""
    syncSecret: NotRequired[bool]
    """helm: the driver's ``syncSecret.enabled`` (needed by ``secretObjects``)."""
    windows: NotRequired[bool]
    """helm: the provider's and the driver's Windows DaemonSets."""
    rotation: NotRequired[DriverRotationArgs]
    cluster: NotRequired[DriverClusterArgs]
    """aksAddon: the managed cluster whose add-on is verified."""


class CsiDriver(pulumi.ComponentResource):
    """Declares the driver's Helm release (``helm``) or verifies the AKS add-on (``aksAddon``).

    ``release`` is what SecretProviderClasses wait for (``None`` for ``aksAddon``); ``addon`` is the
    add-on check, ``"ok"`` when it passed (a failure is a ``RunError`` when the cluster is read).
    """

    # Attributes are annotated in __init__: Pulumi resolves class annotations at registration, and
    # helm's module is loaded only for install: helm (docs/azure-rules.md §pulumi-class-annotations).

    def __init__(self, name: str, args: CsiDriverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        install = args["install"]
        if install not in ("helm", "aksAddon"):
            raise ValueError(f"install {install!r} is not allowed; use helm or aksAddon")
        if install == "aksAddon" and "cluster" not in args:
            raise ValueError("install aksAddon needs cluster: {resourceGroup, name}")
        conflicts = value_conflicts(args.get("values") or {})
        if conflicts:
            raise ValueError(f"values {conflicts} are set by this component from syncSecret, rotation and windows")
        super().__init__(TYPE, name, None, opts)
        rotation = args.get("rotation")
        self.release: helm.Release | None = None
        self.addon: pulumi.Output[str] | None = None
        if install == "helm":
            from pulumi_kubernetes.helm import v3 as helm  # 60 ms and 5,000 objects, for helm only

            self.release = helm.Release(
                name,
                name=RELEASE_NAME,  # explicit: Pulumi would otherwise append a random suffix
                chart=CHART,
                version=args.get("chartVersion") or CHART_VERSION,
                repository_opts=helm.RepositoryOptsArgs(repo=CHART_REPOSITORY),
                namespace=NAMESPACE,
                values=helm_values(
                    sync_secret=args.get("syncSecret", False),
                    rotation=bool(rotation and rotation["enabled"]),
                    poll_interval=rotation.get("pollInterval") if rotation else None,
                    windows=args.get("windows", False),
                    extra=args.get("values"),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        else:
            cluster = args["cluster"]
            managed = containerservice.get_managed_cluster_output(
                resource_group_name=cluster["resourceGroup"],
                resource_name=cluster["name"],
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            self.addon = managed.addon_profiles.apply(
                _check_addon(
                    cluster,
                    rotation["enabled"] if rotation else None,
                    rotation.get("pollInterval") if rotation else None,
                )
            )
        self.register_outputs({"release": self.release.name if self.release else None, "addon": self.addon})


def _check_addon(
    cluster: DriverClusterArgs, rotation: bool | None, poll_interval: str | None
) -> Callable[[Mapping[str, Any] | None], str]:
    def check(profiles: Mapping[str, Any] | None) -> str:
        profile = addon_profile(profiles)
        problem = addon_problem(
            bool(profile is not None and profile.enabled),
            profile.config if profile is not None else None,
            # A cluster named by Outputs is named in the fix by placeholders the user fills in.
            resource_group=plain(cluster["resourceGroup"]) or "<resource group>",
            cluster=plain(cluster["name"]) or "<cluster>",
            rotation=rotation,
            poll_interval=poll_interval,
        )
        if problem:
            raise pulumi.RunError(f"keyvault-csi:driver: {problem}")
        return "ok"

    return check


def driver_args(settings: Settings) -> CsiDriverArgs | None:
    """The :class:`CsiDriver` arguments ``settings.driver`` asks for; ``None`` for ``install: none``.

    Unset ``syncSecret`` / ``windows`` follow the workloads: on when one syncs a Secret / runs on Windows.
    """
    driver = settings.driver
    if driver.install == "none":
        return None
    args: CsiDriverArgs = {"install": driver.install}
    if driver.rotation is not None:
        args["rotation"] = {"enabled": driver.rotation.enabled}
        if driver.rotation.poll_interval:
            args["rotation"]["pollInterval"] = driver.rotation.poll_interval
    if driver.install == "helm":
        templates = [w.template for w in settings.workloads if w.template is not None]
        args["syncSecret"] = (
            driver.sync_secret if driver.sync_secret is not None else any(w.secret_objects for w in settings.workloads)
        )
        args["windows"] = driver.windows if driver.windows is not None else any(t.os == "windows" for t in templates)
        if driver.chart_version:
            args["chartVersion"] = driver.chart_version
        if driver.values:
            args["values"] = driver.values
        return args
    cluster = (
        driver.cluster or settings.identity.cluster or (settings.kubernetes.cluster if settings.kubernetes else None)
    )
    if cluster is not None:  # validate_settings refuses aksAddon without one
        args["cluster"] = cluster.as_args()
    return args
