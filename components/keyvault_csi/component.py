"""One environment's Key Vault → CSI driver → Pod delivery, declared as one dependency graph.

Graph (arrows: "waits for")::

    identity ─┬─> node assignments (one per scale set / VM, in parallel)
              ├─> Key Vault grants (chained per vault for access policies)
              └─> SecretProviderClass (needs the identity's client ID)
    Pod ──> its SecretProviderClass, every grant, every node assignment

Workload identity puts nothing on the nodes; instead the identity ─> ServiceAccount (client-id
annotation) and ─> FederatedIdentityCredential (chained per identity), and each Pod also waits for
its own ServiceAccount and credential.

Nothing else waits: node writes and grants run side by side, and classes do not wait for grants.
"""

from __future__ import annotations

import pulumi

from keyvault_csi.azure.identity import ManagedIdentity, ManagedIdentityArgs
from keyvault_csi.azure.keyvault_access import KeyVaultAccess
from keyvault_csi.azure.workload_identity import POD_LABELS, WorkloadIdentity
from keyvault_csi.kubernetes.env import container_env, container_env_from
from keyvault_csi.kubernetes.pod import SecretsStorePodArgs
from keyvault_csi.kubernetes.secret_provider_class import SecretProviderClassArgs
from keyvault_csi.kubernetes.workload import Workload, WorkloadArgs
from keyvault_csi.node_identity.assignments import NodeArgs, NodeIdentityAssignments
from keyvault_csi.package.args import AksKeyVaultSecretsArgs
from keyvault_csi.settings.model import Settings, WorkloadSettings, validate_settings

TYPE = "keyvault-csi:index:AksKeyVaultSecrets"


