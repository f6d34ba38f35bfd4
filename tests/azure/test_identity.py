"""The identity the provider signs in as (keyvault_csi.azure.identity), read through the mock runtime."""

from __future__ import annotations

import runpy

import pulumi
import pytest

from keyvault_csi.testing.mockgraph import evaluate
from keyvault_csi.testing.mocks import KeyVaultCsiMocks
from tests.support import ROOT, as_stack_config, base_settings

GET_MANAGED_CLUSTER = "azure-native:containerservice:getManagedCluster"


def program() -> None:
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")


@pytest.mark.parametrize("profile", [None, {}])
def test_kubelet_mode_refuses_a_cluster_without_a_kubelet_identity(profile: dict[str, object] | None) -> None:
    """A service-principal cluster has no kubelet identity: the preview names the cluster and the way out."""
    mocks = KeyVaultCsiMocks(invokes={GET_MANAGED_CLUSTER: {"identityProfile": profile}})
    with pytest.raises(pulumi.RunError) as caught:
        evaluate(program, as_stack_config(base_settings("kubelet")), mocks=mocks)
    assert str(caught.value) == (
        "identity.cluster: AKS cluster 'aks' has no identityProfile.kubeletidentity "
        "(a service-principal cluster); use identity type userAssigned or systemAssigned"
    )


def test_kubelet_mode_reads_the_clusters_kubelet_identity() -> None:
    graph = evaluate(program, as_stack_config(base_settings("kubelet")), mocks=KeyVaultCsiMocks())
    (spc,) = graph.by_type("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert (
        spc.inputs["spec"]["parameters"]["userAssignedIdentityID"] == "<aks-agentpool.clientId>"
    )  # AKS names it <cluster>-agentpool
