"""providers.py: the Kubernetes provider of an Entra ID cluster gets a kubeconfig that signs in without a person.

The mock runtime answers listManagedClusterUserCredentials with the kubeconfig AKS returns for an Entra ID
cluster (kubelogin with --login devicecode); the provider must receive kubelogin's conversion, as a secret.
"""

from __future__ import annotations

import base64
import runpy

import pulumi
import pytest
import yaml

from keyvault_csi.rules.choices import KubeloginMode
from keyvault_csi.rules.kubeconfig import non_interactive
from keyvault_csi.testing import KeyVaultCsiMocks
from keyvault_csi.testing.mockgraph import Graph, evaluate
from tests.support import AKS_ENTRA_KUBECONFIG, AKS_SERVER_APP, ROOT, as_stack_config, base_settings

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