class AksKeyVaultSecrets(pulumi.ComponentResource):
    """Identity, node assignments, Key Vault grants, SecretProviderClasses and Pods for one environment.

    Arguments are validated in full before any resource is declared (one ``RunError`` listing every
    problem). Pass explicit providers with ``opts=ResourceOptions(providers=[azure, k8s])``; every
    child and invoke uses them.
    """

    identity: ManagedIdentity
    nodes: NodeIdentityAssignments | None
    workload_identity: WorkloadIdentity | None
    access: KeyVaultAccess
    workloads: dict[str, Workload]
    """One component per workload (its class and Pod), by workload name."""
    secret_provider_classes: dict[str, Workload]
    """The workload that declares each class, by ``namespace/class``."""
    pods: dict[str, Workload]
    """The workload that declares each Pod, by ``namespace/pod``."""
    identity_client_id: pulumi.Output[str]
    principal_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: AksKeyVaultSecretsArgs | Settings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        settings = args if isinstance(args, Settings) else validate_settings(args)
        super().__init__(TYPE, name, None, opts)
        self.identity = ManagedIdentity(
            f"{name}-identity", _identity_args(settings), pulumi.ResourceOptions(parent=self)
        )
        self.identity_client_id = self.identity.client_id
        self.nodes = self._assign_to_nodes(name, settings)
        self.workload_identity = self._federate(name, settings)
        self.principal_ids = (
            dict(self.nodes.principal_ids)
            if settings.identity.type == "systemAssigned" and self.nodes
            else {"identity": self.identity.principal_id}
        )
        self.access = KeyVaultAccess(
            f"{name}-access",
            {
                "vaultName": settings.key_vault.name,
                "resourceGroup": settings.key_vault.resource_group,
                "tenantId": settings.tenant_id,
                "objects": [obj for w in settings.workloads for obj in w.objects],
                "principals": self.principal_ids,
                "permissionModel": settings.key_vault.permission_model,
                **(
                    {"subscriptionId": settings.key_vault.subscription_id} if settings.key_vault.subscription_id else {}
                ),
                "protect": settings.protect,
            },
            pulumi.ResourceOptions(parent=self),
        )
        self.workloads, self.secret_provider_classes, self.pods = {}, {}, {}
        for workload in settings.workloads:
            self._declare_workload(name, settings, workload)
        self.register_outputs(
            {
                "identityClientId": self.identity_client_id,
                "principalIds": self.principal_ids,
                "secretProviderClasses": sorted(self.secret_provider_classes),
                "pods": sorted(self.pods),
                "serviceAccounts": sorted(self.workload_identity.service_accounts) if self.workload_identity else [],
            }
        )

    def _federate(self, name: str, settings: Settings) -> WorkloadIdentity | None:
        identity = settings.identity
        if (
            identity.type != "workload"
            or identity.cluster is None
            or identity.name is None
            or identity.resource_group is None
        ):
            return None
        return WorkloadIdentity(
            f"{name}-workload-identity",
            {
                "identityName": identity.name,
                "identityResourceGroup": identity.resource_group,
                "clientId": self.identity.client_id,
                "cluster": {"resourceGroup": identity.cluster.resource_group, "name": identity.cluster.name},
                "serviceAccounts": [
                    {"namespace": w.namespace, "name": w.service_account_name()} for w in settings.workloads
                ],
                "dependsOn": [self.identity],
                "protect": settings.protect,
            },
            pulumi.ResourceOptions(parent=self),
        )

    def _assign_to_nodes(self, name: str, settings: Settings) -> NodeIdentityAssignments | None:
        if settings.identity.type in ("kubelet", "workload") or settings.nodes is None:
            return None
        nodes: list[NodeArgs] = []
        for kind, ref in settings.nodes.all():
            node: NodeArgs = {"kind": kind, "resourceGroup": ref.resource_group, "name": ref.name}
            if ref.subscription_id:
                node["subscriptionId"] = ref.subscription_id
            nodes.append(node)
        system = settings.identity.type == "systemAssigned"
        return NodeIdentityAssignments(
            f"{name}-nodes",
            {
                "nodes": nodes,
                **({} if system else {"userAssignedIdentityId": self.identity.resource_id}),
                "systemAssigned": system,
                "armEndpoint": settings.arm_endpoint,
                "environment": settings.environment,
            },
            pulumi.ResourceOptions(parent=self),
        )

    def _declare_workload(self, name: str, settings: Settings, workload: WorkloadSettings) -> None:
        class_name = workload.class_name(settings.key_vault.name)
        class_args: SecretProviderClassArgs = {
            "namespace": workload.namespace,
            "className": class_name,
            "keyvaultName": settings.key_vault.name,
            "tenantId": settings.tenant_id,
            "objects": workload.objects,
            "secretObjects": workload.secret_objects,
            "cloudName": workload.cloud_name,
        }
        # Workload identity: clientID with no use* flag true; otherwise the identity on the nodes.
        if self.workload_identity:
            class_args["clientId"] = self.identity.client_id
        else:
            class_args["userAssignedIdentityId"] = self.identity.client_id
        if workload.cloud_env_file_name:
            class_args["cloudEnvFileName"] = workload.cloud_env_file_name
        args: WorkloadArgs = {
            "secretProviderClass": class_args,
            "classResourceName": f"{name}-{workload.namespace}-{class_name}",
        }
        pod_name = workload.pod_name()
        if workload.pod is not None:
            waits_for: list[pulumi.Resource] = [self.access] + ([self.nodes] if self.nodes else [])
            pod_args: SecretsStorePodArgs = {
                "namespace": workload.namespace,
                "podName": pod_name,
                "image": workload.pod.image,
                "mountPath": workload.pod.effective_mount_path(),
                "os": workload.pod.os,
                "secretProviderClass": "",  # the workload's own class
                "env": container_env(workload.pod.env),
                "envFrom": container_env_from(workload.pod.env_from),
                # Hardened defaults (keyvault_csi.rules.pod) under the workload's overrides.
                "securityContext": workload.pod.security_args(),
                "resources": workload.pod.resources_args(),
            }
            if workload.pod.writable_paths is not None:
                pod_args["writablePaths"] = workload.pod.writable_paths
            if self.workload_identity:
                sa = workload.service_account_name()
                waits_for += self.workload_identity.waits_for(workload.namespace, sa)
                pod_args["serviceAccountName"] = self.workload_identity.service_account_name(workload.namespace, sa)
                pod_args["labels"] = POD_LABELS
            args |= {
                "pod": pod_args,
                "podDependsOn": waits_for,
                "podResourceName": f"{name}-{workload.namespace}-{pod_name}",
            }
        component = Workload(f"{name}-{workload.namespace}-{workload.name}", args, pulumi.ResourceOptions(parent=self))
        self.workloads[workload.name] = component
        self.secret_provider_classes[f"{workload.namespace}/{class_name}"] = component
        if workload.pod is not None:
            self.pods[f"{workload.namespace}/{pod_name}"] = component


def _identity_args(settings: Settings) -> ManagedIdentityArgs:
    identity = settings.identity
    args: ManagedIdentityArgs = {"type": identity.type, "tags": settings.tags, "protect": settings.protect}
    if identity.name:
        args["name"] = identity.name
    if identity.resource_group:
        args["resourceGroup"] = identity.resource_group
    if identity.resource_id:
        args["resourceId"] = identity.resource_id
    if identity.cluster:
        args["cluster"] = {"resourceGroup": identity.cluster.resource_group, "name": identity.cluster.name}
    if settings.location:
        args["location"] = settings.location
    return args
