"""keyvault-csi program: one environment per stack (``stacks/Pulumi.<stack>.yaml``)."""

import pulumi

from keyvault_csi import AksKeyVaultSecrets
from keyvault_csi.providers import azure_provider, kubernetes_provider
from keyvault_csi.settings.model import settings_from_stack_config

settings = settings_from_stack_config()  # every problem at once, before any resource
azure = azure_provider(settings)
kubernetes = kubernetes_provider(settings, azure)
secrets = AksKeyVaultSecrets(pulumi.get_stack(), settings, pulumi.ResourceOptions(providers=[azure, kubernetes]))

pulumi.export("identityClientId", secrets.identity_client_id)
pulumi.export("principalIds", secrets.principal_ids)
pulumi.export("secretProviderClasses", sorted(secrets.secret_provider_classes))
pulumi.export("pods", sorted(secrets.pods))
pulumi.export(
    "serviceAccounts", sorted(secrets.workload_identity.service_accounts) if secrets.workload_identity else []
)
