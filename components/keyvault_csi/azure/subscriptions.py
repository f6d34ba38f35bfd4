"""An azure-native provider for a vault or identity in another subscription (docs/existing-grants.md §Other subscriptions).

``keyvault.getVault``, ``keyvault.AccessPolicy`` and ``managedidentity.getUserAssignedIdentity``
take no subscription input: they act in their provider's subscription. For an object in another
subscription the component either uses a provider the caller handed it for that subscription, or
declares one as its own child. Python cannot read another provider's inputs, so the declared one
is configured like the program's own (:func:`keyvault_csi.providers.azure_provider`): the
environment/location it was given plus the stack's ``azure-native:*`` settings, and the same
``ARM_*`` environment credentials (the provider process reads them itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native.provider import Provider as AzureProvider

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


def same_subscription(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def provider_for_subscription(
    owner: pulumi.Resource,
    name: str,
    subscription_id: str | None,
    *,
    explicit: Mapping[str, pulumi.ProviderResource] | None = None,
    location: pulumi.Input[str] | None = None,
    environment: str | None = None,
) -> pulumi.ProviderResource | None:
    """The provider to read/write ``subscription_id`` with; ``None``: the one ``owner`` inherited.

    Order: a provider given for that subscription in ``explicit``; none if the inherited provider
    already acts there (``authorization.getClientConfig`` through it answers its subscription,
    known at preview even when the provider's own ``subscriptionId`` input is not); else a new
    ``azure_native.Provider`` child of ``owner`` named ``<name>-<subscription>``.
    """
    if not subscription_id:
        return None
    for key, provider in (explicit or {}).items():
        if same_subscription(key, subscription_id):
            return provider
    current = authorization.get_client_config(opts=pulumi.InvokeOptions(parent=owner)).subscription_id
    if same_subscription(current, subscription_id):
        return None
    return AzureProvider(
        f"{name}-{subscription_id.lower()}",
        subscription_id=subscription_id,
        location=location,
        environment=environment,
        **azure_native_settings(),
        opts=pulumi.ResourceOptions(parent=owner),
    )
