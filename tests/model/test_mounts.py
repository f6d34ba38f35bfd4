"""What a workload's mount writes, checked across keys: file paths per node OS, certificates' .crt/.key files,
the driver's status-object name and its certificate flags; and the warnings for what plan cannot decide."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from keyvault_csi.model.mounts import mount_warnings
from keyvault_csi.model.settings import DriverSettings
from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.driver import CONSTRUCT_PEM_CHAIN, WRITE_CERT_AND_KEY
from tests.support import assert_run_error, base_settings

W = "keyvault-csi:workloads[0]"
WINDOWS_POD = {"os": "windows", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}


def settings_with(identity: str = "kubelet", driver: dict[str, Any] | None = None, **workload: Any) -> dict[str, Any]:
    settings = base_settings(identity)
    settings["workloads"][0].update(copy.deepcopy(workload))
    if driver is not None:
        settings["driver"] = driver
    return settings


def windows(**workload: Any) -> dict[str, Any]:
    return settings_with(pod=WINDOWS_POD, **workload)


# --- file paths per node OS ---------------------------------------------------------------------------------


def test_a_windows_pod_takes_backslash_paths_and_their_versions() -> None:
    objects = [
        {"objectName": "secret1", "objectType": "secret", "objectAlias": "conf\\secret1"},
        {"objectName": "history", "objectType": "secret", "objectVersionHistory": 2},
    ]
    sync = [{"secretName": "app", "data": [{"objectName": "history\\0", "key": "current"}]}]
    assert_run_error(windows(objects=objects, secretObjects=sync), [])


@pytest.mark.parametrize(
    ("alias", "fragments"),
    [
        (
            "conf/secret1",
            [
                f"{W}.objects[0].objectAlias: 'conf/secret1' uses '/', which the driver on Windows nodes refuses",
                "write it 'conf\\secret1' (the class is mounted on windows nodes: pod.os)",
            ],
        ),
        ("secret?1", [f"{W}.objects[0].objectAlias: 'secret?1' contains ?, which Windows refuses"]),
        ("conf\\\\secret1", [f"{W}.objects[0].objectAlias", "must be a clean path on Windows nodes"]),
        ("NUL", [f"{W}.objects[0].objectAlias", "names a Windows device ('NUL')"]),
    ],
)
def test_windows_paths_are_refused_with_the_windows_spelling(alias: str, fragments: list[str]) -> None:
    objects = [{"objectName": "secret1", "objectType": "secret", "objectAlias": alias}]
    assert_run_error(windows(objects=objects), fragments)
    assert_run_error(settings_with(objects=objects), [])  # a Linux node writes each of them


def test_a_windows_versioned_file_is_synced_with_a_backslash() -> None:
    objects = [{"objectName": "history", "objectType": "secret", "objectVersionHistory": 2}]
    sync = [{"secretName": "app", "data": [{"objectName": "history/0", "key": "current"}]}]
    assert_run_error(
        windows(objects=objects, secretObjects=sync),
        [
            f"{W}.secretObjects[0].data[0].objectName: 'history/0' is not a mounted file; on windows nodes the file "
            "is written 'history\\0', use that"
        ],
    )


def test_an_object_name_windows_reserves_needs_an_alias() -> None:
    objects = [{"objectName": "aux", "objectType": "secret"}]
    assert_run_error(
        windows(objects=objects),
        [f"{W}.objects[0].objectName: 'aux' is also the file name, which Windows reserves", "set objectAlias"],
    )
    assert_run_error(windows(objects=[{**objects[0], "objectAlias": "aux-secret"}]), [])


def test_a_class_for_your_own_windows_pods_says_so_with_os() -> None:
    objects = [{"objectName": "secret1", "objectType": "secret", "objectAlias": "conf/secret1"}]
    assert_run_error(settings_with(pod=None, objects=objects), [])
    assert_run_error(
        settings_with(pod=None, os="windows", objects=objects),
        [f"{W}.objects[0].objectAlias", "(the class is mounted on windows nodes: os)"],
    )
    assert_run_error(
        settings_with(os="windows"),
        [f"{W}: os is for a class mounted by your own Pods; this workload's Pods run on pod.os"],
    )
    assert_run_error(
        settings_with(pod=None, os="windows", driver={"install": "helm", "windows": False}),
        [f"{W}.os: windows, but driver.windows is false"],
    )


def test_directory_conflicts_follow_the_windows_separator() -> None:
    objects = [
        {"objectName": "conf", "objectType": "secret"},
        {"objectName": "secret1", "objectType": "secret", "objectAlias": "conf\\secret1"},
    ]
    assert_run_error(settings_with(objects=objects), [])  # on Linux 'conf\secret1' is a file beside 'conf'
    assert_run_error(
        windows(objects=objects),
        [f"{W}: objects[0] writes the file 'conf', which objects[1] ('conf\\secret1') needs as a directory"],
    )


# --- certificates' cert and key files ------------------------------------------------------------------------

CERT_AND_CRT = [
    {"objectName": "tls", "objectType": "secret"},
    {"objectName": "ca", "objectType": "cert", "objectAlias": "tls.crt"},
]


@pytest.mark.parametrize(
    ("identity", "driver"),
    [("aksAddon", {"install": "aksAddon"}), ("kubelet", {"install": "helm", "writeCertAndKeyInSeparateFiles": True})],
)
def test_certificate_files_collide_where_the_driver_writes_them(identity: str, driver: dict[str, Any]) -> None:
    assert_run_error(
        settings_with(identity, driver, objects=CERT_AND_CRT),
        [
            f"{W}.objects: objects [0, 1] all write the file 'tls.crt' (objects[0] writes it as the .crt of 'tls'",
            "the provider also writes <file>.crt and <file>.key beside a secret object",
        ],
    )


def test_certificate_files_are_synced_only_where_the_driver_writes_them() -> None:
    objects = [{"objectName": "tls", "objectType": "secret"}]
    sync = [{"secretName": "tls", "data": [{"objectName": "tls.crt", "key": "ca.crt"}]}]
    helm = {"install": "helm", "writeCertAndKeyInSeparateFiles": True}
    assert_run_error(settings_with("kubelet", helm, objects=objects, secretObjects=sync), [])
    assert_run_error(
        settings_with("kubelet", {"install": "helm"}, objects=objects, secretObjects=sync),
        [
            f"{W}.secretObjects[0].data[0].objectName: 'tls.crt' is not a mounted file; the provider writes 'tls.crt' "
            "only with driver.writeCertAndKeyInSeparateFiles true"
        ],
    )


@pytest.mark.parametrize(
    ("driver", "fragment"),
    [
        (
            {"install": "aksAddon", "constructPEMChain": True},
            "driver.constructPEMChain: the AKS add-on runs the provider",
        ),
        (
            {"install": "aksAddon", "writeCertAndKeyInSeparateFiles": False},
            "driver.writeCertAndKeyInSeparateFiles: the AKS add-on runs the provider with --construct-pem-chain=true "
            "and --write-cert-and-key-in-separate-files=true and has no setting to change them; drop it",
        ),
        ({"writeCertAndKeyInSeparateFiles": True}, "driver.writeCertAndKeyInSeparateFiles: only with install helm"),
        (
            {"install": "helm", "constructPEMChain": False},
            "driver.constructPEMChain: false cannot be set: the chart passes --construct-pem-chain only when "
            "constructPEMChain is true",
        ),
        (
            {"install": "helm", "values": {"writeCertAndKeyInSeparateFiles": True}},
            "driver.values.writeCertAndKeyInSeparateFiles: set by keyvault-csi",
        ),
    ],
)
def test_certificate_flags_only_where_they_take_effect(driver: dict[str, Any], fragment: str) -> None:
    identity = "aksAddon" if driver.get("install") == "aksAddon" else "kubelet"
    assert_run_error(settings_with(identity, driver), [f"keyvault-csi:{fragment}"])


def test_certificate_flags_are_typed_helm_settings() -> None:
    # Spelt as the chart's values: constructPEMChain, not to_camel's constructPemChain.
    fields = DriverSettings.model_fields
    assert (fields["construct_pem_chain"].alias, fields["write_cert_and_key_in_separate_files"].alias) == (
        CONSTRUCT_PEM_CHAIN,
        WRITE_CERT_AND_KEY,
    )
    driver = {"install": "helm", "constructPEMChain": True, "writeCertAndKeyInSeparateFiles": True}
    settings = validate_settings(settings_with("kubelet", driver))
    assert settings.driver.construct_pem_chain is True and settings.cert_and_key_files() is True
    assert validate_settings(settings_with("kubelet", {"install": "helm"})).cert_and_key_files() is False
    assert validate_settings(settings_with("kubelet")).cert_and_key_files() is None


# --- the driver's status object --------------------------------------------------------------------------------


def test_a_pod_whose_status_object_name_is_too_long_is_refused() -> None:
    pod = {"name": "p" * 120, "image": "nginx"}
    assert_run_error(settings_with(pod=pod, secretProviderClass="c" * 127, namespace="shop"), [])  # 253
    assert_run_error(
        settings_with(pod=pod, secretProviderClass="c" * 128, namespace="shop"),
        [
            f"{W}.pod: the driver names its status object for each mount <pod>-<namespace>-<class>: Pod 120, "
            "namespace 4 and class 128 characters make 254; a Kubernetes name holds at most 253, so every mount "
            "would fail after writing the files; shorten pod.name, namespace or secretProviderClass"
        ],
    )


def test_a_deployments_pods_are_checked_at_their_longest_generated_name() -> None:
    deployment = {"name": "web", "image": "nginx"}
    # 'web': Pods of up to 20 characters; 60 characters: up to 63, with namespace 'default' 7 and the class 185.
    assert_run_error(settings_with(pod=None, deployment=deployment, secretProviderClass="c" * 185), [])
    assert_run_error(
        settings_with(pod=None, deployment={**deployment, "name": "d" * 60}, secretProviderClass="c" * 185),
        [
            f"{W}.deployment: the driver names its status object for each mount <pod>-<namespace>-<class>: Pods "
            "named up to 63 (<deployment>-<hash>-<5 random>), namespace 7 and class 185 characters make 257",
            "shorten namespace or secretProviderClass",
        ],
    )


# --- warnings ---------------------------------------------------------------------------------------------------


def test_names_that_differ_only_in_case_are_a_warning_on_windows() -> None:
    objects = [
        {"objectName": "secret1", "objectType": "secret", "objectAlias": "App.pem"},
        {"objectName": "secret2", "objectType": "secret", "objectAlias": "app.pem"},
    ]
    assert mount_warnings(validate_settings(windows(objects=objects))) == [
        "workloads[0].objects: 'App.pem' and 'app.pem' differ only in letter case: on Windows nodes (NTFS ignores "
        "case) they are one file and one object's content replaces the other's; use names that differ in more than "
        "case"
    ]
    assert mount_warnings(validate_settings(settings_with(objects=objects))) == []


def in_two_vaults(settings: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``settings`` with keyVaults shared and team, its first workload's objects read from ``keys`` in turn."""
    del settings["keyVault"]
    settings["keyVaults"] = {
        "shared": {"name": "kv-shared", "resourceGroup": "rg-shared", "permissionModel": "rbac"},
        "team": {"name": "kv-team", "resourceGroup": "rg-team", "permissionModel": "rbac"},
    }
    for obj, key in zip(settings["workloads"][0]["objects"], keys, strict=True):
        obj["keyVault"] = key
    return settings


