"""keyvault-csi:driver, identity type aksAddon and workloads[].deployment: every bad combination is a config error."""

from __future__ import annotations

from typing import Any

import pytest

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.program.stack import validate_stack_settings
from tests.support import RELEASE, SPC, assert_run_error, base_settings, run_program

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
        (
            {"install": "aksAddon", "chartRepository": "oci://acr.azurecr.io/helm", "timeout": 600, "atomic": True},
            {},
            [
                "keyvault-csi:driver.chartRepository: only with install helm (got install 'aksAddon')",
                "keyvault-csi:driver.timeout: only with install helm",
                "keyvault-csi:driver.atomic: only with install helm",
            ],
        ),
        ({"atomic": False}, {}, ["keyvault-csi:driver.atomic: only with install helm (got install 'none')"]),
        (
            {"install": "helm", "chartRepository": "http://charts.example.com"},
            {},
            ["keyvault-csi:driver.chartRepository: 'http://charts.example.com' is not a chart repository; allowed:"],
        ),
        (
            {"install": "helm", "chartRepository": "myregistry.azurecr.io/helm"},
            {},
            ["an https:// Helm repository URL", "or an oci:// registry path"],
        ),
        (
            {"install": "helm", "chartRepository": "https://charts.example.com/?token=x"},
            {},
            ["keyvault-csi:driver.chartRepository: 'https://charts.example.com/?token=x' has a query or fragment"],
        ),
        (
            {"install": "helm", "timeout": "10m"},
            {},
            ["keyvault-csi:driver.timeout: '10m' is not a whole number of seconds; e.g. 600 (default 300)"],
        ),
        ({"install": "helm", "timeout": True}, {}, ["keyvault-csi:driver.timeout: true is not a whole number"]),
        (
            {"install": "helm", "timeout": 0},
            {},
            ["keyvault-csi:driver.timeout: 0 must be a positive number of seconds"],
        ),
        ({"install": "helm", "atomic": "yes"}, {}, ["keyvault-csi:driver.atomic"]),
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


# --- several vaults (keyVaults) ---------------------------------------------------------------------


def two_vaults(*objects: dict[str, Any]) -> dict[str, Any]:
    settings = base_settings("kubelet")
    del settings["keyVault"]
    settings["keyVaults"] = {
        "shared": {"name": "kv-shared", "resourceGroup": "rg-shared", "permissionModel": "rbac"},
        "team": {"name": "kv-team", "resourceGroup": "rg-team", "permissionModel": "accessPolicy"},
    }
    settings["workloads"][0]["objects"] = list(objects) or [
        {"objectName": "a", "objectType": "secret", "keyVault": "shared"},
        {"objectName": "b", "objectType": "secret", "keyVault": "team"},
    ]
    return settings


def test_several_vaults_pass_and_python_spelling_means_the_same() -> None:
    assert_run_error(two_vaults(), [])
    snake = two_vaults()
    snake["key_vaults"] = snake.pop("keyVaults")
    for obj in snake["workloads"][0]["objects"]:
        obj["key_vault"] = obj.pop("keyVault")
    assert validate_settings(snake).vaults() == validate_settings(two_vaults()).vaults()


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda s: s.update(keyVault={"name": "kvname", "resourceGroup": "rg"}),
            "keyVault: set keyVault (one vault) or keyVaults (several, by key); got both",
        ),
        (
            lambda s: s.pop("keyVaults"),
            "keyVault: set keyVault (one vault) or keyVaults (several, by key); got neither",
        ),
        (
            lambda s: s["workloads"][0]["objects"][0].pop("keyVault"),
            "workloads[0].objects[0].keyVault: required with several vaults; one of: shared, team",
        ),
        (
            lambda s: s["workloads"][0]["objects"][0].update(keyVault="other"),
            "workloads[0].objects[0].keyVault: 'other' is not a key of keyVaults; allowed: shared, team",
        ),
        (
            lambda s: s["keyVaults"].update(unused={"name": "kv-unused", "resourceGroup": "rg"}),
            "keyVaults.unused: no object is read from this vault (objects[].keyVault); drop it",
        ),
        (
            lambda s: s["keyVaults"]["team"].update(name="kv-shared", resourceGroup="RG-shared"),
            "keyVaults: vault rg-shared/kv-shared is listed under 2 keys (shared, team); keep one",
        ),
        (
            lambda s: s["keyVaults"].update({"Bad_Key": s["keyVaults"].pop("team")}),
            "keyVaults.Bad_Key: 'Bad_Key' is not a vault key",
        ),
    ],
)
def test_several_vaults_mistakes_name_their_key(change: Any, fragment: str) -> None:
    settings = two_vaults()
    change(settings)
    assert_run_error(settings, [f"keyvault-csi:{fragment}"])


