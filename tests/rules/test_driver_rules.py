"""Pure driver rules: Go durations, the chart, its source and values, the add-on check.

docs/azure-rules.md §driver-addon, §driver-helm, §driver-helm-release.
"""

from __future__ import annotations

import pytest
import yaml

from keyvault_csi.rules.choices import DriverInstall, IdentityType
from keyvault_csi.rules.driver import (
    CHART,
    CHART_REPOSITORY,
    CHART_TOKEN_AUDIENCES,
    CHART_VERSION,
    DRIVER,
    addon_problem,
    addon_profile,
    chart_repository_problem,
    chart_source,
    chart_version_problem,
    chart_version_warning,
    duration_seconds,
    helm_values,
    managed_value_paths,
    token_audience_warning,
    token_requests_problem,
    value_conflicts,
    writes_cert_and_key,
)
from keyvault_csi.rules.rollout import objects_digest
from tests.support import REFERENCE

CHART_DIR = REFERENCE / "provider-chart"  # upstream's newest chart (its SOURCE.md)


@pytest.mark.parametrize(("text", "seconds"), [("2m", 120), ("90s", 90), ("1h30m", 5400), ("1.5m", 90), ("500ms", 0.5)])
def test_go_durations(text, seconds) -> None:
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["2", "2 m", "m", "2min", "-2m", ""])
def test_not_go_durations(text) -> None:
    with pytest.raises(ValueError, match="is not a Go duration"):
        duration_seconds(text)


def test_helm_values_set_sync_rotation_and_windows_on_both_charts() -> None:
    assert helm_values(sync_secret=True, rotation=True, poll_interval="5m", windows=True) == {
        "windows": {"enabled": True},
        "secrets-store-csi-driver": {
            "syncSecret": {"enabled": True},
            "enableSecretRotation": True,
            "rotationPollInterval": "5m",
            "windows": {"enabled": True},
        },
    }
    off = helm_values(sync_secret=False, rotation=False, poll_interval=None, windows=False)
    assert "rotationPollInterval" not in off["secrets-store-csi-driver"]
    assert (
        helm_values(sync_secret=False, rotation=True, poll_interval=None, windows=False)["secrets-store-csi-driver"][
            "rotationPollInterval"
        ]
        == "2m"
    )


def test_certificate_flags_are_chart_values_only_when_given() -> None:
    plain = helm_values(sync_secret=False, rotation=False, poll_interval=None, windows=False)
    assert "constructPEMChain" not in plain and "writeCertAndKeyInSeparateFiles" not in plain
    given = helm_values(
        sync_secret=False,
        rotation=False,
        poll_interval=None,
        windows=False,
        construct_pem_chain=True,
        write_cert_and_key=True,
        extra={"writeCertAndKeyInSeparateFiles": False},
    )
    assert given["constructPEMChain"] is True and given["writeCertAndKeyInSeparateFiles"] is True


@pytest.mark.parametrize(
    ("install", "setting", "addon_identity", "writes"),
    [
        (DriverInstall.HELM, None, False, False),  # the chart's default
        (DriverInstall.HELM, True, False, True),
        (DriverInstall.HELM, False, True, False),
        (DriverInstall.AKS_ADDON, None, False, True),  # the add-on runs the provider with the flag
        (DriverInstall.NONE, None, False, None),  # an installed driver we know nothing of
        (DriverInstall.NONE, None, True, True),  # the add-on's identity: the add-on's provider
    ],
)
def test_who_writes_certificates_cert_and_key_files(install, setting, addon_identity, writes) -> None:
    assert writes_cert_and_key(install, setting, addon_identity) is writes


def test_extra_values_are_merged_under_ours_and_not_mutated() -> None:
    extra = {"logVerbosity": 2, "secrets-store-csi-driver": {"linux": {"priorityClassName": "system-node-critical"}}}
    values = helm_values(sync_secret=True, rotation=False, poll_interval=None, windows=False, extra=extra)
    assert values["logVerbosity"] == 2
    assert values["secrets-store-csi-driver"]["linux"] == {"priorityClassName": "system-node-critical"}
    assert values["secrets-store-csi-driver"]["syncSecret"] == {"enabled": True}
    assert extra == {
        "logVerbosity": 2,
        "secrets-store-csi-driver": {"linux": {"priorityClassName": "system-node-critical"}},
    }


