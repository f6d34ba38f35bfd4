"""One environment's Key Vault → CSI driver → Pod delivery, declared as one dependency graph.

Graph (arrows: "waits for")::

    identity ─┬─> node assignments (one per scale set / VM / pool, in parallel)
              ├─> Key Vault grants (chained per vault for access policies)
              └─> SecretProviderClass (needs the identity's client ID)
    Pod ──> its SecretProviderClass, every grant, every node assignment

Workload identity puts nothing on the nodes; instead the identity ─> ServiceAccount (client-id
annotation) and ─> FederatedIdentityCredential (chained per identity), and each Pod also waits for
its own ServiceAccount and credential. An identity binding puts nothing on the nodes either: the
identity ─> IdentityBinding on the cluster, ─> ClusterRole (its client ID) ─> one ClusterRoleBinding
per ServiceAccount, and each Pod waits for its ServiceAccount, its ClusterRoleBinding and the binding.
With ``driver.install: helm`` every class also waits for the driver's Helm release (its CRD); a
workload's Deployment waits for what its Pod would.
"""

# No `from __future__ import annotations`: Pulumi's schema analyzer reads the annotations of this
# class (its outputs) and of ``__init__``'s ``args`` as real types.

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

import pulumi
from pulumi.provider.experimental import host

from keyvault_csi.api.args import AksKeyVaultSecretsArgs
from keyvault_csi.azure.identity import ManagedIdentity
from keyvault_csi.azure.identity_binding import IdentityBinding
from keyvault_csi.azure.keyvault_access import KeyVaultAccess
from keyvault_csi.azure.providers import SubscriptionProviders
from keyvault_csi.azure.vault_network import check_vault_network
from keyvault_csi.azure.workload_identity import WorkloadIdentity
from keyvault_csi.kubernetes.driver import ASSUMED, CsiDriver, settings_env_file_warning
from keyvault_csi.kubernetes.file_access import settings_file_mode_warning
from keyvault_csi.kubernetes.placement import settings_placement, settings_pool_warning, workload_placement
from keyvault_csi.kubernetes.workload import Workload
from keyvault_csi.model.mounts import mount_warnings
from keyvault_csi.model.pod_checks import rollout_warnings
from keyvault_csi.model.settings import Settings, WorkloadSettings
from keyvault_csi.model.validate import validate_settings
from keyvault_csi.node_identity.assignments import NodeIdentityAssignments
from keyvault_csi.rules.choices import NODE_IDENTITY_MODES, DriverInstall, IdentityType
from keyvault_csi.rules.driver import token_audience_warning
from keyvault_csi.rules.workload_identity import POD_LABELS

TYPE = "keyvault-csi:index:AksKeyVaultSecrets"
T = TypeVar("T")


def _known(value: T) -> pulumi.Output[T]:
    """One Output of a value known now that holds no Outputs.

    ``Output.from_input`` makes an Output of every nested value; for the maps of a few hundred
    workloads that was a third of the program's evaluation (docs/performance.md).
    """
    return pulumi.Output.from_input(None).apply(lambda _: value)


