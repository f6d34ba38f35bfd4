"""The program a user would write without our components: the same cloud resources, no rule of ours.

A Pulumi program like ours (``__main__.py``): the benchmark runs it the same way (``runpy``, as
Pulumi's Python language host does), so both pay the same for the frames above them. It reads the
number of workloads from the config key ``handwritten:workloads``.
"""

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import authorization, keyvault, managedidentity
from pulumi_kubernetes import apiextensions
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.meta import v1 as meta
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from keyvault_csi.node_identity.resource import NodeIdentityAssignment

WORKLOADS = pulumi.Config("handwritten").require_int("workloads")
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
NODES = (
    "resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss",
    "resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool2-12345678-vmss",
    "resourceGroups/rg-k8s/providers/Microsoft.Compute/virtualMachines/k8s-agent-0",
)
LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "keyvault-csi"}
OBJECTS = (  # the YAML-in-YAML a user writes by hand, one workload's objects
    "array:\n"
    '  - |\n    objectName: secret1-{i:04d}\n    objectType: secret\n    objectVersion: ""\n'
    '  - |\n    objectName: key1-{i:04d}\n    objectType: key\n    objectVersion: ""\n'
)


azure = azure_native.Provider("azure-native", environment="public")
cluster = KubernetesProvider("kubernetes")
on_azure = pulumi.ResourceOptions(provider=azure)
subscription = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(provider=azure)).subscription_id
identity = managedidentity.UserAssignedIdentity(
    "identity", resource_name_="id-app", resource_group_name="rg-identities", tags={}, opts=on_azure
)


def identity_resource_id(sub: str) -> str:
    return (
        f"/subscriptions/{sub}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity"
        "/userAssignedIdentities/id-app"
    )


identity_id = subscription.apply(identity_resource_id)
nodes = [
    NodeIdentityAssignment(
        f"node-{index}",
        {
            "nodeId": pulumi.Output.concat("/subscriptions/", subscription, "/", node),
            "userAssignedIdentities": [identity_id],
            "ownedIdentities": [identity_id],
            "systemAssigned": False,
            "environment": "public",
        },
        pulumi.ResourceOptions(depends_on=[identity]),
    )
    for index, node in enumerate(NODES)
]
grant = keyvault.AccessPolicy(
    "access",
    resource_group_name="rg-secrets",
    vault_name="kvname",
    policy={
        "tenant_id": TENANT,
        "object_id": identity.principal_id,
        "permissions": {"keys": ["get"], "secrets": ["get"]},
    },
    opts=on_azure,
)
for i in range(WORKLOADS):
    name, namespace = f"app-{i:04d}", f"team-{i % 10}"
    spc = apiextensions.CustomResource(
        f"{name}-class",
        api_version="secrets-store.csi.x-k8s.io/v1",
        kind="SecretProviderClass",
        metadata={"name": f"azure-kvname-{name}", "namespace": namespace, "labels": LABELS},
        spec={
            "provider": "azure",
            "parameters": {
                "keyvaultName": "kvname",
                "objects": OBJECTS.format(i=i),
                "tenantID": TENANT,
                "usePodIdentity": "false",
                "useVMManagedIdentity": "true",
                "userAssignedIdentityID": identity.client_id,
            },
        },
        opts=pulumi.ResourceOptions(provider=cluster),
    )
    core.Pod(
        f"{name}-pod",
        metadata=meta.ObjectMetaArgs(name=f"{name}-secrets-store-inline", namespace=namespace, labels=LABELS),
        spec=core.PodSpecArgs(
            containers=[
                core.ContainerArgs(
                    name="app",
                    image="nginx",
                    volume_mounts=[
                        core.VolumeMountArgs(
                            name="secrets-store-inline", mount_path="/mnt/secrets-store", read_only=True
                        ),
                        core.VolumeMountArgs(name="scratch-0", mount_path="/tmp"),
                    ],
                    security_context=core.SecurityContextArgs(
                        allow_privilege_escalation=False,
                        read_only_root_filesystem=True,
                        capabilities=core.CapabilitiesArgs(drop=["ALL"]),
                    ),
                    resources=core.ResourceRequirementsArgs(
                        requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "128Mi"}
                    ),
                )
            ],
            volumes=[
                core.VolumeArgs(
                    name="secrets-store-inline",
                    csi=core.CSIVolumeSourceArgs(
                        driver="secrets-store.csi.k8s.io",
                        read_only=True,
                        volume_attributes={"secretProviderClass": f"azure-kvname-{name}"},
                    ),
                ),
                core.VolumeArgs(name="scratch-0", empty_dir=core.EmptyDirVolumeSourceArgs()),
            ],
            security_context=core.PodSecurityContextArgs(
                run_as_non_root=True, seccomp_profile=core.SeccompProfileArgs(type="RuntimeDefault")
            ),
            node_selector={"kubernetes.io/os": "linux"},
            os=core.PodOSArgs(name="linux"),
        ),
        opts=pulumi.ResourceOptions(provider=cluster, depends_on=[spc, grant, *nodes]),
    )
