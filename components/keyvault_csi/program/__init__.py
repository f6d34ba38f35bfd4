"""The keyvault-csi program: one environment per stack (``stacks/Pulumi.<stack>.yaml``).

:func:`from_stack_config` is what ``__main__.py`` runs: it reads and validates the stack's
``keyvault-csi:*`` settings, declares the explicit Azure and Kubernetes providers, declares
:class:`~keyvault_csi.AksKeyVaultSecrets` with them and exports its outputs.
"""

from __future__ import annotations

import pulumi

from keyvault_csi.component import AksKeyVaultSecrets
from keyvault_csi.program.providers import azure_native_settings, azure_provider, kubernetes_provider
from keyvault_csi.program.stack import settings_from_stack_config
from keyvault_csi.rules.config_keys import NAMESPACE


def from_stack_config(name: str | None = None, namespace: str = NAMESPACE) -> AksKeyVaultSecrets:
    """Declare the stack's ``AksKeyVaultSecrets`` (named after the stack unless ``name``) and export its outputs.

    Every settings problem is reported at once, before any resource is declared.
    """
    settings = settings_from_stack_config(namespace)
    provider_settings = azure_native_settings()
    azure = azure_provider(settings, provider_settings)
    kubernetes = kubernetes_provider(settings, azure)
    secrets = AksKeyVaultSecrets.from_settings(
        name or pulumi.get_stack(),
        settings,
        pulumi.ResourceOptions(providers=[azure, kubernetes]),
        provider_settings=provider_settings,
    )
    for key, value in secrets.outputs().items():
        pulumi.export(key, value)
    return secrets