def test_value_conflicts_name_the_keys_we_own() -> None:
    assert "secrets-store-csi-driver.rotationPollInterval" in managed_value_paths()
    assert value_conflicts({"logVerbosity": 2, "windows": {}}) == []
    assert value_conflicts({"secrets-store-csi-driver": {"enableSecretRotation": True}}) == [
        "secrets-store-csi-driver.enableSecretRotation"
    ]
    assert value_conflicts({"secrets-store-csi-driver": True}) == [
        p for p in managed_value_paths() if p.startswith("secrets-store-csi-driver.")
    ]
    assert value_conflicts({"constructPEMChain": False, "writeCertAndKeyInSeparateFiles": True}) == [
        "constructPEMChain",
        "writeCertAndKeyInSeparateFiles",
    ]


def test_addon_profile_key_is_case_insensitive() -> None:
    assert addon_profile({"azurekeyvaultsecretsprovider": "p"}) == "p"
    assert addon_profile({"omsagent": "x"}) is None
    assert addon_profile(None) is None


def check(enabled=True, config=None, rotation=None, poll_interval=None):
    return addon_problem(
        enabled, config, resource_group="rg", cluster="aks", rotation=rotation, poll_interval=poll_interval
    )


def test_addon_missing_names_the_enable_command() -> None:
    problem = check(enabled=False)
    assert problem is not None
    assert "az aks enable-addons --addons azure-keyvault-secrets-provider -g rg -n aks" in problem


def test_addon_rotation_must_match_what_is_asked() -> None:
    off = {"enableSecretRotation": "false", "rotationPollInterval": "2m"}
    on = {"enableSecretRotation": "true", "rotationPollInterval": "2m"}
    assert check(config=off) is None  # nothing asked
    assert check(config=off, rotation=False) is None
    assert check(config=on, rotation=True, poll_interval="120s") is None  # the same duration
    wrong = check(config=off, rotation=True, poll_interval="5m")
    assert wrong and "az aks addon update --addon azure-keyvault-secrets-provider -g rg -n aks" in wrong
    assert "--enable-secret-rotation --rotation-poll-interval 5m" in wrong
    unwanted = check(config=on, rotation=False)
    assert unwanted and "--disable-secret-rotation" in unwanted
    interval = check(config=on, rotation=True, poll_interval="5m")
    assert interval and "polls every '2m'" in interval and "--rotation-poll-interval 5m" in interval
    assert check(config={"enableSecretRotation": "true"}, rotation=True, poll_interval="2m") is None  # AKS default


def test_objects_digest_changes_with_objects_and_secret_objects_only() -> None:
    base = objects_digest("array:\n  - |\n    objectName: a\n", [])
    assert base == objects_digest("array:\n  - |\n    objectName: a\n", [])
    assert base != objects_digest("array:\n  - |\n    objectName: b\n", [])
    assert base != objects_digest("array:\n  - |\n    objectName: a\n", [{"secretName": "s", "type": "Opaque"}])
    assert len(base) == 64 and int(base, 16) >= 0


def test_the_default_chart_is_the_newest_upstream_release_vendored() -> None:
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    assert (chart["name"], chart["version"]) == (CHART, CHART_VERSION)
    (dependency,) = chart["dependencies"]
    assert dependency["name"] == DRIVER and dependency["condition"] == f"{DRIVER}.install"


def test_every_value_keyvault_csi_sets_exists_in_the_charts_values() -> None:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    for path in managed_value_paths():
        node = values
        for key in path.split("."):
            assert isinstance(node, dict) and key in node, f"{path}: not a value of chart {CHART_VERSION}"
            node = node[key]


@pytest.mark.parametrize(
    ("repository", "source"),
    [
        (None, (CHART, CHART_REPOSITORY)),
        ("https://charts.example.com/mirror", (CHART, "https://charts.example.com/mirror")),
        ("oci://registry.example.com/helm", (f"oci://registry.example.com/helm/{CHART}", None)),
        ("oci://registry.example.com", (f"oci://registry.example.com/{CHART}", None)),
    ],
)
def test_chart_source_names_oci_charts_by_their_full_reference(repository, source) -> None:
    assert chart_source(repository) == source
    assert chart_repository_problem(repository) is None


