"""keyvault-csi:driver, identity type aksAddon and workloads[].deployment: every bad combination is a config error."""

from __future__ import annotations

from typing import Any

import pytest

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.program.stack import validate_stack_settings
from tests.support import RELEASE, assert_run_error, base_settings, run_program

SYNCED = [{"secretName": "app", "type": "Opaque", "data": [{"objectName": "secret1", "key": "password"}]}]


def with_driver(driver: dict[str, Any], identity: str = "kubelet", **workload: Any) -> dict[str, Any]:
    settings = base_settings(identity)
    settings["driver"] = driver
    settings["workloads"][0].update(workload)
    return settings


def test_driver_defaults_to_none_and_declares_nothing() -> None:
    settings = validate_settings(base_settings("kubelet"))
    assert settings.driver.install == "none"
    graph = run_program(base_settings("kubelet"))
    assert graph.by_type(RELEASE) == [] and [r for r in graph.resources if "CsiDriver" in r.type] == []


@pytest.mark.parametrize(
    ("driver", "workload", "fragments"),
    [
        (
            {"install": "helm", "syncSecret": False},
            {"secretObjects": SYNCED},
            ["keyvault-csi:workloads[0].secretObjects: driver.syncSecret is false"],
        ),
        (
            {"install": "helm", "windows": False},
            {"pod": {"os": "windows", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}},
            ["keyvault-csi:workloads[0].pod.os: windows, but driver.windows is false"],
        ),
        (
            {"install": "helm", "windows": False},
            {"pod": None, "deployment": {"os": "windows"}},
            ["keyvault-csi:workloads[0].deployment.os: windows, but driver.windows is false"],
        ),
        (
            {"rotation": {"enabled": True}},
            {},
            ["keyvault-csi:driver.rotation: install none declares and checks no driver"],
        ),
        (
            {"install": "none", "syncSecret": True, "windows": True, "chartVersion": "1.8.1"},
            {},
            [
                "keyvault-csi:driver.syncSecret: only with install helm",
                "keyvault-csi:driver.windows: only with install helm",
                "keyvault-csi:driver.chartVersion: only with install helm",
            ],
        ),
        (
            {"install": "aksAddon", "values": {"logVerbosity": 2}},
            {},
            ["keyvault-csi:driver.values: only with install helm (got install 'aksAddon')"],
        ),
        (
            {"install": "helm", "cluster": {"resourceGroup": "rg-aks", "name": "aks"}},
            {},
            ["keyvault-csi:driver.cluster: only with install aksAddon"],
        ),
        (
            {"install": "helm", "values": {"secrets-store-csi-driver": {"syncSecret": {"enabled": True}}}},
            {},
            ["keyvault-csi:driver.values.secrets-store-csi-driver.syncSecret.enabled: set by keyvault-csi"],
        ),
        (
            {"install": "helm", "values": {"windows": True}},
            {},
            ["keyvault-csi:driver.values.windows.enabled: set by keyvault-csi"],
        ),
        (
            {"install": "helm", "rotation": {"enabled": True, "pollInterval": "2 minutes"}},
            {},
            ["keyvault-csi:driver.rotation.pollInterval: '2 minutes' is not a Go duration"],
        ),
        (
            {"install": "helm", "rotation": {"enabled": False, "pollInterval": "2m"}},
            {},
            ["keyvault-csi:driver.rotation: pollInterval is only used with enabled: true"],
        ),
        (
            {"install": "helm", "rotation": {"enabled": True, "pollInterval": "0s"}},
            {},
            ["keyvault-csi:driver.rotation.pollInterval: '0s' must be a positive duration"],
        ),
        ({"install": "helm", "chartVersion": "latest"}, {}, ["keyvault-csi:driver.chartVersion"]),
        ({"install": "kubectl"}, {}, ["keyvault-csi:driver.install"]),
        ({"install": "helm", "syncSecrets": True}, {}, ["did you mean 'syncSecret'?"]),
    ],
)
def test_bad_driver_combinations_are_config_errors(driver, workload, fragments) -> None:
    assert_run_error(with_driver(driver, **workload), fragments)


def test_aks_addon_needs_a_cluster_reference() -> None:
    settings = with_driver({"install": "aksAddon"}, identity="userAssigned")
    assert_run_error(settings, ["keyvault-csi:driver.cluster: install aksAddon verifies the cluster's add-on"])


@pytest.mark.parametrize(
    ("identity", "extra", "expected"),
    [
        ("kubelet", {}, {"resourceGroup": "rg-aks", "name": "aks"}),
        (
            "userAssigned",
            {"kubernetes": {"cluster": {"resourceGroup": "rg-k", "name": "k"}}},
            {"resourceGroup": "rg-k", "name": "k"},
        ),
        (
            "kubelet",
            {"driver": {"install": "aksAddon", "cluster": {"resourceGroup": "rg-d", "name": "d"}}},
            {"resourceGroup": "rg-d", "name": "d"},
        ),
    ],
)
def test_aks_addon_cluster_defaults_to_identity_then_kubernetes_cluster(identity, extra, expected) -> None:
    raw = with_driver({"install": "aksAddon"}, identity=identity)
    raw.update(extra)
    cluster = validate_stack_settings(raw).driver_cluster()
    assert cluster is not None and cluster.model_dump(exclude_none=True) == expected


def released(settings: dict[str, Any]) -> tuple[bool, bool]:
    """(syncSecret, windows) of the driver's Helm release the program declares."""
    (release,) = run_program(settings).by_type(RELEASE)
    values = release.inputs["values"]
    return values["secrets-store-csi-driver"]["syncSecret"]["enabled"], values["windows"]["enabled"]


