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
With ``driver.install: helm`` every class also waits for the driver's Helm release (its CRD); a
workload's Deployment waits for what its Pod would (docs/driver.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from keyvault_csi.azure.identity import ManagedIdentity, ManagedIdentityArgs
from keyvault_csi.azure.keyvault_access import KeyVaultAccess, KeyVaultAccessArgs
from keyvault_csi.azure.workload_identity import POD_LABELS, WorkloadIdentity
from keyvault_csi.kubernetes.deployment import SecretsStoreDeploymentArgs
from keyvault_csi.kubernetes.driver import ASSUMED, CsiDriver, driver_args
from keyvault_csi.kubernetes.env import container_env, container_env_from
from keyvault_csi.kubernetes.placement import settings_placement, settings_pool_warning, workload_placement
from keyvault_csi.kubernetes.pod import WorkloadPodArgs
from keyvault_csi.kubernetes.secret_provider_class import SecretProviderClassArgs
from keyvault_csi.kubernetes.workload import Workload, WorkloadArgs
from keyvault_csi.node_identity.assignments import (
    NodeIdentityAssignments,
    NodeIdentityAssignmentsArgs,
    nodes_from_settings,
)
from keyvault_csi.package.args import AksKeyVaultSecretsArgs
from keyvault_csi.rules.placement import NODE_IDENTITY_MODES
from keyvault_csi.settings.model import Settings, WorkloadSettings, validate_settings

TYPE = "keyvault-csi:index:AksKeyVaultSecrets"


