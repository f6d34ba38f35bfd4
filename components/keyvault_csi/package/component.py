"""``AksKeyVaultSecrets`` as the keyvault-csi package exposes it to every Pulumi language.

The Python component (:class:`components.AksKeyVaultSecrets`) keeps rich Python objects on its
attributes (the child components), which a package schema cannot describe. This class is the
package's face: typed arguments from :mod:`keyvault_csi.package.args` (generated from the input models), plain outputs, and the Python
component declared beneath it.

No ``from __future__ import annotations`` here: the schema analyzer reads these annotations and
needs real types.
"""

from typing import Any

import pulumi

from keyvault_csi.component import TYPE
from keyvault_csi.component import AksKeyVaultSecrets as _Graph
from keyvault_csi.package.args import AksKeyVaultSecretsArgs
from keyvault_csi.settings.model import validate_settings

PACKAGE = TYPE.split(":", 1)[0]


class AksKeyVaultSecrets(pulumi.ComponentResource):
    """Azure Key Vault secrets, keys and certificates in AKS Pods through the Secrets Store CSI driver: the identity (user-assigned, the nodes' own, the kubelet's, or workload identity), its Key Vault grants (least privilege), SecretProviderClasses, synced Secrets and Pods, declared as one dependency graph. Every argument is validated before anything is declared; the names of cloud objects may be outputs of other resources (checked when known), every other argument must be known at preview."""

    identity_client_id: pulumi.Output[str]
    """Client ID of the identity that reads the vault (empty for the nodes' system-assigned identities)."""
    principal_ids: pulumi.Output[dict[str, str]]
    """Entra object IDs that were granted access to the vault, by key (identity, or one per node)."""
    secret_provider_classes: pulumi.Output[list[str]]
    """The SecretProviderClasses declared, as namespace/name: mount one with the CSI driver secrets-store.csi.k8s.io."""
    pods: pulumi.Output[list[str]]
    """The Pods declared, as namespace/name."""
    service_accounts: pulumi.Output[list[str]]
    """Workload identity: the federated ServiceAccounts, as namespace/name (run your Pods as one of them)."""

    def __init__(self, name: str, args: AksKeyVaultSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Validated before anything is registered: a bad argument declares nothing.
        settings = validate_settings(_plain_values(args), component=True)
        super().__init__(TYPE, name, None, opts)
        graph = _Graph(name, settings, pulumi.ResourceOptions(parent=self))
        self.identity_client_id = graph.identity_client_id
        # from_input unwraps nested Outputs deeply, but its signature types only the top level as an Input.
        self.principal_ids = pulumi.Output.from_input(graph.principal_ids)  # type: ignore[arg-type]  # deep unwrap
        self.secret_provider_classes = pulumi.Output.from_input(sorted(graph.secret_provider_classes))
        self.pods = pulumi.Output.from_input(sorted(graph.pods))
        accounts = graph.workload_identity.service_accounts if graph.workload_identity else {}
        self.service_accounts = pulumi.Output.from_input(sorted(accounts))
        self.register_outputs(
            {
                "identityClientId": self.identity_client_id,
                "principalIds": self.principal_ids,
                "secretProviderClasses": self.secret_provider_classes,
                "pods": self.pods,
                "serviceAccounts": self.service_accounts,
            }
        )


def _plain_values(value: Any) -> Any:
    """``value`` with whole floats back to integers; Outputs are left to ``validate_settings``, which
    takes them where a key names a cloud object and refuses them where a key shapes the graph."""
    if isinstance(value, dict):
        return {key: _plain_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_values(item) for item in value]
    # Numbers cross the wire as floats, and pulumi 3.272's construct converts an integer input with
    # int() but then stores the float anyway. Every number of this schema is an integer.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