def test_files_of_different_vaults_are_different_mounts() -> None:
    # Each vault's objects are a volume of their own (<mountPath>/<key>): their files never meet.
    same = [{"objectName": "tls", "objectType": "secret"}, {"objectName": "tls", "objectType": "secret"}]
    helm = {"install": "helm", "writeCertAndKeyInSeparateFiles": True}
    assert_run_error(in_two_vaults(settings_with(driver=helm, objects=same), "shared", "team"), [])
    assert mount_warnings(validate_settings(in_two_vaults(settings_with(objects=same), "shared", "team"))) == []
    cased = [{"objectName": "App", "objectType": "secret"}, {"objectName": "app", "objectType": "secret"}]
    assert mount_warnings(validate_settings(in_two_vaults(windows(objects=cased), "shared", "team"))) == []
    cased.append({"objectName": "other", "objectType": "secret"})
    (warning,) = mount_warnings(validate_settings(in_two_vaults(windows(objects=cased), "team", "team", "shared")))
    assert warning.startswith("workloads[0].objects: 'App' and 'app' differ only in letter case")


def test_a_driver_we_do_not_install_may_write_certificate_files() -> None:
    (warning,) = mount_warnings(validate_settings(settings_with(objects=CERT_AND_CRT)))
    assert warning.startswith("workloads[0].objects: objects [0, 1] all write the file 'tls.crt'")
    assert "if the installed driver writes certificates' cert and key in separate files" in warning
    sync = [{"secretName": "tls", "data": [{"objectName": "tls.crt", "key": "ca.crt"}]}]
    objects = CERT_AND_CRT[:1]
    (warning,) = mount_warnings(validate_settings(settings_with(objects=objects, secretObjects=sync)))
    assert warning.startswith("workloads[0].secretObjects[0].data[0].objectName: 'tls.crt' exists only if")
    assert mount_warnings(validate_settings(settings_with("kubelet", {"install": "helm"}, objects=CERT_AND_CRT))) == []
