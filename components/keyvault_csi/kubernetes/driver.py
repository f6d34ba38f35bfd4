"""The Secrets Store CSI driver and its Azure provider: declared as a Helm release, or verified on AKS.

Without them every mount fails with "failed to find provider binary azure"
(docs/azure-rules.md §driver-missing-provider).

* ``helm`` — the Azure provider's chart ``csi-secrets-store-provider-azure`` (which bundles the
  driver chart as dependency ``secrets-store-csi-driver``) as a ``helm.v3.Release`` in
  ``kube-system``, from upstream's repository or ``chartRepository`` (an https:// mirror or an
  ``oci://`` registry), with Helm's ``timeout`` and ``atomic`` when set. A Release, not a
  ``helm.v4.Chart``: v4 renders the chart at preview, which needs the chart repository; a Release
  is one resource the engine checks and installs at ``up``. Every SecretProviderClass waits for
  it: its CRD comes with the chart.
* ``aksAddon`` — nothing is declared in the cluster; the managed cluster is read (invoke) and the
  ``azureKeyvaultSecretsProvider`` add-on must be enabled, with rotation as asked, else the
  preview fails with the ``az aks`` command that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
from pulumi_azure_native import containerservice
from pulumi_kubernetes.helm import v3 as helm

from keyvault_csi.model.outputs import plain
from keyvault_csi.model.settings import ClusterRef, Settings
from keyvault_csi.rules.choices import DriverInstall, NodeOS
from keyvault_csi.rules.clouds import env_file_warning, is_stack
from keyvault_csi.rules.driver import (
    NAMESPACE,
    RELEASE_NAME,
    addon_problem,
    addon_profile,
    chart_source,
    chart_version_warning,
    helm_values,
)

TYPE = "keyvault-csi:index:CsiDriver"
ASSUMED = (
    "keyvault-csi:driver.install is none: the Secrets Store CSI driver and its Azure provider are assumed "
    "to run in the cluster (else mounts fail with 'failed to find provider binary azure'); "
    "see docs/driver.md"
)


def settings_env_file_warning(settings: Settings) -> str | None:
    """With ``install: none``, the warning for AzureStackCloud classes: nothing checks that the provider can read
    their environment file (docs/azure-rules.md §clouds-env-file)."""
    if settings.driver.install != DriverInstall.NONE:
        return None
    files = [
        (f"{w.namespace}/{w.name}", w.cloud_env_file_name or "") for w in settings.workloads if is_stack(w.cloud_name)
    ]
    return env_file_warning(files)


class CsiDriver(pulumi.ComponentResource):
    """Declares the driver's Helm release (``helm``) or verifies the AKS add-on (``aksAddon``).

    ``release`` is what SecretProviderClasses wait for (``None`` for ``aksAddon``); ``addon`` is the
    add-on check, ``"ok"`` when it passed (a failure is a ``RunError`` when the cluster is read).
    Unset ``syncSecret`` / ``windows`` follow the workloads: on when one syncs a Secret / runs on Windows
    (its Pods' OS, or ``os`` for a class your own Pods mount).
    """

    release: helm.Release | None
    addon: pulumi.Output[str] | None

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        driver = settings.driver
        if driver.install == DriverInstall.NONE:
            raise ValueError("install none declares no driver")
        super().__init__(TYPE, name, None, opts)
        rotation = driver.rotation
        self.release, self.addon = None, None
        if driver.install == DriverInstall.HELM:
            sync_secret = driver.sync_secret
            windows = driver.windows
            chart, repository = chart_source(driver.chart_repository)
            version = driver.effective_chart_version()
            self.release = helm.Release(
                name,
                name=RELEASE_NAME,  # explicit: Pulumi would otherwise append a random suffix
                chart=chart,
                version=version,
                repository_opts=helm.RepositoryOptsArgs(repo=repository) if repository else None,
                namespace=NAMESPACE,
                timeout=driver.timeout,
                atomic=driver.atomic,
                values=helm_values(
                    sync_secret=sync_secret
                    if sync_secret is not None
                    else any(w.secret_objects for w in settings.workloads),
                    rotation=driver.rotation_enabled(),
                    poll_interval=rotation.poll_interval if rotation else None,
                    windows=windows
                    if windows is not None
                    else any(w.node_os() == NodeOS.WINDOWS for w in settings.workloads),
                    extra=driver.values,
                    host_folders=settings.provider_host_folders(),
                    construct_pem_chain=driver.construct_pem_chain,
                    write_cert_and_key=driver.write_cert_and_key_in_separate_files,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            outdated = chart_version_warning(version)
            if outdated:
                pulumi.log.warn(outdated, resource=self)
        else:
            cluster = settings.driver_cluster()
            if cluster is None:  # refused by the settings checks
                raise ValueError("install aksAddon needs the AKS cluster")
            managed = containerservice.get_managed_cluster_output(
                resource_group_name=cluster.resource_group,
                resource_name=cluster.name,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            self.addon = managed.addon_profiles.apply(
                _check_addon(
                    cluster,
                    rotation.enabled if rotation else None,
                    rotation.poll_interval if rotation else None,
                )
            )
        self.register_outputs({"release": self.release.name if self.release else None, "addon": self.addon})


def _check_addon(
    cluster: ClusterRef, rotation: bool | None, poll_interval: str | None
) -> Callable[[Mapping[str, Any] | None], str]:
    def check(profiles: Mapping[str, Any] | None) -> str:
        profile = addon_profile(profiles)
        problem = addon_problem(
            bool(profile is not None and profile.enabled),
            profile.config if profile is not None else None,
            # A cluster named by Outputs is named in the fix by placeholders the user fills in.
            resource_group=plain(cluster.resource_group) or "<resource group>",
            cluster=plain(cluster.name) or "<cluster>",
            rotation=rotation,
            poll_interval=poll_interval,
        )
        if problem:
            raise pulumi.RunError(f"keyvault-csi:driver: {problem}")
        return "ok"

    return check
