"""The top-level component: :class:`AksKeyVaultSecrets`, one environment's whole graph."""

from keyvault_csi.component.aks_key_vault_secrets import TYPE, AksKeyVaultSecrets

__all__ = ["TYPE", "AksKeyVaultSecrets"]
