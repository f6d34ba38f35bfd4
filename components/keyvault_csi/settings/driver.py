"""Cross-key rules of ``keyvault-csi:driver`` (docs/driver.md): what the driver must do for the workloads.

Read from the raw mapping, like the other cross-key checks of :mod:`keyvault_csi.settings.model`,
so they are reported together with single-field problems ("every problem at once").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keyvault_csi.rules.driver import value_conflicts
from keyvault_csi.rules.model import as_mapping, as_mappings


def pod_templates(workload: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The workload's Pod and Deployment settings (key, mapping) that are set."""
    return [(key, workload[key]) for key in ("pod", "deployment") if isinstance(workload.get(key), Mapping)]


def driver_cluster(raw: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The AKS cluster of ``install: aksAddon``: ``driver.cluster``, else ``identity.cluster``, else ``kubernetes.cluster``."""
    for key in ("driver", "identity", "kubernetes"):
        cluster = as_mapping(raw.get(key)).get("cluster")
        if isinstance(cluster, Mapping):
            return cluster
    return None


def driver_problems(raw: Mapping[str, Any], prefix: str) -> list[str]:
    """Combinations of ``driver`` with the identity and the workloads that cannot work (and Deployment names)."""
    driver = as_mapping(raw.get("driver"))
    install = driver.get("install", "none")
    identity = as_mapping(raw.get("identity"))
    path = f"{prefix}driver"
    problems: list[str] = []
    if install not in ("none", "helm", "aksAddon"):
        return problems  # reported by the model
    if install == "aksAddon" and driver_cluster(raw) is None:
        problems.append(
            f"{path}.cluster: install aksAddon verifies the cluster's add-on and needs the AKS cluster: set "
            "driver.cluster: {resourceGroup, name} (or identity.cluster / kubernetes.cluster)"
        )
    if install != "helm" and driver.get("syncSecret") is not None:
        problems.append(f"{path}.syncSecret: only with install helm (got install {install!r}); drop it")
    if install != "helm" and driver.get("windows") is not None:
        problems.append(f"{path}.windows: only with install helm (got install {install!r}); drop it")
    if install == "none" and driver.get("rotation") is not None:
        problems.append(
            f"{path}.rotation: install none declares and checks no driver, so rotation cannot be set; "
            "use install helm (sets the chart's rotation values) or aksAddon (verifies the add-on's)"
        )
    if install != "helm":
        for key in ("chartVersion", "values"):
            if driver.get(key) is not None:
                problems.append(f"{path}.{key}: only with install helm (got install {install!r}); drop it")
    if install != "aksAddon" and driver.get("cluster") is not None:
        problems.append(f"{path}.cluster: only with install aksAddon (got install {install!r}); drop it")
    if driver.get("syncSecret") is False:
        problems += [
            f"{prefix}workloads[{i}].secretObjects: driver.syncSecret is false, so the driver would sync nothing "
            "(silently); drop driver.syncSecret (on by default when a workload has secretObjects) or the secretObjects"
            for i, w in enumerate(as_mappings(raw.get("workloads")))
            if w.get("secretObjects")
        ]
    if driver.get("windows") is False:
        problems += [
            f"{prefix}workloads[{i}].{key}.os: windows, but driver.windows is false: no driver runs on Windows "
            "nodes to mount the class; drop driver.windows (on by default when a Pod is Windows)"
            for i, w in enumerate(as_mappings(raw.get("workloads")))
            for key, template in pod_templates(w)
            if template.get("os") == "windows"
        ]
    if isinstance(driver.get("values"), Mapping):
        problems += [
            f"{path}.values.{conflict}: set by keyvault-csi from driver.syncSecret / driver.rotation / driver.windows "
            "and the workloads; use those keys"
            for conflict in value_conflicts(driver["values"])
        ]
    if identity.get("type") == "aksAddon" and install == "helm":
        problems.append(
            f"{path}.install: helm installs a second driver next to the AKS add-on whose identity "
            "identity type aksAddon uses; use install aksAddon (or none)"
        )
    return problems
