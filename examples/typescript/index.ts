// AksKeyVaultSecrets from the keyvault-csi package (Python, run as a plugin) in a TypeScript program.
// Arguments are plain values (not Outputs): the component validates them before declaring anything.
import * as pulumi from "@pulumi/pulumi";
import * as azure from "@pulumi/azure-native";
import * as k8s from "@pulumi/kubernetes";
import * as keyvaultCsi from "@keyvault-csi/keyvault-csi";

const config = new pulumi.Config();

const azureProvider = new azure.Provider("azure", { location: "westeurope" });
const credentials = azure.containerservice.listManagedClusterUserCredentialsOutput(
    { resourceGroupName: "rg-shop", resourceName: "aks-shop" },
    { provider: azureProvider },
);
const k8sProvider = new k8s.Provider("aks", {
    kubeconfig: pulumi.secret(
        credentials.kubeconfigs.apply(configs => Buffer.from(configs[0].value, "base64").toString()),
    ),
});

const secrets = new keyvaultCsi.AksKeyVaultSecrets("shop", {
    tenantId: config.require("tenantId"),
    keyVault: { name: "kv-shop", resourceGroup: "rg-shop-secrets", permissionModel: "rbac" },
    identity: {
        type: "workload",
        name: "id-shop-workloads",
        resourceGroup: "rg-shop-identities",
        cluster: { resourceGroup: "rg-shop", name: "aks-shop" },  // its OIDC issuer is federated
    },
    workloads: [
        {
            name: "storefront",
            namespace: "shop",
            objects: [
                { objectName: "db-password", objectType: "secret" },
                { objectName: "storefront-tls", objectType: "secret", objectAlias: "tls.pem" },
            ],
            secretObjects: [
                { secretName: "storefront-db", data: [{ objectName: "db-password", key: "password" }] },
                {
                    secretName: "storefront-tls",
                    type: "kubernetes.io/tls",
                    data: [
                        { objectName: "tls.pem", key: "tls.crt" },
                        { objectName: "tls.pem", key: "tls.key" },
                    ],
                },
            ],
            pod: {
                image: "nginx",
                env: [{ name: "DB_PASSWORD", secretKeyRef: { name: "storefront-db", key: "password" } }],
            },
        },
    ],
}, { providers: [azureProvider, k8sProvider] });

export const identityClientId = secrets.identityClientId;
export const serviceAccounts = secrets.serviceAccounts;
export const secretProviderClasses = secrets.secretProviderClasses;