class AksKeyVaultSecrets(pulumi.ComponentResource):
    """Identity, node assignments, Key Vault grants, SecretProviderClasses and Pods for one environment.

    Arguments are validated in full before any resource is declared (one ``RunError`` listing every
    problem); the keys that name cloud objects may be Outputs of the embedding program, checked when
    they resolve (``docs/embedding.md``). Pass explicit providers with
    ``opts=ResourceOptions(providers=[azure, k8s])``; every child and invoke uses them.
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
    deployments: dict[str, Workload]
    """The workload that declares each Deployment, by ``namespace/deployment``."""
    driver: CsiDriver | None
    """The driver's Helm release or add-on check; ``None`` for ``driver.install: none``."""
    identity_client_id: pulumi.Output[str]
    principal_ids: dict[str, pulumi.Output[str]]
    node_placement: dict[str, Any]

    def __init__(
        self,
        name: str,
        args: AksKeyVaultSecretsArgs | Settings,
        opts: pulumi.ResourceOptions | None = None,
        *,
        subscription_providers: Mapping[str, pulumi.ProviderResource] | None = None,
    ) -> None:
        """``subscription_providers``: azure-native providers by subscription ID for a vault or an
        existing identity in another subscription (otherwise declared as children, docs/existing-grants.md)."""
        settings = args if isinstance(args, Settings) else validate_settings(args, component=True)
        super().__init__(TYPE, name, None, opts)
        self.driver = self._declare_driver(name, settings)
        identity_args = _identity_args(settings)
        identity_args["environment"] = settings.environment
        identity_args["subscriptionProviders"] = subscription_providers
        self.identity = ManagedIdentity(f"{name}-identity", identity_args, pulumi.ResourceOptions(parent=self))
        self.identity_client_id = self.identity.client_id
        self.nodes = self._assign_to_nodes(name, settings)
        # nodeSelector/affinity for users' own Pods (secrets_store_volume) in the node-identity modes.
        self.node_placement = settings_placement(settings)
        self.workload_identity = self._federate(name, settings)
        self.principal_ids = self._principal_ids(settings)
        principals: Mapping[str, pulumi.Input[str]] = (
            {"identity": self.identity.known_principal_id}
            if self.identity.known_principal_id and settings.identity.type != "systemAssigned"
            else self.principal_ids
        )
        access_args: KeyVaultAccessArgs = {
            "vaultName": settings.key_vault.name,
            "resourceGroup": settings.key_vault.resource_group,
            "tenantId": settings.tenant_id,
            "objects": [obj for w in settings.workloads for obj in w.objects],
            # A principal read at preview is checked against the vault's existing entries.
            "principals": principals,
            "permissionModel": settings.key_vault.permission_model,
            "environment": settings.environment,
            "location": settings.location,
            # A vault in the identity's other subscription reuses the provider declared for it.
            "subscriptionProviders": self.identity.subscription_providers,
            "protect": settings.protect,
        }
        if settings.key_vault.subscription_id:
            access_args["subscriptionId"] = settings.key_vault.subscription_id
        self.access = KeyVaultAccess(f"{name}-access", access_args, pulumi.ResourceOptions(parent=self))
        self.workloads, self.secret_provider_classes, self.pods, self.deployments = {}, {}, {}, {}
        for workload in settings.workloads:
            # Declared here, not in a helper: Pulumi records every frame above each registration
            # (docs/azure-rules.md §pulumi-stack-traces).
            component = Workload(
                f"{name}-{workload.namespace}-{workload.name}",
                self._workload_args(name, settings, workload),
                pulumi.ResourceOptions(parent=self),
            )
            self._record(workload, component)
        warning = settings_pool_warning(settings)
        if warning:
            pulumi.log.warn(warning, resource=self)
        self.register_outputs(
            {
                "identityClientId": self.identity_client_id,
                "principalIds": self.principal_ids,
                "secretProviderClasses": sorted(self.secret_provider_classes),
                "pods": sorted(self.pods),
                "deployments": sorted(self.deployments),
                "serviceAccounts": sorted(self.workload_identity.service_accounts) if self.workload_identity else [],
            }
        )

    def _principal_ids(self, settings: Settings) -> dict[str, pulumi.Output[str]]:
        """What the Key Vault grants name: each node's own identity (systemAssigned), else the identity."""
        if settings.identity.type == "systemAssigned" and self.nodes:
            return dict(self.nodes.principal_ids)
        if self.identity.principal_id is None:  # systemAssigned without nodes: refused by validate_settings
            raise pulumi.RunError("identity type systemAssigned needs nodes whose own identities are granted")
        return {"identity": self.identity.principal_id}

    def _declare_driver(self, name: str, settings: Settings) -> CsiDriver | None:
        args = driver_args(settings)
        if args is None:
            pulumi.log.info(ASSUMED, resource=self)
            return None
        return CsiDriver(f"{name}-driver", args, pulumi.ResourceOptions(parent=self))

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
                "cluster": identity.cluster.as_args(),
                "serviceAccounts": [
                    {"namespace": w.namespace, "name": w.service_account_name()} for w in settings.workloads
                ],
                "dependsOn": [self.identity],
                "protect": settings.protect,
            },
            pulumi.ResourceOptions(parent=self),
        )

    def _assign_to_nodes(self, name: str, settings: Settings) -> NodeIdentityAssignments | None:
        if settings.identity.type not in NODE_IDENTITY_MODES or settings.nodes is None:
            return None
        nodes = nodes_from_settings(settings.nodes)
        system = settings.identity.type == "systemAssigned"
        args: NodeIdentityAssignmentsArgs = {
            "nodes": nodes,
            "systemAssigned": system,
            "armEndpoint": settings.arm_endpoint,
            "environment": settings.environment,
        }
        resource_id = self.identity.resource_id  # None for systemAssigned: nothing to put on the nodes
        if not system and resource_id is not None:
            args["userAssignedIdentityId"] = resource_id
        # An identity created here is ours on any node it shows up on (docs/azure-rules.md §failed-but-applied).
        if _created_identity(settings) and resource_id is not None:
            args["ownedIdentityIds"] = [resource_id]
        return NodeIdentityAssignments(f"{name}-nodes", args, pulumi.ResourceOptions(parent=self))

    def _workload_args(self, name: str, settings: Settings, workload: WorkloadSettings) -> WorkloadArgs:
        """A workload's class and Pod (or Deployment), with what each waits for."""
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
        if self.driver is not None and self.driver.release is not None:
            args["classDependsOn"] = [self.driver.release]
        pod_name = workload.deployment_name() if workload.deployment else workload.pod_name()
        template = workload.template
        if template is not None:
            waits_for: list[pulumi.Resource] = [self.access] + ([self.nodes] if self.nodes else [])
            pod_args: WorkloadPodArgs = {
                "namespace": workload.namespace,
                "podName": pod_name,
                "image": template.image,
                "mountPath": template.effective_mount_path(),
                "os": template.os,
                "env": container_env(template.env),
                "envFrom": container_env_from(template.env_from),
                # Hardened defaults (keyvault_csi.rules.pod) under the workload's overrides.
                "securityContext": template.security_args(),
                "resources": template.resources_args(),
            }
            placement = workload_placement(settings, workload)  # only on pools that carry the node identity
            if "nodeSelector" in placement:
                pod_args["nodeSelector"] = placement["nodeSelector"]
            if "affinity" in placement:
                pod_args["affinity"] = placement["affinity"]
            if template.writable_paths is not None:
                pod_args["writablePaths"] = template.writable_paths
            if self.workload_identity:
                sa = workload.service_account_name()
                waits_for += self.workload_identity.waits_for(workload.namespace, sa)
                pod_args["serviceAccountName"] = self.workload_identity.service_account_name(workload.namespace, sa)
                pod_args["labels"] = POD_LABELS
            args |= {"podDependsOn": waits_for, "podResourceName": f"{name}-{workload.namespace}-{pod_name}"}
            if workload.deployment is not None:
                deployment_args: SecretsStoreDeploymentArgs = {**pod_args, "replicas": workload.deployment.replicas}
                args["deployment"] = deployment_args
            else:
                args["pod"] = pod_args
        return args

    def _record(self, workload: WorkloadSettings, component: Workload) -> None:
        """Index the workload's component by name, by class and by Pod or Deployment."""
        self.workloads[workload.name] = component
        self.secret_provider_classes[f"{workload.namespace}/{component.class_name}"] = component
        if component.pod_name is not None:
            self.pods[f"{workload.namespace}/{component.pod_name}"] = component
        if component.deployment_name is not None:
            self.deployments[f"{workload.namespace}/{component.deployment_name}"] = component


def _created_identity(settings: Settings) -> bool:
    """True when this stack creates the user-assigned identity (name + resourceGroup, no resourceId)."""
    identity = settings.identity
    return identity.type == "userAssigned" and identity.resource_id is None and identity.name is not None


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
        args["cluster"] = identity.cluster.as_args()
    if settings.location:
        args["location"] = settings.location
    return args