def test_one_vault_refuses_an_objects_vault_key() -> None:
    settings = base_settings("kubelet")
    settings["workloads"][0]["objects"][0]["keyVault"] = "team"
    assert_run_error(
        settings,
        [
            "keyvault-csi:workloads[0].objects[0].keyVault: names a vault of keyVaults; "
            "with keyVault (one vault) drop it"
        ],
    )


def test_files_collide_only_within_one_vaults_mount() -> None:
    same_file = two_vaults(
        {"objectName": "db", "objectType": "secret", "keyVault": "shared"},
        {"objectName": "db", "objectType": "secret", "keyVault": "team"},
    )
    assert_run_error(same_file, [])
    collide = two_vaults(
        {"objectName": "db", "objectType": "secret", "keyVault": "team"},
        {"objectName": "other", "objectType": "secret", "keyVault": "shared"},
        {"objectName": "db", "objectType": "key", "keyVault": "team"},
    )
    assert_run_error(collide, ["keyvault-csi:workloads[0]: objects [0, 2] all write the file 'db'"])


def test_an_object_without_key_is_in_the_only_vault_of_key_vaults() -> None:
    settings = two_vaults(
        {"objectName": "db", "objectType": "secret", "keyVault": "team"},
        {"objectName": "db", "objectType": "key"},
    )
    del settings["keyVaults"]["shared"]
    assert_run_error(
        settings,
        ["keyvault-csi:workloads[0].objects: objects [0, 1] all write the file 'db'; give them distinct objectAlias"],
    )


def test_a_synced_secret_copies_the_files_of_one_vault() -> None:
    settings = two_vaults()
    settings["workloads"][0]["secretObjects"] = [
        {"secretName": "both", "data": [{"objectName": "a", "key": "a"}, {"objectName": "b", "key": "b"}]}
    ]
    assert_run_error(
        settings,
        [
            "keyvault-csi:workloads[0].secretObjects[0]: copies files from the vaults shared, team; the driver syncs "
            "a Secret from the files of one class (one vault): split it into one Secret per vault"
        ],
    )


def test_mount_paths_are_checked_for_the_pods_os() -> None:
    settings = two_vaults()
    settings["workloads"][0]["pod"]["mountPaths"] = {"shared": "relative/path"}
    assert_run_error(
        settings, ["workloads[0].pod: mountPaths.shared: mountPath 'relative/path' is not allowed on linux"]
    )


# --- one cloud: each class's cloudName is the cloud its vault is declared in (docs/azure-rules.md §clouds) ---

STACK_FILE = "/etc/kubernetes/azurestackcloud.json"


def in_cloud(
    cloud: str, environment: str | None = None, driver: dict[str, Any] | None = None, **workload: Any
) -> dict[str, Any]:
    settings = with_driver(driver or {}, cloudName=cloud, **workload)
    if environment is not None:
        settings["environment"] = environment
    return settings


@pytest.mark.parametrize(
    ("cloud", "environment"),
    [
        ("", None),
        ("AzurePublicCloud", "public"),
        ("azurecloud", "public"),
        ("AzureUSGovernmentCloud", "usgovernment"),
        ("AZUREUSGOVERNMENT", "usgovernment"),
        ("AzureChinaCloud", "china"),
    ],
)
def test_a_cloud_name_of_the_vaults_cloud_is_accepted_in_any_letter_case(cloud: str, environment: str | None) -> None:
    assert_run_error(in_cloud(cloud, environment), [])


