"""The driver under the mock runtime: the Helm release's values, the add-on checks, the add-on identity."""

from __future__ import annotations

import logging

import pulumi
import pytest

from keyvault_csi.kubernetes.driver import ASSUMED
from keyvault_csi.testing.mockgraph import addon_answer
from tests.support import (
    ACCESS_POLICY,
    DRIVER,
    IDENTITY,
    NODE_IDENTITY,
    POD,
    RELEASE,
    SPC,
    base_settings,
    run_program,
)
from tools.review.plan import driver_note

SYNCED = [{"secretName": "app", "type": "Opaque", "data": [{"objectName": "secret1", "key": "password"}]}]


def helm_settings(**driver) -> dict:
    settings = base_settings("kubelet")
    settings["driver"] = {"install": "helm", **driver}
    return settings


def test_helm_release_pins_the_azure_chart_in_kube_system() -> None:
    graph = run_program(helm_settings())
    (release,) = graph.by_type(RELEASE)
    inputs = release.inputs
    assert (inputs["name"], inputs["chart"], inputs["version"], inputs["namespace"]) == (
        "csi-secrets-store-provider-azure",
        "csi-secrets-store-provider-azure",
        "1.8.2",
        "kube-system",
    )
    assert inputs["repositoryOpts"] == {
        "repo": "https://azure.github.io/secrets-store-csi-driver-provider-azure/charts"
    }
    assert inputs["values"] == {
        "windows": {"enabled": False},
        "secrets-store-csi-driver": {
            "syncSecret": {"enabled": False},
            "enableSecretRotation": False,
            "windows": {"enabled": False},
        },
    }
    (driver,) = graph.by_type(DRIVER)
    assert release.parent == driver.urn and driver.parent.endswith("AksKeyVaultSecrets::test")
    assert "$pulumi:providers:kubernetes::kubernetes::" in release.provider  # the explicit provider
    assert driver_note(graph) == (
        "Driver: Helm release csi-secrets-store-provider-azure (chart csi-secrets-store-provider-azure 1.8.2) "
        "in kube-system"
    )


