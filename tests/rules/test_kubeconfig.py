"""rules.kubeconfig: an AKS Entra ID kubeconfig becomes what `kubelogin convert-kubeconfig -l <mode>` writes.

Expected arguments follow kubelogin v0.2.19 pkg/internal/converter/convert.go (and its convert_test.go):
`get-token --login <mode> --server-id <id>`, then `--cache-dir` if the user had one, then only for spn the
client, tenant and environment read from the user. Every other part of the file is kept.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from keyvault_csi.rules.choices import KubeloginMode
from keyvault_csi.rules.kubeconfig import INSTALL_HINT, KubeconfigError, login_problem, non_interactive
from tests.support import AKS_CLIENT_APP, AKS_ENTRA_KUBECONFIG, AKS_SERVER_APP, REFERENCE, TENANT

AKS_HINT = yaml.safe_load(AKS_ENTRA_KUBECONFIG)["users"][0]["user"]["exec"]["installHint"]
USER = "clusterUser_rg-shop_aks-shop"
SPN_TAIL = ["--client-id", AKS_CLIENT_APP, "--tenant-id", TENANT, "--environment", "AzurePublicCloud"]

# The legacy `azure` auth-provider (listClusterUserCredentials with format=azure, clusters before 1.24).
LEGACY = f"""\
apiVersion: v1
kind: Config
users:
- name: clusterUser_rg_aks
  user:
    auth-provider:
      config:
        apiserver-id: {AKS_SERVER_APP}
        client-id: {AKS_CLIENT_APP}
        config-mode: '1'
        environment: AzurePublicCloud
        tenant-id: {TENANT}
      name: azure
"""

# A cluster with local accounts: a client certificate, nothing to sign in.
LOCAL_ACCOUNTS = """\
apiVersion: v1
kind: Config
users:
- name: clusterUser_rg_aks
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
    token: 0123456789abcdef