@pytest.mark.parametrize(
    ("cloud", "environment", "fragments"),
    [
        (
            "AzureChinaCloud",
            None,
            [
                "keyvault-csi:workloads[0].cloudName: 'AzureChinaCloud' is the Azure China cloud (21Vianet), but the "
                "vault, identity and grants are declared in the Azure public cloud (environment 'public'",
                "allowed: '' (the default: this cloud), AzurePublicCloud, AzureCloud or AzureStackCloud",
                "or set environment to 'china'",
            ],
        ),
        (
            "AzureCloud",
            "usgovernment",
            [
                "keyvault-csi:workloads[0].cloudName: 'AzureCloud' is the Azure public cloud",
                "allowed: '' (the default: this cloud), AzureUSGovernmentCloud, AzureUSGovernment or AzureStackCloud",
            ],
        ),
        ("AzureUSGovernment", "china", ["AzureChinaCloud or AzureStackCloud", "environment to 'usgovernment'"]),
    ],
)
def test_a_cloud_name_of_another_cloud_is_refused(cloud: str, environment: str | None, fragments: list[str]) -> None:
    assert_run_error(in_cloud(cloud, environment), fragments)


@pytest.mark.parametrize(
    ("environment", "rendered"),
    [("public", None), ("usgovernment", "AzureUSGovernmentCloud"), ("china", "AzureChinaCloud")],
)
def test_an_empty_cloud_name_is_rendered_as_the_vaults_cloud(environment: str, rendered: str | None) -> None:
    (spc,) = run_program(in_cloud("", environment)).by_type(SPC)
    assert spc.inputs["spec"]["parameters"].get("cloudName") == rendered


@pytest.mark.parametrize("cloud", ["AzureGermanCloud", "azuregermancloud"])
def test_the_closed_german_cloud_is_refused_with_its_closing_date(cloud: str) -> None:
    where = "keyvault-csi:workloads[0].cloudName"
    assert_run_error(
        in_cloud(cloud), [f"{where}: '{cloud}' is refused: Microsoft Cloud Deutschland closed on 2021-10-29"]
    )


@pytest.mark.parametrize("environment", ["public", "usgovernment", "china"])
def test_azure_stack_is_accepted_with_any_environment(environment: str) -> None:
    # Its endpoints are in a file on the nodes: nothing can compare them at preview.
    assert_run_error(in_cloud("AzureStackCloud", environment, cloudEnvFileName=STACK_FILE), [])


def test_azure_stack_with_the_aks_addon_is_refused() -> None:
    assert_run_error(
        in_cloud("AzureStackCloud", driver={"install": "aksAddon"}, cloudEnvFileName=STACK_FILE),
        [
            "keyvault-csi:workloads[0].cloudName: AzureStackCloud is read from cloudEnvFileName inside the provider "
            "pods, and the AKS add-on's provider pods cannot mount a file from the nodes",
            "use driver.install helm",
        ],
    )


def test_azure_stack_needs_an_absolute_env_file() -> None:
    assert_run_error(
        in_cloud("AzureStackCloud", cloudEnvFileName="azurestackcloud.json"),
        ["keyvault-csi:workloads[0].cloudEnvFileName: 'azurestackcloud.json' is not an absolute linux path"],
    )


