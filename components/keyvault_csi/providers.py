"""The explicit Azure and Kubernetes providers the program hands to its components.

Stacks set ``pulumi:disable-default-providers`` for both packages, so a resource or invoke that
missed these providers fails at preview instead of silently using ambient credentials.
"""

from __future__ import annotations

import base64

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import containerservice
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from keyvault_csi.azure.subscriptions import azure_native_settings
from keyvault_csi.rules.choices import KubeloginMode
from keyvault_csi.rules.kubeconfig import KubeconfigError, non_interactive
from keyvault_csi.settings.model import Settings


def azure_provider(settings: Settings) -> azure_native.Provider:
    """azure-native, configured from the stack's ``azure-native:*`` keys (explicit providers ignore them).

    Providers the components declare for other subscriptions copy the same settings
    (:func:`keyvault_csi.azure.subscriptions.azure_native_settings`).
    """
    azure_config = pulumi.Config("azure-native")
    return azure_native.Provider(
        "azure-native",
        location=settings.location,
        environment=settings.environment,
        subscription_id=azure_config.get("subscriptionId"),
        **azure_native_settings(),
    )


def kubernetes_provider(settings: Settings, azure: azure_native.Provider) -> KubernetesProvider:
    """Kubernetes from a secret kubeconfig, from the named AKS cluster's user credentials, or ambient.

    The cluster's kubeconfig signs in without a person when the cluster has Entra ID integration:
    kubelogin in the ``kubernetes.login`` mode, not AKS's device code (docs/entra-id.md).
    """
    kubernetes = settings.kubernetes
    kubeconfig: pulumi.Input[str] | None = None
    if kubernetes and kubernetes.kubeconfig is not None:
        kubeconfig = pulumi.Output.secret(kubernetes.kubeconfig.get_secret_value())
    elif kubernetes and kubernetes.cluster is not None:
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=kubernetes.cluster.resource_group,
            resource_name=kubernetes.cluster.name,
            opts=pulumi.InvokeOutputOptions(provider=azure),
        )
        login, context = kubernetes.login or KubeloginMode.AZURECLI, kubernetes.context
        kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs.apply(
                lambda configs: _signing_in(base64.b64decode(configs[0].value).decode(), login, context)
            )
        )
    return KubernetesProvider(
        "kubernetes",
        kubeconfig=kubeconfig,
        context=kubernetes.context if kubernetes else None,
    )


def _signing_in(kubeconfig: str, login: KubeloginMode, context: str | None) -> str:
    try:
        return non_interactive(kubeconfig, login, context)
    except KubeconfigError as error:
        raise pulumi.RunError(f"keyvault-csi:kubernetes.cluster: the cluster's user kubeconfig {error}") from None
