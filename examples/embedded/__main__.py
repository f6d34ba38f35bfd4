"""A platform program: resource group, network, AKS, Key Vault and an identity, then keyvault-csi.

keyvault-csi's AksKeyVaultSecrets takes what this program creates as Outputs (the vault's name,
the identity's resource ID, the cluster's name, the tenant): each is checked by keyvault-csi's rule
when it resolves, and what reads it waits for the resource that made it. The identity goes on the
"apps" pool only (found by name at deploy time), and the Pods are scheduled there.
Every resource and invoke uses the explicit providers (default providers are disabled).
"""

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import authorization, managedidentity, resources
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from components import Cluster, Network, Vault
from keyvault_csi import AksKeyVaultSecrets, AksKeyVaultSecretsArgs

config = pulumi.Config("platform")
prefix = config.get("prefix") or "shop"
# AKS names the pools' scale sets aks-<pool>-<hash>-vmss; keyvault-csi finds them by pool name.
pools = config.get_object("identityPools") or ["apps"]

azure = azure_native.Provider("azure", location=pulumi.Config("azure-native").get("location"))
on_azure = pulumi.ResourceOptions(provider=azure)
client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(provider=azure))

group = resources.ResourceGroup("rg", resource_group_name=f"rg-{prefix}", opts=on_azure)
net = Network(prefix, group.name, opts=pulumi.ResourceOptions(providers=[azure]))
cluster = Cluster(prefix, group.name, net.subnet_id, opts=pulumi.ResourceOptions(providers=[azure]))
vault = Vault(prefix, group.name, client.tenant_id, opts=pulumi.ResourceOptions(providers=[azure]))
identity = managedidentity.UserAssignedIdentity(
    "id-apps", resource_name_=f"id-{prefix}-apps", resource_group_name=group.name, opts=on_azure
)
kubernetes = KubernetesProvider("aks", kubeconfig=cluster.kubeconfig)

secrets = AksKeyVaultSecrets(
    "apps",
    AksKeyVaultSecretsArgs(
        tenant_id=client.tenant_id,
        key_vault={"name": vault.name, "resource_group": group.name, "permission_model": "rbac"},
        identity={"type": "userAssigned", "resource_id": identity.id},
        nodes={"cluster": {"resource_group": group.name, "name": cluster.name}, "agent_pools": pools},
        workloads=[
            {
                "name": "web",
                "namespace": "default",
                "secret_provider_class": "web-secrets",  # a computed vault name cannot name the class
                "objects": [{"object_name": "db-password", "object_type": "secret"}],
                "pod": {"image": "nginxinc/nginx-unprivileged"},
            }
        ],
    ),
    pulumi.ResourceOptions(providers=[azure, kubernetes]),
)

pulumi.export("vaultName", vault.name)
pulumi.export("identityClientId", secrets.identity_client_id)
pulumi.export("secretProviderClasses", secrets.secret_provider_classes)
