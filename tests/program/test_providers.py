"""No secret material anywhere it could be read in plain text: resource inputs and outputs, invoke
arguments and stack outputs of every shipped stack; the kubeconfig only ever inside a secret.
Also which resources are protected and retained, because running pods depend on them."""

from __future__ import annotations

import base64
import json
import re
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.choices import KubeloginMode
from keyvault_csi.rules.kubeconfig import non_interactive
from keyvault_csi.testing import KeyVaultCsiMocks
from keyvault_csi.testing.mockgraph import Graph, evaluate
from tests.support import (
    AKS_ENTRA_KUBECONFIG,
    AKS_SERVER_APP,
    IDENTITY,
    ROOT,
    as_stack_config,
    base_settings,
    run_program,
    stack_graph,
)
from tools.review.stackfile import available_stacks

STACKS = available_stacks()
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster: {certificate-authority-data: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0, server: 'https://aks.example:443'}
  name: aks
users:
- name: clusterUser
  user: {token: 0123456789abcdef0123456789abcdef}
"""
# What secret material looks like in a value; each pattern is specific enough not to hit names.
MATERIAL = {
    "kubeconfig": re.compile(
        r"kind:\s*Config|client-key-data|client-certificate-data|certificate-authority-data|<\w[\w-]*\.kubeconfig>"
    ),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\."),
    "Entra client secret": re.compile(r"[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}"),
    "encrypted stack config": re.compile(r"<secret [^>]+>"),
}
# Keys whose value is a credential whatever it looks like.
SECRET_KEYS = re.compile(r"^(kubeconfig|token|password|client_?secret|private_?key|access_?key)$", re.IGNORECASE)


def leaves(value: Any, path: str = "", key: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, nearest key, value) of every scalar."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from leaves(item, f"{path}.{name}" if path else str(name), str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]", key)
    else:
        yield path, key, value


def exposed(value: Any, secret_paths: list[str], where: str) -> list[str]:
    """Secret material in ``value`` outside the secret-wrapped paths."""
    found = []
    for path, key, item in leaves(value):
        if any(path == s or path.startswith(f"{s}.") or path.startswith(f"{s}[") for s in secret_paths):
            continue
        text = item if isinstance(item, str) else ""
        for kind, pattern in MATERIAL.items():
            if pattern.search(text):
                found.append(f"{where}: {path} holds {kind} in plain text")
        if SECRET_KEYS.match(key) and item not in (None, "", False):
            found.append(f"{where}: {path} is a credential key with a plain value")
    return found


def scan(graph: Graph) -> list[str]:
    found = []
    for r in graph.resources:
        found += exposed(r.inputs, r.secret_inputs, f"{r.type} {r.name} inputs")
        found += exposed(r.outputs, r.secret_outputs, f"{r.type} {r.name} outputs")
    for invoke in graph.invokes:
        found += exposed(invoke.args, [], f"invoke {invoke.token}")
    found += exposed(graph.stack_outputs, graph.secret_stack_outputs, "stack outputs")
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_expose_no_secret_material(stack: str) -> None:
    assert scan(stack_graph(stack)) == []


@pytest.mark.parametrize(
    "kubernetes",
    [{"kubeconfig": KUBECONFIG, "context": "aks"}, {"cluster": {"resourceGroup": "rg-aks", "name": "aks"}}],
    ids=["kubeconfig-in-config", "aks-user-credentials"],
)
def test_kubeconfig_reaches_only_the_provider_and_only_as_a_secret(kubernetes: dict) -> None:
    settings = base_settings("kubelet")
    settings["kubernetes"] = kubernetes
    graph = run_program(settings)
    (provider,) = graph.by_type("pulumi:providers:kubernetes")
    assert provider.secret_inputs == ["kubeconfig"]
    assert MATERIAL["kubeconfig"].search(provider.inputs["kubeconfig"]["value"])
    assert scan(graph) == []
    text = json.dumps([r.inputs for r in graph.resources if r is not provider] + [graph.stack_outputs])
    assert "kind: Config" not in text and "kubeconfig>" not in text


def test_an_encrypted_stack_value_stays_secret(tmp_path: Path) -> None:
    """A `secure:` kubeconfig in a stack file (as `pulumi config set --secret` writes it)."""
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    document["config"]["keyvault-csi:kubernetes"] = {"kubeconfig": {"secure": "v1:c2VjcmV0:ZW5jcnlwdGVk"}}
    path = tmp_path / "Pulumi.secret-kubeconfig.yaml"
    path.write_text(yaml.safe_dump(document))
    graph = stack_graph(str(path))
    (provider,) = graph.by_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == {"value": "<secret keyvault-csi:kubernetes.kubeconfig>"}
    assert scan(graph) == []


def test_the_scanner_finds_what_it_looks_for() -> None:
    """Plain credentials are reported; the same values wrapped as secrets are not."""

    def program() -> None:
        KubernetesProvider("plain", kubeconfig=KUBECONFIG)
        KubernetesProvider("wrapped", kubeconfig=pulumi.Output.secret(KUBECONFIG))
        pulumi.CustomResource(
            "test:index:Thing", "thing", {"pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n", "clientSecret": "abc"}
        )
        pulumi.export("token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln")
        pulumi.export("hidden", pulumi.Output.secret("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln"))

    found = scan(evaluate(program))
    assert [f for f in found if "wrapped" in f or "hidden" in f] == []
    for expected in (
        "pulumi:providers:kubernetes plain inputs: kubeconfig holds kubeconfig in plain text",
        "test:index:Thing thing inputs: pem holds private key in plain text",
        "test:index:Thing thing inputs: clientSecret is a credential key with a plain value",
        "stack outputs: token holds JWT in plain text",
    ):
        assert expected in found, found


def test_a_rejected_kubeconfig_is_not_echoed() -> None:
    settings = base_settings("kubelet")
    settings["kubernetes"] = {"kubeconfig": yaml.safe_load(KUBECONFIG)}
    with pytest.raises(pulumi.RunError) as caught:
        validate_settings(settings, prefix="keyvault-csi:")
    assert "0123456789abcdef0123456789abcdef" not in str(caught.value)


# --- protect and retain_on_delete ----------------------------------------------------------------

GRANTS = ("azure-native:keyvault:AccessPolicy", "azure-native:authorization:RoleAssignment")
KUBERNETES_OBJECTS = ("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "kubernetes:core/v1:Pod")


def test_prod_protects_and_retains_the_identity_and_its_grants() -> None:
    graph = stack_graph("prod")
    kept = [r for r in graph.resources if r.type == IDENTITY or r.type in GRANTS]
    assert kept and all(r.protect and r.retain_on_delete for r in kept)
    # Classes and Pods are re-created from the program: never kept behind.
    assert not any(r.retain_on_delete or r.protect for r in graph.resources if r.type in KUBERNETES_OBJECTS)


@pytest.mark.parametrize("model", ["accessPolicy", "rbac"])
def test_the_protect_switch_drives_both(model: str) -> None:
    settings = base_settings("userAssigned")
    settings["keyVault"]["permissionModel"] = model
    off = run_program(settings)
    settings["protect"] = True
    on = run_program(settings)
    for graph, expected in ((off, False), (on, True)):
        kept = [r for r in graph.resources if r.type == IDENTITY or r.type in GRANTS]
        assert len(kept) >= 2 and {(r.protect, r.retain_on_delete) for r in kept} == {(expected, expected)}
    assert not any(r.retain_on_delete for r in on.resources if r.type not in (IDENTITY, *GRANTS))


# --- Entra ID clusters: a kubeconfig that signs in without a person (docs/entra-id.md) ---

CREDENTIALS = "azure-native:containerservice:listManagedClusterUserCredentials"
CLUSTER = {"resourceGroup": "rg-shop", "name": "aks-shop"}


def program_with(kubernetes: dict[str, object], kubeconfig: str = AKS_ENTRA_KUBECONFIG) -> Graph:
    settings = base_settings("kubelet")
    settings["kubernetes"] = kubernetes
    answer = {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(kubeconfig.encode()).decode()}]}
    mocks = KeyVaultCsiMocks(invokes={CREDENTIALS: answer})
    return evaluate(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"), as_stack_config(settings), mocks=mocks
    )


def provider_kubeconfig(graph: Graph) -> dict[str, str]:
    (provider,) = graph.by_type("pulumi:providers:kubernetes")
    return provider.inputs["kubeconfig"]


@pytest.mark.parametrize(("login", "mode"), [(None, KubeloginMode.AZURECLI), ("spn", KubeloginMode.SPN)])
def test_an_entra_id_cluster_gets_kubelogins_non_interactive_kubeconfig(login: str | None, mode: KubeloginMode) -> None:
    kubernetes: dict[str, object] = {"cluster": CLUSTER} | ({"login": login} if login else {})
    graph = program_with(kubernetes)
    kubeconfig = provider_kubeconfig(graph)
    assert set(kubeconfig) == {"value"}, "the kubeconfig must reach the provider as a secret"
    assert kubeconfig["value"] == non_interactive(AKS_ENTRA_KUBECONFIG, mode)
    (user,) = yaml.safe_load(kubeconfig["value"])["users"]
    assert user["user"]["exec"]["args"][:5] == ["get-token", "--login", str(mode), "--server-id", AKS_SERVER_APP]
    assert "devicecode" not in kubeconfig["value"]
    assert [i.args for i in graph.invokes if i.token == CREDENTIALS] == [
        {"resourceGroupName": "rg-shop", "resourceName": "aks-shop"}
    ]


def test_a_cluster_with_local_accounts_keeps_its_kubeconfig() -> None:
    local = "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: abc\n"
    assert provider_kubeconfig(program_with({"cluster": CLUSTER}, local)) == {"value": local}


def test_a_context_the_cluster_kubeconfig_lacks_fails_the_preview_naming_the_key() -> None:
    with pytest.raises(
        pulumi.RunError, match="keyvault-csi:kubernetes.cluster: the cluster's user kubeconfig has no context"
    ):
        program_with({"cluster": CLUSTER, "context": "elsewhere"})