class AksKeyVaultSecrets(pulumi.ComponentResource):
    # The schema's description of the component is __doc__ as it is: adjacent literals keep it one line of text
    # (a wrapped docstring would carry its line breaks and indentation into the schema and the SDKs' docs).
    __doc__ = (
        "Azure Key Vault secrets, keys and certificates in AKS Pods through the Secrets Store CSI driver: the identity "
        "(workload identity, an AKS identity binding, the kubelet's, the AKS add-on's, a user-assigned one on the "
        "nodes, or the nodes' own), its least-privilege Key Vault grants, the SecretProviderClasses, synced Secrets "
        "and the Pods or Deployments that mount them, declared as one dependency graph. Every argument is validated "
        "before anything is declared; the names of cloud objects may be outputs of other resources (checked when "
        "known), every other argument must be known at preview. To mount a class into your own workload (a "
        "StatefulSet, Job or Helm chart), use the volumes, volumeMounts, serviceAccounts, podLabels and nodePlacement "
        "outputs: a Pod spec that uses them waits for everything its mount needs."
    )

    identity_client_id: pulumi.Output[str]
    """Client ID of the identity that reads the vault (empty for the nodes' system-assigned identities)."""
    identity_resource_id: pulumi.Output[str]
    """ARM ID of the identity that reads the vault (empty for the nodes' system-assigned identities)."""
    principal_ids: pulumi.Output[dict[str, str]]
    """Entra object IDs granted access to the vault: the identity's, or one per node (systemAssigned)."""
    namespaces: pulumi.Output[dict[str, str]]
    """Kubernetes namespace of each workload, by workload name."""
    secret_provider_classes: pulumi.Output[dict[str, list[str]]]
    """SecretProviderClass names of each workload (in its namespace), by workload name."""
    pods: pulumi.Output[dict[str, str]]
    """Name of the Pod each workload declares (workloads with pod), by workload name."""
    deployments: pulumi.Output[dict[str, str]]
    """Name of the Deployment each workload declares (workloads with deployment), by workload name."""
    service_accounts: pulumi.Output[dict[str, str]]
    """Workload identity and identity binding: the ServiceAccount each workload's Pods must run as, by workload name."""
    pod_labels: pulumi.Output[dict[str, dict[str, str]]]
    """Labels each workload's Pods must carry (workload identity: azure.workload.identity/use), by workload name."""
    volumes: pulumi.Output[dict[str, list[Any]]]
    """Read-only CSI volumes (Kubernetes Volume objects) mounting each workload's classes, by workload name."""
    volume_mounts: pulumi.Output[dict[str, list[Any]]]
    """The container volumeMounts for those volumes, by workload name."""
    node_placement: pulumi.Output[dict[str, Any]]
    (
        "nodeSelector or affinity (Kubernetes spelling) that keeps Pods on the pools carrying the node identity; empty "
        "when any node can mount."
    )
    rollout_annotations: pulumi.Output[dict[str, dict[str, str]]]
    """Annotations for the workload's own Deployment/StatefulSet (onRotation: Reloader's), by workload name."""

    def __init__(
        self,
        name: str,
        args: AksKeyVaultSecretsArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        subscription_providers: Mapping[str, pulumi.ProviderResource] | None = None,
        provider_settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Validates ``args`` in full before anything is declared (one ``RunError`` listing every problem).

        ``args``: :class:`~keyvault_csi.api.args.AksKeyVaultSecretsArgs` in Python's spelling (a mapping in
        the stack file's camelCase means the same, and a validated :class:`~keyvault_csi.model.settings.Settings`
        is taken as is). Pass explicit providers with ``opts=ResourceOptions(providers=[azure, k8s])``;
        every child and invoke uses them. Python only: ``subscription_providers``, azure-native providers
        by subscription ID for a vault or existing identity in another subscription (otherwise declared as
        children, configured with ``provider_settings``, azure-native provider keyword arguments;
        docs/existing-grants.md).
        """
        # The plugin process serves other languages, which write camelCase; the host hands us Python's names.
        settings = validate_settings(cast(Mapping[str, Any], args), python=False if host.is_hosting else None)
        super().__init__(TYPE, name, None, opts)
        self._settings = settings
        self.driver: CsiDriver | None = None
        if settings.driver.install == DriverInstall.NONE:
            pulumi.log.info(ASSUMED, resource=self)
        else:
            self.driver = CsiDriver(f"{name}-driver", settings, pulumi.ResourceOptions(parent=self))
        providers = SubscriptionProviders(
            dict(subscription_providers or {}), settings.location, settings.environment, provider_settings or {}
        )
        self.identity = ManagedIdentity(
            f"{name}-identity",
            settings.identity,
            providers=providers,
            tags=settings.tags,
            protect=settings.protect,
            location=settings.location,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.nodes = self._assign_to_nodes(name)
        self.workload_identity = self._federate(name)
        self.identity_binding = self._bind(name)
        principals = self._principals()
        known = self.identity.known_principal_id
        # One KeyVaultAccess per vault, with the objects read from it (keyVault alone keeps its old name).
        self.access: dict[str, KeyVaultAccess] = {
            key: KeyVaultAccess(
                f"{name}-access" if settings.key_vaults is None else f"{name}-access-{key}",
                vault,
                tenant_id=settings.tenant_id,
                objects=settings.objects_of(key),
                # A principal read at preview (an existing or kubelet identity) is checked against the vault's
                # existing entries.
                principals={"identity": known} if known else principals,
                providers=providers,
                protect=settings.protect,
                setting="keyVault" if settings.key_vaults is None else f"keyVaults.{key}",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, vault in settings.vaults().items()
        }
        for key, access in self.access.items():
            check_vault_network(access, settings.vaults()[key], settings.environment)  # docs/network.md
        self.workloads: dict[str, Workload] = {}
        self._ready: dict[str, list[pulumi.Resource]] = {}
        for workload in settings.workloads:
            self.workloads[workload.name] = self._workload(name, workload)
        for warning in (
            settings_pool_warning(settings),
            settings_file_mode_warning(settings),
            settings_env_file_warning(settings),
            token_audience_warning(settings.driver.install, settings.identity.type),
        ):
            if warning:
                pulumi.log.warn(warning, resource=self)
        for caution in mount_warnings(settings):
            pulumi.log.warn(caution, resource=self)
        for rollout_warning in rollout_warnings(settings):
            pulumi.log.warn(rollout_warning, resource=self)
        self._declare_outputs(principals)
        self.register_outputs(self.outputs())

    @classmethod
    def from_settings(
        cls,
        name: str,
        settings: Settings,
        opts: pulumi.ResourceOptions | None = None,
        *,
        subscription_providers: Mapping[str, pulumi.ProviderResource] | None = None,
        provider_settings: Mapping[str, Any] | None = None,
    ) -> Self:
        """The component from settings validated already (:func:`keyvault_csi.validate_settings`)."""
        # __init__ takes validated settings as they are; its annotation is the schema's args type.
        args = cast(AksKeyVaultSecretsArgs, settings)
        return cls(name, args, opts, subscription_providers=subscription_providers, provider_settings=provider_settings)

    def _principals(self) -> dict[str, pulumi.Output[str]]:
        """What the Key Vault grants name: each node's own identity (systemAssigned), else the identity."""
        if self._settings.identity.type == IdentityType.SYSTEM_ASSIGNED and self.nodes:
            return dict(self.nodes.principal_ids)
        if self.identity.principal_id is None:  # systemAssigned without nodes: refused by the settings checks
            raise pulumi.RunError("identity type systemAssigned needs nodes whose own identities are granted")
        return {"identity": self.identity.principal_id}

    def _federate(self, name: str) -> WorkloadIdentity | None:
        settings = self._settings
        if settings.identity.type != IdentityType.WORKLOAD:
            return None
        return WorkloadIdentity(
            f"{name}-workload-identity",
            settings.identity,
            client_id=self.identity.client_id,
            service_accounts=[(w.namespace, w.service_account_name()) for w in settings.workloads],
            depends_on=[self.identity],
            protect=settings.protect,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _bind(self, name: str) -> IdentityBinding | None:
        settings = self._settings
        if settings.identity.type != IdentityType.IDENTITY_BINDING:
            return None
        return IdentityBinding(
            f"{name}-identity-binding",
            settings.identity,
            identity_resource_id=self.identity.identity_resource_id,
            client_id=self.identity.client_id,
            service_accounts=[(w.namespace, w.service_account_name()) for w in settings.workloads],
            protect=settings.protect,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _assign_to_nodes(self, name: str) -> NodeIdentityAssignments | None:
        settings = self._settings
        if settings.identity.type not in NODE_IDENTITY_MODES or settings.nodes is None:
            return None
        system = settings.identity.type == IdentityType.SYSTEM_ASSIGNED
        resource_id = self.identity.identity_resource_id  # systemAssigned puts none on the nodes
        return NodeIdentityAssignments(
            f"{name}-nodes",
            settings.nodes,
            user_assigned_identity_id=None if system else resource_id,
            system_assigned=system,
            # An identity created here is ours on any node it shows up on (docs/azure-rules.md §failed-but-applied).
            owned_identity_ids=[resource_id] if settings.identity.creates_identity else [],
            arm_endpoint=settings.arm_endpoint,
            environment=settings.environment,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _workload(self, name: str, workload: WorkloadSettings) -> Workload:
        """A workload's classes and Pod (or Deployment), each waiting for what it needs."""
        settings = self._settings
        mounts = settings.mounts(workload)
        # Workload identity: clientID with no use* flag true; identity binding: clientID with useAzureTokenProxy;
        # otherwise the identity on the nodes.
        identity: dict[str, Any] = {"user_assigned_identity_id": self.identity.client_id}
        if self.workload_identity or self.identity_binding:
            identity = {"client_id": self.identity.client_id, "use_azure_token_proxy": bool(self.identity_binding)}
        # The Pod waits for the grants of every vault it reads.
        waits: list[pulumi.Resource] = [
            *(self.access[key] for key in dict.fromkeys(m.vault_key for m in mounts)),
            *([self.nodes] if self.nodes else []),
        ]
        account: pulumi.Output[str] | None = None
        accounts = self.workload_identity or self.identity_binding
        if accounts:
            sa = workload.service_account_name()
            waits += accounts.waits_for(workload.namespace, sa)
            account = accounts.service_account_name(workload.namespace, sa)
        component = Workload(
            f"{name}-{workload.namespace}-{workload.name}",
            workload,
            mounts=mounts,
            tenant_id=settings.tenant_id,
            identity=identity,
            resource_prefix=name,
            cert_parts=settings.cert_and_key_files(),
            placement=workload_placement(settings, workload),  # only on pools that carry the node identity
            service_account_name=account,
            pod_labels=POD_LABELS if self.workload_identity else None,
            class_depends_on=[self.driver.release] if self.driver and self.driver.release else [],
            pod_depends_on=waits,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._ready[workload.name] = [*component.classes.values(), *waits]
        return component

    def _declare_outputs(self, principals: dict[str, pulumi.Output[str]]) -> None:
        settings = self._settings
        self.identity_client_id = self.identity.client_id
        self.identity_resource_id = self.identity.identity_resource_id
        self.principal_ids = pulumi.Output.all(**principals) if principals else _known({})
        self.namespaces = _known({w.name: w.namespace for w in settings.workloads})
        self.secret_provider_classes = _known({w: c.class_names for w, c in self.workloads.items()})
        self.pods = _known({w: c.pod_name for w, c in self.workloads.items() if c.pod_name})
        self.deployments = _known({w: c.deployment_name for w, c in self.workloads.items() if c.deployment_name})
        with_accounts = self.workload_identity or self.identity_binding
        accounts = {w.name: w.service_account_name() for w in settings.workloads} if with_accounts else {}
        self.service_accounts = _known(accounts)
        self.pod_labels = _known(
            {w.name: dict(POD_LABELS) if self.workload_identity else {} for w in settings.workloads}
        )
        # The volumes carry what the mounts wait for: a Pod spec built from them waits too.
        ready = pulumi.Output.all(*(r.urn for resources in self._ready.values() for r in resources))
        volumes = {w: [v for v, _ in c.volumes] for w, c in self.workloads.items()}
        self.volumes = ready.apply(lambda _: volumes)
        self.volume_mounts = _known({w: [m for _, m in c.volumes] for w, c in self.workloads.items()})
        self.node_placement = _known(settings_placement(settings))
        self.rollout_annotations = _known({w.name: w.rollout_annotations() for w in settings.workloads})

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """The outputs by their schema (camelCase) names: what the component registers and the program exports."""
        return {
            "identityClientId": self.identity_client_id,
            "identityResourceId": self.identity_resource_id,
            "principalIds": self.principal_ids,
            "namespaces": self.namespaces,
            "secretProviderClasses": self.secret_provider_classes,
            "pods": self.pods,
            "deployments": self.deployments,
            "serviceAccounts": self.service_accounts,
            "podLabels": self.pod_labels,
            "volumes": self.volumes,
            "volumeMounts": self.volume_mounts,
            "nodePlacement": self.node_placement,
            "rolloutAnnotations": self.rollout_annotations,
        }
