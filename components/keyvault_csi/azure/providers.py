"""An azure-native provider for a vault or identity in another subscription.

``keyvault.getVault``, ``keyvault.AccessPolicy`` and ``managedidentity.getUserAssignedIdentity``
take no subscription input: they act in their provider's subscription. For an object in another
subscription the component either uses a provider the caller handed it for that subscription, or
declares one as its own child. Python cannot read another provider's inputs, so the declared one
is configured from what the caller passes (``settings``: the keyvault-csi program passes
its stack's ``azure-native:*`` settings, :func:`keyvault_csi.program.providers.azure_native_settings`),
plus the environment/location, and the same ``ARM_*`` environment credentials (the provider
process reads them itself). A reusable component reads no stack config. See docs/existing-grants.md
§Other subscriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native.provider import Provider as AzureProvider


def same_subscription(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


@dataclass
class SubscriptionProviders:
    """The azure-native providers of other subscriptions, shared by the component's children.

    ``explicit``: providers the caller handed in, by subscription ID (a declared one is added, so a
    vault in the identity's other subscription reuses it). ``location``, ``environment`` and
    ``settings`` (azure-native provider keyword arguments such as ``client_id``) configure a
    provider that must be declared.
    """

    explicit: dict[str, pulumi.ProviderResource] = field(default_factory=dict)
    location: pulumi.Input[str] | None = None
    environment: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    def for_subscription(
        self, owner: pulumi.Resource, name: str, subscription_id: str | None
    ) -> pulumi.ProviderResource | None:
        """The provider to read/write ``subscription_id`` with; ``None``: the one ``owner`` inherited.

        Order: a provider given (or declared before) for that subscription; none if the inherited
        provider already acts there (``authorization.getClientConfig`` through it answers its
        subscription, known at preview even when the provider's own ``subscriptionId`` input is
        not); else a new ``AzureProvider`` child of ``owner`` named ``<name>-<subscription>``.
        """
        if not subscription_id:
            return None
        for key, provider in self.explicit.items():
            if same_subscription(key, subscription_id):
                return provider
        current = authorization.get_client_config(opts=pulumi.InvokeOptions(parent=owner)).subscription_id
        if same_subscription(current, subscription_id):
            return None
        provider = AzureProvider(
            f"{name}-{subscription_id.lower()}",
            subscription_id=subscription_id,
            location=self.location,
            environment=self.environment,
            **self.settings,
            opts=pulumi.ResourceOptions(parent=owner),
        )
        self.explicit[subscription_id.lower()] = provider
        return provider
