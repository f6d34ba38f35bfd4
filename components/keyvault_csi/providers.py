"""The explicit Azure and Kubernetes providers the program hands to its components.

Stacks set ``pulumi:disable-default-providers`` for both packages, so a resource or invoke that
missed these providers fails at preview instead of silently using ambient credentials.
"""

from __future__ import annotations

import base64

import pulumi
from pulumi_azure_native import containerservice
from pulumi_azure_native.provider import Provider as AzureProvider
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from keyvault_csi.azure.subscriptions import azure_native_settings
from keyvault_csi.settings.model import Settings


def azure_provider(settings: Settings) -> AzureProvider:
    """azure-native, configured from the stack's ``azure-native:*`` keys (explicit providers ignore them).

    Providers the components declare for other subscriptions copy the same settings
    (:func:`keyvault_csi.azure.subscriptions.azure_native_settings`).
    """
    azure_config = pulumi.Config("azure-native")
    return AzureProvider(
        "azure-native",
        location=settings.location,
        environment=settings.environment,
        subscription_id=azure_config.get("subscriptionId"),
        **azure_native_settings(),
    )


def kubernetes_provider(settings: Settings, azure: AzureProvider) -> KubernetesProvider:
    """Kubernetes from a secret kubeconfig, from the named AKS cluster's user credentials, or ambient."""
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
        kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs.apply(lambda configs: base64.b64decode(configs[0].value).decode())
        )
    return KubernetesProvider(
        "kubernetes",
        kubeconfig=kubeconfig,
        context=kubernetes.context if kubernetes else None,
    )
