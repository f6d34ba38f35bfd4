"""Entry point of the keyvault-csi plugin: hosts AksKeyVaultSecrets for programs in any language.

The Pulumi CLI runs this file (``pulumi package add``, ``pulumi up`` of a consumer) in the
plugin's virtualenv, which installs the keyvault-csi package (``requirements.txt``); the schema is
inferred from the component's annotations by the SDK's analyzer.
"""

from pulumi.provider.experimental import component_provider_host

from keyvault_csi.package.component import PACKAGE, VERSION, AksKeyVaultSecrets

if __name__ == "__main__":
    component_provider_host([AksKeyVaultSecrets], name=PACKAGE, version=VERSION)
