"""Your own StatefulSet mounts the class keyvault-csi declares (docs/workloads.md).

The workload has no pod or deployment: keyvault-csi declares the identity, its Key Vault grant, the
federated credential, the ServiceAccount, the SecretProviderClass and the synced Secret, and hands
over what a Pod needs to mount the class. A Pod template built from those outputs waits for all of it.
"""

import pulumi
from pulumi_kubernetes.apps import v1 as apps

from keyvault_csi import AksKeyVaultSecrets

NAME, NAMESPACE = "ledger", "ledger"

secrets = AksKeyVaultSecrets(
    "ledger",
    {
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "keyVault": {"name": "kv-ledger", "resourceGroup": "rg-ledger", "permissionModel": "rbac"},
        "identity": {
            "type": "workload",
            "name": "id-ledger",
            "resourceGroup": "rg-ledger",
            "cluster": {"resourceGroup": "rg-aks", "name": "aks"},
        },
        # Rotation on: the driver refreshes the files and the synced Secret every two minutes.
        "driver": {"install": "helm", "rotation": {"enabled": True}},
        "workloads": [
            {
                "name": NAME,
                "namespace": NAMESPACE,
                "objects": [{"objectName": "db-password", "objectType": "secret"}],
                "secretObjects": [
                    {"secretName": "ledger-db", "data": [{"objectName": "db-password", "key": "password"}]}
                ],
                # DB_PASSWORD below is read once per container start: Reloader restarts the Pods on rotation.
                "rollout": "onRotation",
            }
        ],
    },
)

selector = {"app.kubernetes.io/name": NAME}
apps.StatefulSet(
    NAME,
    metadata={"name": NAME, "namespace": NAMESPACE, "annotations": secrets.rollout_annotations[NAME]},
    spec={
        "serviceName": NAME,
        "replicas": 3,
        "selector": {"matchLabels": selector},
        "template": {
            # Workload identity's label (azure.workload.identity/use) next to your own.
            "metadata": {"labels": secrets.pod_labels[NAME].apply(lambda ours: {**selector, **ours})},
            "spec": {
                "serviceAccountName": secrets.service_accounts[NAME],
                "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {
                        "name": NAME,
                        "image": "ghcr.io/example/ledger:1.4.2",
                        "env": [
                            {
                                "name": "DB_PASSWORD",
                                "valueFrom": {"secretKeyRef": {"name": "ledger-db", "key": "password"}},
                            }
                        ],
                        "volumeMounts": secrets.volume_mounts[NAME],  # read-only, at /mnt/secrets-store
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
                "volumes": secrets.volumes[NAME],  # resolves once the class, grant and credential exist
            },
        },
    },
)

pulumi.export("serviceAccount", secrets.service_accounts[NAME])
