"""Pure driver rules: Go durations, the chart's values, the add-on check (docs/azure-rules.md §driver-addon, §driver-helm)."""

from __future__ import annotations

import pytest

from keyvault_csi.rules.choices import DriverInstall, IdentityType
from keyvault_csi.rules.driver import (
    CHART_TOKEN_AUDIENCES,
    addon_problem,
    addon_profile,
    chart_version_problem,
    duration_seconds,
    helm_values,
    managed_value_paths,
    token_audience_warning,
    token_requests_problem,
    value_conflicts,
)
from keyvault_csi.rules.rollout import objects_digest


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
    assert value_conflicts({"secrets-store-csi-driver": True}) == managed_value_paths()[1:]


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