@pytest.mark.parametrize(
    "repository",
    ["http://charts.example.com", "charts.example.com", "oci://", "https://", "https://a b", "s3://bucket"],
)
def test_chart_repository_must_be_https_or_oci(repository) -> None:
    assert "is not a chart repository" in (chart_repository_problem(repository) or "")


@pytest.mark.parametrize(
    ("version", "older"),
    [
        ("1.8.1", True),
        ("0.9.9", True),
        ("1.8.2-rc.1", True),
        ("1.8.2", False),
        ("1.8.10", False),
        ("2.0.0-rc.1", False),
    ],
)
def test_chart_versions_compare_as_semver(version, older) -> None:
    assert (chart_version_warning(version) is not None) == older


# --- token audiences (docs/azure-rules.md §driver-token-audiences) ------------------------------------------------

WI, IB = "api://AzureADTokenExchange", "api://AKSIdentityBinding"


def tokens(*audiences: str | None) -> dict:
    return {"secrets-store-csi-driver": {"tokenRequests": [{"audience": a} for a in audiences]}}


def test_the_chart_default_requests_both_audiences() -> None:
    assert CHART_TOKEN_AUDIENCES == (WI, IB)
    for kind in (IdentityType.WORKLOAD, IdentityType.IDENTITY_BINDING):
        assert token_requests_problem({}, kind) is None
        assert token_requests_problem({"secrets-store-csi-driver": {"syncSecret": {}}}, kind) is None


@pytest.mark.parametrize(
    ("values", "kind", "fragment"),
    [
        (tokens(WI), IdentityType.IDENTITY_BINDING, f"drops {IB}, which identity type identityBinding needs"),
        (tokens(IB), IdentityType.WORKLOAD, f"drops {WI}, which identity type workload needs"),
        (tokens(), IdentityType.WORKLOAD, f"[] drops {WI}"),
        ({"secrets-store-csi-driver": {"tokenRequests": None}}, IdentityType.IDENTITY_BINDING, f"[] drops {IB}"),
        ({"secrets-store-csi-driver": {"tokenRequests": IB}}, IdentityType.IDENTITY_BINDING, "must be a list"),
    ],
)
def test_values_that_drop_the_needed_audience(values: dict, kind: IdentityType, fragment: str) -> None:
    problem = token_requests_problem(values, kind)
    assert problem is not None and fragment in problem, problem


def test_values_that_keep_the_needed_audience_or_need_none() -> None:
    assert token_requests_problem(tokens("api://custom", IB), IdentityType.IDENTITY_BINDING) is None
    assert token_requests_problem(tokens(WI, "api://custom"), IdentityType.WORKLOAD) is None
    # Node identities read no service-account token.
    assert token_requests_problem(tokens(), IdentityType.KUBELET) is None


@pytest.mark.parametrize(
    ("version", "refused"),
    [("1.7.2", True), ("1.8.0", True), ("1.8.1", False), ("1.8.1-rc.1", False), ("1.10.0", False)],
)
def test_identity_binding_needs_chart_1_8_1(version: str, refused: bool) -> None:
    problem = chart_version_problem(version, IdentityType.IDENTITY_BINDING)
    assert (problem is not None) == refused
    assert chart_version_problem(version, IdentityType.WORKLOAD) is None


def test_what_the_stack_cannot_check_is_said_for_identity_bindings_only() -> None:
    addon = token_audience_warning(DriverInstall.AKS_ADDON, IdentityType.IDENTITY_BINDING)
    assert addon is not None and "v1.7.2" in addon and "useAzureTokenProxy" in addon and IB in addon
    none = token_audience_warning(DriverInstall.NONE, IdentityType.IDENTITY_BINDING)
    assert none is not None and IB in none and "v1.8.1" in none
    assert token_audience_warning(DriverInstall.HELM, IdentityType.IDENTITY_BINDING) is None
    assert token_audience_warning(DriverInstall.AKS_ADDON, IdentityType.WORKLOAD) is None