"""


def users(kubeconfig: str) -> dict[str, dict[str, Any]]:
    return {u["name"]: u["user"] for u in yaml.safe_load(kubeconfig)["users"]}


def exec_of(kubeconfig: str, user: str = USER) -> dict[str, Any]:
    return users(kubeconfig)[user]["exec"]


def with_user(kubeconfig: str, **changes: Any) -> str:
    document = yaml.safe_load(kubeconfig)
    document["users"][0]["user"]["exec"].update(changes)
    return yaml.safe_dump(document, sort_keys=False)


@pytest.mark.parametrize(
    ("mode", "tail"),
    [
        (KubeloginMode.AZURECLI, []),
        (KubeloginMode.WORKLOADIDENTITY, []),
        (KubeloginMode.MSI, []),
        (KubeloginMode.SPN, SPN_TAIL),
    ],
)
def test_the_aks_devicecode_user_signs_in_with_the_chosen_mode(mode: KubeloginMode, tail: list[str]) -> None:
    converted = non_interactive(AKS_ENTRA_KUBECONFIG, mode)
    assert exec_of(converted) == {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "args": ["get-token", "--login", str(mode), "--server-id", AKS_SERVER_APP, *tail],
        "command": "kubelogin",
        "env": None,
        "installHint": AKS_HINT,  # the user's own hint is kept
        "provideClusterInfo": False,
    }
    assert "devicecode" not in converted
    # Clusters, contexts and everything else stay as AKS wrote them, in the same order.
    before, after = yaml.safe_load(AKS_ENTRA_KUBECONFIG), yaml.safe_load(converted)
    assert list(after) == list(before)
    assert {k: v for k, v in after.items() if k != "users"} == {k: v for k, v in before.items() if k != "users"}


def test_converting_again_changes_nothing() -> None:
    once = non_interactive(AKS_ENTRA_KUBECONFIG, KubeloginMode.SPN)
    assert non_interactive(once, KubeloginMode.SPN) == once
    # ... and a converted kubeconfig can be converted to another mode, as kubelogin allows.
    assert exec_of(non_interactive(once, KubeloginMode.MSI))["args"] == [
        "get-token",
        "--login",
        "msi",
        "--server-id",
        AKS_SERVER_APP,
    ]


def test_kubelogins_documented_sample_without_login_flag_is_converted() -> None:
    # Without --login kubelogin signs in with device code: the documented exec user is interactive too.
    page = (REFERENCE / "kubelogin" / "exec-plugin.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", page, re.DOTALL)
    assert block is not None
    sample = block.group(1)
    converted = exec_of(non_interactive(sample, KubeloginMode.AZURECLI), "user-name")
    assert converted["args"] == ["get-token", "--login", "azurecli", "--server-id", "<AAD server app ID>"]
    assert converted["installHint"] == INSTALL_HINT  # the sample has none: kubelogin's own
    spn = exec_of(non_interactive(sample, KubeloginMode.SPN), "user-name")
    assert spn["args"][5:] == [
        "--client-id",
        "<AAD client app ID>",
        "--tenant-id",
        "<AAD tenant ID>",
        "--environment",
        "AzurePublicCloud",
    ]


@pytest.mark.parametrize(("config_mode", "legacy"), [("1", False), ("0", True), (None, True)])
def test_the_legacy_azure_auth_provider_becomes_a_kubelogin_exec(config_mode: str | None, legacy: bool) -> None:
    document = yaml.safe_load(LEGACY)
    if config_mode is None:
        del document["users"][0]["user"]["auth-provider"]["config"]["config-mode"]
    else:
        document["users"][0]["user"]["auth-provider"]["config"]["config-mode"] = config_mode
    source = yaml.safe_dump(document)
    user = users(non_interactive(source, KubeloginMode.AZURECLI))["clusterUser_rg_aks"]
    assert "auth-provider" not in user
    assert user["exec"]["args"] == ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_APP]
    assert user["exec"]["installHint"] == INSTALL_HINT
    # AAD v1 (config-mode 0 or unset) keeps its spn: audience with --legacy, for spn only.
    spn = users(non_interactive(source, KubeloginMode.SPN))["clusterUser_rg_aks"]["exec"]["args"]
    assert spn[5:] == [*SPN_TAIL, *(["--legacy"] if legacy else [])]


@pytest.mark.parametrize(
    "kubeconfig",
    [
        LOCAL_ACCOUNTS,
        # Another exec plugin is none of kubelogin's business.
        with_user(AKS_ENTRA_KUBECONFIG, command="gke-gcloud-auth-plugin", args=["--login", "devicecode"]),
        "# <aks.kubeconfig>\n",  # the offline plan's stand-in: not a mapping
        "",
    ],
)
def test_a_kubeconfig_without_an_entra_user_comes_back_byte_for_byte(kubeconfig: str) -> None:
    assert non_interactive(kubeconfig, KubeloginMode.AZURECLI) == kubeconfig


def test_any_kubelogin_command_is_recognised_and_rewritten_to_kubelogin() -> None:
    source = with_user(AKS_ENTRA_KUBECONFIG, command="/usr/local/bin/KubeLogin.exe")
    assert exec_of(non_interactive(source, KubeloginMode.MSI))["command"] == "kubelogin"


def test_only_the_users_that_sign_in_with_entra_change() -> None:
    document = yaml.safe_load(AKS_ENTRA_KUBECONFIG)
    document["users"].append(yaml.safe_load(LOCAL_ACCOUNTS)["users"][0])
    converted = users(non_interactive(yaml.safe_dump(document), KubeloginMode.AZURECLI))
    assert converted["clusterUser_rg_aks"] == yaml.safe_load(LOCAL_ACCOUNTS)["users"][0]["user"]
    assert converted[USER]["exec"]["args"][2] == "azurecli"


def test_a_context_limits_the_conversion_to_its_user() -> None:
    document = yaml.safe_load(AKS_ENTRA_KUBECONFIG)
    other = {"name": "other", "user": yaml.safe_load(AKS_ENTRA_KUBECONFIG)["users"][0]["user"]}
    document["users"].append(other)
    document["contexts"].append({"name": "other", "context": {"cluster": "aks-shop", "user": "other"}})
    source = yaml.safe_dump(document)
    converted = users(non_interactive(source, KubeloginMode.AZURECLI, context="aks-shop"))
    assert converted[USER]["exec"]["args"][2] == "azurecli"
    assert converted["other"]["exec"]["args"][-1] == "devicecode"  # another context's user is left alone
    with pytest.raises(KubeconfigError, match="has no context named 'missing'"):
        non_interactive(source, KubeloginMode.AZURECLI, context="missing")


def test_a_token_cache_folder_is_kept() -> None:
    for flag in ("--cache-dir", "--token-cache-dir"):
        source = with_user(AKS_ENTRA_KUBECONFIG, args=[*exec_of(AKS_ENTRA_KUBECONFIG)["args"], flag, "/tmp/kube"])
        args = exec_of(non_interactive(source, KubeloginMode.AZURECLI))["args"]
        assert args == ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_APP, "--cache-dir", "/tmp/kube"]


def test_proof_of_possession_flags_come_together_or_fail() -> None:
    base = exec_of(AKS_ENTRA_KUBECONFIG)["args"]
    both = with_user(AKS_ENTRA_KUBECONFIG, args=[*base, "--pop-enabled", "--pop-claims", "u=/cluster/id"])
    assert exec_of(non_interactive(both, KubeloginMode.SPN))["args"][-3:] == [
        "--pop-enabled",
        "--pop-claims",
        "u=/cluster/id",
    ]
    half = with_user(AKS_ENTRA_KUBECONFIG, args=[*base, "--pop-enabled"])
    with pytest.raises(KubeconfigError, match="--pop-claims is required when specifying --pop-enabled"):
        non_interactive(half, KubeloginMode.SPN)
    assert "--pop-enabled" not in exec_of(non_interactive(half, KubeloginMode.AZURECLI))["args"]


@pytest.mark.parametrize(
    ("drop", "mode", "message"),
    [
        ("--server-id", KubeloginMode.AZURECLI, "--server-id is required"),
        ("--client-id", KubeloginMode.SPN, "--client-id is required"),
        ("--tenant-id", KubeloginMode.SPN, "--tenant-id is required"),
    ],
)
def test_what_kubelogin_requires_is_required(drop: str, mode: KubeloginMode, message: str) -> None:
    args = exec_of(AKS_ENTRA_KUBECONFIG)["args"]
    index = args.index(drop)
    source = with_user(AKS_ENTRA_KUBECONFIG, args=args[:index] + args[index + 2 :])
    with pytest.raises(KubeconfigError, match=f"user '{USER}': {message}"):
        non_interactive(source, mode)
    if drop != "--server-id":
        non_interactive(source, KubeloginMode.AZURECLI)  # only spn reads the client and tenant


def test_broken_yaml_is_reported_without_quoting_the_file() -> None:
    broken = "users:\n- name: u\n  user: {token: s3cr3t-token\n"
    with pytest.raises(KubeconfigError) as caught:
        non_interactive(broken, KubeloginMode.AZURECLI)
    assert str(caught.value).startswith("is not valid YAML (line ") and "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("azurecli", None),
        (None, None),
        ("devicecode", "'devicecode' signs in interactively"),
        ("interactive", "'interactive' signs in interactively"),
        ("ropc", "'ropc' is not a kubelogin mode keyvault-csi uses"),
    ],
)
def test_login_modes_that_need_a_person_are_refused_with_the_reason(value: str | None, expected: str | None) -> None:
    problem = login_problem(value)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(expected)
        assert problem.endswith("allowed: azurecli, workloadidentity, spn, msi (docs/entra-id.md)")
