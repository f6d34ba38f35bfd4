"""A Helm chart's Pods mount the class keyvault-csi declares: the outputs go into the chart's values.

The value names are the `helm create` scaffold's (volumes, volumeMounts, podLabels, podAnnotations,
serviceAccount); other charts name them differently, such as Bitnami's extraVolumes and
extraVolumeMounts. The release waits for what the mount needs, because its values carry the outputs.
"""

import pulumi
from pulumi_kubernetes.helm import v3 as helm

from keyvault_csi import AksKeyVaultSecrets

NAME = "orders"

secrets = AksKeyVaultSecrets(
    "orders",
    {
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "keyVault": {"name": "kv-orders", "resourceGroup": "rg-orders", "permissionModel": "rbac"},
        "identity": {
            "type": "workload",
            "name": "id-orders",
            "resourceGroup": "rg-orders",
            "cluster": {"resourceGroup": "rg-aks", "name": "aks"},
        },
        "driver": {"install": "aksAddon", "rotation": {"enabled": True}},
        "workloads": [
            {
                "name": NAME,
                "namespace": "orders",
                "objects": [{"objectName": "queue-connection", "objectType": "secret"}],
                "secretObjects": [
                    {"secretName": "orders-queue", "data": [{"objectName": "queue-connection", "key": "connection"}]}
                ],
                "rollout": "onRotation",
            }
        ],
    },
)

helm.Release(
    NAME,
    name=NAME,
    chart="./charts/orders",  # made with `helm create orders`
    namespace="orders",
    values={
        "serviceAccount": {"create": False, "name": secrets.service_accounts[NAME]},
        "podLabels": secrets.pod_labels[NAME],
        # The scaffold has no annotations on the Deployment itself: Reloader reads the Pod template's then.
        "podAnnotations": secrets.rollout_annotations[NAME],
        "volumes": secrets.volumes[NAME],
        "volumeMounts": secrets.volume_mounts[NAME],
    },
)

pulumi.export("release", NAME)