def test_helm_values_follow_rotation_sync_windows_and_extra_values() -> None:
    settings = helm_settings(
        chartVersion="1.8.1",
        rotation={"enabled": True, "pollInterval": "5m"},
        values={
            "logVerbosity": 2,
            "secrets-store-csi-driver": {"linux": {"priorityClassName": "system-node-critical"}},
        },
    )
    settings["workloads"][0]["secretObjects"] = SYNCED
    settings["workloads"].append(
        {
            "name": "win",
            "objects": [{"objectName": "secret2", "objectType": "secret"}],
            "pod": {"os": "windows", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"},
        }
    )
    (release,) = run_program(settings).by_type(RELEASE)
    assert release.inputs["version"] == "1.8.1"
    assert release.inputs["values"] == {
        "logVerbosity": 2,
        "windows": {"enabled": True},
        "secrets-store-csi-driver": {
            "linux": {"priorityClassName": "system-node-critical"},
            "syncSecret": {"enabled": True},
            "enableSecretRotation": True,
            "rotationPollInterval": "5m",
            "windows": {"enabled": True},
        },
    }


def test_helm_values_carry_the_certificate_flags_and_a_windows_class_without_pod() -> None:
    settings = helm_settings(constructPEMChain=True, writeCertAndKeyInSeparateFiles=True)
    settings["workloads"][0].pop("pod")
    settings["workloads"][0]["os"] = "windows"  # a class for the user's own Windows Pods
    (release,) = run_program(settings).by_type(RELEASE)
    values = release.inputs["values"]
    assert values["constructPEMChain"] is True and values["writeCertAndKeyInSeparateFiles"] is True
    assert values["windows"] == {"enabled": True} and values["secrets-store-csi-driver"]["windows"] == {"enabled": True}


def test_every_class_waits_for_the_release_and_pods_through_their_class() -> None:
    settings = helm_settings()
    settings["workloads"].append({**settings["workloads"][0], "name": "second"})
    graph = run_program(settings)
    (release,) = graph.by_type(RELEASE)
    classes = graph.by_type(SPC)
    assert len(classes) == 2
    assert all(release.urn in spc.dependencies for spc in classes)
    assert all(graph.depends_on(pod, release) for pod in graph.by_type(POD))


def test_install_none_declares_no_driver_and_says_it_is_assumed(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):  # the mock engine logs pulumi.log.info through the root logger
        graph = run_program(base_settings("kubelet"))
    assert ASSUMED in caplog.messages
    assert graph.by_type(DRIVER) == [] and graph.by_type(RELEASE) == []
    assert all(spc.dependencies == [] for spc in graph.by_type(SPC))
    assert driver_note(graph) == f"Driver: {ASSUMED}"
    assert "failed to find provider binary azure" in ASSUMED


def test_aks_addon_declares_nothing_in_the_cluster_and_reads_the_cluster() -> None:
    settings = base_settings("kubelet")
    settings["driver"] = {"install": "aksAddon", "rotation": {"enabled": True, "pollInterval": "5m"}}
    graph = run_program(settings, aks_addons={"aks": addon_answer("aks", rotation=True, poll_interval="5m")})
    (driver,) = graph.by_type(DRIVER)
    assert [r for r in graph.resources if r.parent == driver.urn] == []
    cluster_reads = [i for i in graph.invokes if i.token == "azure-native:containerservice:getManagedCluster"]
    assert len(cluster_reads) == 2 and all(
        "$pulumi:providers:azure-native::azure-native::" in i.provider for i in cluster_reads
    )
    assert driver_note(graph).startswith("Driver: the AKS azure-keyvault-secrets-provider add-on")


@pytest.mark.parametrize(
    ("addon", "rotation", "fragment"),
    [
        (None, None, "az aks enable-addons --addons azure-keyvault-secrets-provider -g rg-aks -n aks"),
        (addon_answer("aks", enabled=False), None, "does not run the azure-keyvault-secrets-provider add-on"),
        (
            addon_answer("aks"),
            {"enabled": True},
            "az aks addon update --addon azure-keyvault-secrets-provider -g rg-aks -n aks --enable-secret-rotation "
            "--rotation-poll-interval 2m",
        ),
        (addon_answer("aks", rotation=True), {"enabled": False}, "--disable-secret-rotation"),
        (
            addon_answer("aks", rotation=True, poll_interval="2m"),
            {"enabled": True, "pollInterval": "10m"},
            "the add-on polls every '2m' (config.rotationPollInterval) but driver.rotation.pollInterval is '10m'",
        ),
    ],
)
def test_aks_addon_missing_or_misconfigured_fails_the_preview_with_the_fix(addon, rotation, fragment) -> None:
    settings = base_settings("kubelet")
    settings["driver"] = {"install": "aksAddon", **({"rotation": rotation} if rotation else {})}
    with pytest.raises(pulumi.RunError) as caught:
        run_program(settings, aks_addons={"aks": addon})
    assert fragment in str(caught.value)


def test_aks_addon_as_configured_passes() -> None:
    settings = base_settings("kubelet")
    settings["driver"] = {"install": "aksAddon", "rotation": {"enabled": False}}
    assert len(run_program(settings).by_type(SPC)) == 1  # default mock: add-on on, rotation off


def test_the_component_refuses_bad_driver_settings_before_registering() -> None:
    from tests.kubernetes.test_pod import refused

    no_cluster = {**base_settings("userAssigned"), "driver": {"install": "aksAddon"}}
    assert "driver.cluster: install aksAddon verifies the cluster's add-on" in refused(no_cluster)
    ours = {**base_settings("userAssigned"), "driver": {"install": "helm", "values": {"windows": {"enabled": True}}}}
    assert "driver.values.windows.enabled: set by keyvault-csi" in refused(ours)


def test_aks_addon_identity_is_the_add_on_identity_and_nothing_goes_on_nodes() -> None:
    graph = run_program(base_settings("aksAddon"))
    assert graph.by_type(IDENTITY) == [] and graph.by_type(NODE_IDENTITY) == []
    (policy,) = graph.by_type(ACCESS_POLICY)
    assert policy.inputs["policy"]["objectId"] == "<azurekeyvaultsecretsprovider-aks.objectId>"
    parameters = graph.by_type(SPC)[0].inputs["spec"]["parameters"]
    assert parameters["userAssignedIdentityID"] == "<azurekeyvaultsecretsprovider-aks.clientId>"
    assert parameters["useVMManagedIdentity"] == "true"
    assert "clientID" not in parameters


def test_aks_addon_identity_without_the_add_on_fails_with_the_fix() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program(base_settings("aksAddon"), aks_addons={"aks": None})
    message = str(caught.value)
    assert "AKS cluster rg-aks/aks does not run the azure-keyvault-secrets-provider add-on" in message
    assert "az aks enable-addons --addons azure-keyvault-secrets-provider -g rg-aks -n aks" in message


@pytest.mark.parametrize(
    ("stack", "line"),
    [
        (
            "examples/helm-driver",
            "Driver: Helm release csi-secrets-store-provider-azure (chart csi-secrets-store-provider-azure 1.8.2) "
            "in kube-system",
        ),
        ("examples/kubelet-identity", f"Driver: {ASSUMED}"),
    ],
)
def test_make_plan_says_where_the_driver_comes_from(stack, line, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from tools.review.plan import main as plan_main

    assert plan_main(["--stack", stack, "--out", str(tmp_path)]) == 0
    assert line in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("repository", "chart", "repository_opts"),
    [
        (
            "https://artifactory.example.com/api/helm/csi-mirror",
            "csi-secrets-store-provider-azure",
            {"repo": "https://artifactory.example.com/api/helm/csi-mirror"},
        ),
        # OCI: Helm names the chart by its full reference; pulumi-kubernetes ignores repositoryOpts.repo for it.
        (
            "oci://myregistry.azurecr.io/helm/",
            "oci://myregistry.azurecr.io/helm/csi-secrets-store-provider-azure",
            None,
        ),
    ],
)
def test_chart_repository_is_a_mirror_or_an_oci_registry(repository, chart, repository_opts) -> None:
    (release,) = run_program(helm_settings(chartRepository=repository)).by_type(RELEASE)
    assert release.inputs["chart"] == chart
    assert release.inputs.get("repositoryOpts") == repository_opts
    assert release.inputs["version"] == "1.8.2"


def test_timeout_and_atomic_reach_the_release_and_are_left_to_helm_when_unset() -> None:
    (release,) = run_program(helm_settings(timeout=900, atomic=True)).by_type(RELEASE)
    assert (release.inputs["timeout"], release.inputs["atomic"]) == (900, True)
    (default,) = run_program(helm_settings()).by_type(RELEASE)
    assert "timeout" not in default.inputs and "atomic" not in default.inputs  # the Release's 300 s, not atomic


@pytest.mark.parametrize(
    ("version", "warned"), [("1.8.1", True), ("1.8.2-rc.1", True), ("1.8.2", False), ("1.9.0", False), (None, False)]
)
def test_a_chart_older_than_the_newest_known_is_warned_about(version, warned, caplog: pytest.LogCaptureFixture) -> None:
    settings = helm_settings(**({"chartVersion": version} if version else {}))
    with caplog.at_level(logging.WARNING):
        run_program(settings)
    outdated = [r.getMessage() for r in caplog.records if "driver.chartVersion" in r.getMessage()]
    assert outdated == (
        [
            f"keyvault-csi:driver.chartVersion {version} is older than 1.8.2, the newest "
            "csi-secrets-store-provider-azure keyvault-csi knows: older charts miss the provider's fixes, "
            "and the values keyvault-csi sets were checked against 1.8.2; drop chartVersion (default 1.8.2) "
            "or raise it"
        ]
        if warned
        else []
    )
    assert all(r.levelno == logging.WARNING for r in caplog.records if "driver.chartVersion" in r.getMessage())