def host_folders_of(settings: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """(linux.volumes, linux.volumeMounts) of the driver's Helm release."""
    (release,) = run_program(settings).by_type(RELEASE)
    linux = release.inputs["values"].get("linux", {})
    return linux.get("volumes", []), linux.get("volumeMounts", [])


def test_helm_mounts_the_env_files_folder_into_the_provider_pods_by_default() -> None:
    volumes, mounts = host_folders_of(
        in_cloud("AzureStackCloud", driver={"install": "helm"}, cloudEnvFileName=STACK_FILE)
    )
    assert volumes == [{"name": "keyvault-csi-host-0", "hostPath": {"path": "/etc/kubernetes", "type": "Directory"}}]
    assert mounts == [{"name": "keyvault-csi-host-0", "mountPath": "/etc/kubernetes", "readOnly": True}]
    assert host_folders_of(with_driver({"install": "helm"})) == ([], [])


def test_provider_host_folders_replace_the_default_and_must_hold_the_env_file() -> None:
    settings = in_cloud(
        "AzureStackCloud",
        driver={"install": "helm", "providerHostFolders": ["/etc/kubernetes", "/etc/ssl/certs"]},
        cloudEnvFileName=STACK_FILE,
    )
    volumes, mounts = host_folders_of(settings)
    assert [m["mountPath"] for m in mounts] == ["/etc/kubernetes", "/etc/ssl/certs"]
    settings["driver"]["providerHostFolders"] = ["/etc/ssl/certs"]
    assert_run_error(
        settings,
        [
            "keyvault-csi:workloads[0].cloudEnvFileName: '/etc/kubernetes/azurestackcloud.json' is read inside the "
            "provider pods, which mount only /provider and the folders of driver.providerHostFolders "
            "('/etc/ssl/certs'); add '/etc/kubernetes' to driver.providerHostFolders"
        ],
    )


def test_user_values_that_mount_the_env_file_are_accepted_instead() -> None:
    values = {
        "linux": {
            "volumes": [{"name": "env", "hostPath": {"path": "/etc/kubernetes"}}],
            "volumeMounts": [{"name": "env", "mountPath": STACK_FILE, "subPath": "azurestackcloud.json"}],
        }
    }
    settings = in_cloud("AzureStackCloud", driver={"install": "helm", "values": values}, cloudEnvFileName=STACK_FILE)
    assert host_folders_of(settings) == (values["linux"]["volumes"], values["linux"]["volumeMounts"])
    settings["driver"]["values"]["linux"]["volumeMounts"][0]["mountPath"] = "/cloudEnv/azurestackcloud.json"
    assert_run_error(settings, ["keyvault-csi:workloads[0].cloudEnvFileName: '/etc/kubernetes/azurestackcloud.json'"])
    settings["driver"]["providerHostFolders"] = ["/etc/kubernetes"]  # keyvault-csi's volumes would replace the user's
    assert_run_error(settings, ["keyvault-csi:driver.values.linux.volumes: set by keyvault-csi"])


WINDOWS_PODS = {
    "pod": {"pod": {"os": "windows", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}},
    "own-pods": {"os": "windows", "pod": None},  # a class mounted by your own Windows Pods
}


@pytest.mark.parametrize("windows", WINDOWS_PODS.values(), ids=WINDOWS_PODS)
def test_a_windows_pod_on_azure_stack_needs_the_file_mounted_through_windows_values(windows: dict[str, Any]) -> None:
    path = "C:\\k\\azurestackcloud.json"
    settings = in_cloud("AzureStackCloud", driver={"install": "helm"}, cloudEnvFileName=path, **windows)
    assert_run_error(
        settings,
        [
            "keyvault-csi:workloads[0].cloudEnvFileName: 'C:\\\\k\\\\azurestackcloud.json' is read inside the Windows "
            "provider pods",
            "mount it with driver.values windows.volumes and windows.volumeMounts",
        ],
    )
    settings["driver"]["values"] = {"windows": {"volumeMounts": [{"name": "env", "mountPath": "c:/k"}]}}
    assert_run_error(settings, [])


@pytest.mark.parametrize(
    ("folders", "fragment"),
    [
        (["/"], "'/' would hide the provider's own files"),
        (["/provider/x"], "'/provider/x' would hide the provider's own files"),
        (["etc/kubernetes"], "'etc/kubernetes' is not an absolute path"),
        (["/etc/kubernetes/"], "'/etc/kubernetes/' is not a clean path; write it as '/etc/kubernetes'"),
        (["/etc/a", "/etc/a"], "'/etc/a' is listed 2 times"),
    ],
)
def test_provider_host_folders_must_be_mountable(folders: list[str], fragment: str) -> None:
    assert_run_error(
        with_driver({"install": "helm", "providerHostFolders": folders}),
        [f"keyvault-csi:driver.providerHostFolders: {fragment}"],
    )


def test_provider_host_folders_only_with_helm() -> None:
    assert_run_error(
        with_driver({"providerHostFolders": ["/etc/kubernetes"]}),
        ["keyvault-csi:driver.providerHostFolders: only with install helm (got install 'none')"],
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
