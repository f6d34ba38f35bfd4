"""Pulumi transforms shape what keyvault-csi declares beyond its settings (docs/workloads.md).

Transforms given to the component run on each of its children (the engine applies a resource's
transforms to everything beneath it): here every Pod it declares, bare or in a Deployment's
template, gets the cluster's priority class.
"""

import pulumi

from keyvault_csi import AksKeyVaultSecrets


def business_critical(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """A Pod's spec, or a Deployment's Pod template spec, with priorityClassName set."""
    if args.type_ == "kubernetes:core/v1:Pod":
        spec = args.props["spec"]
    elif args.type_ == "kubernetes:apps/v1:Deployment":
        spec = args.props["spec"]["template"]["spec"]
    else:
        return None  # everything else as declared
    spec["priorityClassName"] = "business-critical"
    return pulumi.ResourceTransformResult(props=args.props, opts=args.opts)


secrets = AksKeyVaultSecrets(
    "shop",
    {
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "keyVault": {"name": "kv-shop", "resourceGroup": "rg-shop", "permissionModel": "rbac"},
        "identity": {"type": "kubelet", "cluster": {"resourceGroup": "rg-aks", "name": "aks"}},
        "workloads": [
            {
                "name": "storefront",
                "namespace": "shop",
                "objects": [{"objectName": "db-password", "objectType": "secret"}],
                "deployment": {"replicas": 2, "ports": [{"containerPort": 8080, "name": "http"}]},
            }
        ],
    },
    pulumi.ResourceOptions(transforms=[business_critical]),
)
