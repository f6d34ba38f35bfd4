"""Entry point of the keyvault-csi plugin: hosts AksKeyVaultSecrets for programs in any language.

The Pulumi CLI runs this file (``pulumi package add``, ``pulumi up`` of a consumer); the schema is
inferred from the component's annotations by the SDK's analyzer.
"""

import sys
from pathlib import Path

# components/ and provider/ live in the repository root, which the language host does not put on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi.provider.experimental import component_provider_host  # noqa: E402

from provider.component import PACKAGE, VERSION, AksKeyVaultSecrets  # noqa: E402

if __name__ == "__main__":
    component_provider_host([AksKeyVaultSecrets], name=PACKAGE, version=VERSION)