def test_helm_sync_and_windows_follow_the_workloads_unless_set() -> None:
    assert released(with_driver({"install": "helm"})) == (False, False)
    needed = with_driver({"install": "helm"}, secretObjects=SYNCED)
    needed["workloads"][0]["pod"]["os"] = "windows"
    needed["workloads"][0]["pod"]["mountPath"] = "C:\\mnt\\secrets-store"
    assert released(needed) == (True, True)
    assert released(with_driver({"install": "helm", "syncSecret": True, "windows": True})) == (True, True)


def test_aks_addon_identity_takes_only_a_cluster_and_refuses_nodes() -> None:
    settings = base_settings("aksAddon")
    assert validate_settings(settings).identity.type == "aksAddon"
    bad = base_settings("aksAddon")
    bad["identity"]["name"] = "id-app"
    bad["nodes"] = {"scaleSets": [{"resourceGroup": "MC_rg", "name": "aks-np-vmss"}]}
    assert_run_error(
        bad, ["keyvault-csi:identity: type aksAddon takes only cluster: {resourceGroup, name}; got ['cluster', 'name']"]
    )
    del bad["identity"]["name"]  # the cross-key rules run once every key is valid
    assert_run_error(bad, ["keyvault-csi:nodes: refused for identity type aksAddon"])


def test_aks_addon_identity_with_a_helm_driver_is_refused() -> None:
    settings = base_settings("aksAddon")
    settings["driver"] = {"install": "helm"}
    assert_run_error(settings, ["keyvault-csi:driver.install: helm installs a second driver next to the AKS add-on"])


def test_pod_and_deployment_are_mutually_exclusive() -> None:
    settings = base_settings("kubelet")
    settings["workloads"][0]["deployment"] = {"replicas": 2}
    assert_run_error(settings, ["keyvault-csi:workloads[0]: set pod or deployment, not both"])


@pytest.mark.parametrize(
    ("deployment", "fragment"),
    [
        ({"replicas": -1}, "keyvault-csi:workloads[0].deployment.replicas: Input should be greater than or equal to 0"),
        (
            {"replicas": 1, "securityContext": {"runAsUser": 0}},
            "keyvault-csi:workloads[0].deployment: securityContext.runAsUser: 0 is root",
        ),
        (
            {"image": "nginx", "env": [{"name": "X", "secretKeyRef": {"name": "nope", "key": "k"}}]},
            "keyvault-csi:workloads[0].deployment.env[0].secretKeyRef.name: 'nope' is not a Secret this workload syncs",
        ),
    ],
)
def test_deployment_keys_follow_the_pod_rules(deployment, fragment) -> None:
    settings = base_settings("kubelet")
    del settings["workloads"][0]["pod"]
    settings["workloads"][0]["deployment"] = deployment
    assert_run_error(settings, [fragment])


def test_deployment_names_are_unique_per_namespace() -> None:
    settings = base_settings("kubelet")
    first = settings["workloads"][0]
    del first["pod"]
    first["deployment"] = {"name": "app"}
    second = {**first, "name": "other", "secretProviderClass": "other-class"}
    settings["workloads"].append(second)
    assert_run_error(
        settings, ["keyvault-csi:workloads [0, 1]: Deployment 'app' declared twice in namespace 'default'"]
    )


def test_every_driver_problem_is_reported_at_once() -> None:
    settings = with_driver(
        {"install": "none", "rotation": {"enabled": True}, "syncSecret": False}, secretObjects=SYNCED
    )
    assert_run_error(
        settings,
        [
            "driver.rotation: install none",
            "driver.syncSecret: only with install helm",
            "workloads[0].secretObjects: driver.syncSecret is false",
        ],
    )


# --- token audiences a Helm driver must request (docs/azure-rules.md §driver-token-audiences) --------------------


def with_tokens(identity: str, *audiences: str, **driver: Any) -> dict[str, Any]:
    values = {"secrets-store-csi-driver": {"tokenRequests": [{"audience": a} for a in audiences]}}
    return with_driver({"install": "helm", "values": values, **driver}, identity=identity)


TOKENS = "keyvault-csi:driver.values.secrets-store-csi-driver.tokenRequests"


@pytest.mark.parametrize(
    ("settings", "fragments"),
    [
        (
            with_tokens("identityBinding", "api://AzureADTokenExchange"),
            [f"{TOKENS}: ['api://AzureADTokenExchange'] drops api://AKSIdentityBinding"],
        ),
        (
            with_tokens("workload", "api://AKSIdentityBinding"),
            [f"{TOKENS}: ['api://AKSIdentityBinding'] drops api://AzureADTokenExchange"],
        ),
        (with_tokens("workload"), [f"{TOKENS}: [] drops api://AzureADTokenExchange"]),
        (
            with_driver({"install": "helm", "chartVersion": "1.7.2"}, identity="identityBinding"),
            ["keyvault-csi:driver.chartVersion: '1.7.2' predates identity bindings"],
        ),
    ],
)
def test_a_helm_driver_must_request_the_token_the_identity_needs(
    settings: dict[str, Any], fragments: list[str]
) -> None:
    assert_run_error(settings, fragments)


def test_values_that_keep_the_audience_pass() -> None:
    assert_run_error(with_tokens("identityBinding", "api://AKSIdentityBinding", "api://custom"), [])
    assert_run_error(with_tokens("workload", "api://AzureADTokenExchange"), [])
    assert_run_error(with_driver({"install": "helm", "chartVersion": "1.7.2"}, identity="workload"), [])
    # Node identities read no token: any list will do.
    assert_run_error(with_tokens("kubelet"), [])
