"""The explicit Azure and Kubernetes providers the keyvault-csi program hands to its component.

Stacks set ``pulumi:disable-default-providers`` for both packages, so a resource or invoke that
missed these providers fails at preview instead of silently using ambient credentials.
"""

from __future__ import annotations

import base64
from typing import Any

import pulumi
from pulumi_azure_native import containerservice
from pulumi_azure_native.provider import Provider as AzureProvider
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from keyvault_csi.model.settings import StackSettings
from keyvault_csi.rules.choices import KubeloginMode
from keyvault_csi.rules.kubeconfig import KubeconfigError, non_interactive

# azure-native provider inputs copied from the stack's `azure-native:*` config (plain ones).
PLAIN_SETTINGS = (
    "clientId",
    "tenantId",
    "auxiliaryTenantIds",
    "clientCertificatePath",
    "disableInstanceDiscovery",
    "disablePulumiPartnerId",
    "metadataHost",
    "msiEndpoint",
    "oidcRequestUrl",
    "oidcTokenFilePath",
    "partnerId",
    "useDefaultAzureCredential",
    "useMsi",
    "useOidc",
)
# ... and the secret ones, read as secrets (docs/azure-rules.md §pulumi-stack-config).
SECRET_SETTINGS = ("clientSecret", "clientCertificatePassword", "oidcToken", "oidcRequestToken")
_BOOLEAN = {"disableInstanceDiscovery", "disablePulumiPartnerId", "useDefaultAzureCredential", "useMsi", "useOidc"}


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def azure_native_settings() -> dict[str, Any]:
    """Provider keyword arguments from the stack's ``azure-native:*`` keys (explicit providers ignore them)."""
    config = pulumi.Config("azure-native")
    found: dict[str, Any] = {}
    for key in PLAIN_SETTINGS:
        if key in _BOOLEAN:
            value: Any = config.get_bool(key)
        elif key == "auxiliaryTenantIds":
            value = config.get_object(key)
        else:
            value = config.get(key)
        if value is not None:
            found[_snake(key)] = value
    for key in SECRET_SETTINGS:
        secret = config.get_secret(key)
        if secret is not None:
            found[_snake(key)] = secret
    return found


def azure_provider(settings: StackSettings, provider_settings: dict[str, Any]) -> AzureProvider:
    """azure-native, configured from the stack's ``azure-native:*`` keys (explicit providers ignore them).

    Providers the component declares for other subscriptions get the same ``provider_settings``.
    """
    return AzureProvider(
        "azure-native",
        location=settings.location,
        environment=settings.environment,
        subscription_id=pulumi.Config("azure-native").get("subscriptionId"),
        **provider_settings,
    )


def kubernetes_provider(settings: StackSettings, azure: AzureProvider) -> KubernetesProvider:
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
