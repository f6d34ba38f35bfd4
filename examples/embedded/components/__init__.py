"""This program's own components: a package named ``components`` beside keyvault-csi's ``keyvault_csi``."""

from components.cluster import Cluster
from components.network import Network
from components.vault import Vault

__all__ = ["Cluster", "Network", "Vault"]
