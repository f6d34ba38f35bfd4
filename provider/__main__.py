"""Entry point of the keyvault-csi plugin: hosts AksKeyVaultSecrets for programs in any language.

The Pulumi CLI runs this file (``pulumi package add``, ``pulumi up`` of a consumer) in the
plugin's virtualenv, which installs the keyvault-csi package (``requirements.txt``); the schema is
inferred from the component's annotations by the SDK's analyzer.
"""

from pulumi.provider.experimental import component_provider_host

from keyvault_csi import __version__
from keyvault_csi.component import TYPE, AksKeyVaultSecrets

PACKAGE = TYPE.split(":", 1)[0]

# The generated SDKs' namespace: npm @keyvault-csi/keyvault-csi, Python keyvault_csi_keyvault_csi,
# folder sdks/keyvault-csi-keyvault-csi. Without one the SDKs would be @pulumi/..., and a git URL
# plugin would take the GitHub owner's name instead (the CLI's setSpecNamespace).
NAMESPACE = "keyvault-csi"

if __name__ == "__main__":
    component_provider_host([AksKeyVaultSecrets], name=PACKAGE, namespace=NAMESPACE, version=__version__)
