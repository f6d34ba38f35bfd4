"""keyvault-csi as a Pulumi package for every language (PulumiPlugin.yaml + __main__.py here)."""
