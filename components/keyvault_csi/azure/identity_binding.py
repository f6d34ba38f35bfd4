"""AKS identity binding: the identity bound to the cluster, and the service accounts allowed to use it.

Nothing is put on the nodes (docs/azure-rules.md §identity-binding). Declared:

* one ``containerservice.IdentityBinding`` on the cluster, naming the identity's ARM id. AKS then
  creates, or reuses, the identity's one federated credential ``aks-identity-binding``: AKS owns it,
  so it is not declared here (a declaration would fight AKS over it, and deleting it would break
  every other binding of the identity);
* one ClusterRole granting ``use-managed-identity`` on the resource ``<client id>`` of the API
  group ``cid.wi.aks.azure.com``;
* per service account, a ServiceAccount (annotated with the client ID, shared with workload
  identity) and a ClusterRoleBinding of that ClusterRole to it. AKS's documentation and the
  provider's e2e test grant with ClusterRoleBindings; nothing public says that AKS's check is
  namespaced, so a RoleBinding might not satisfy it.

The cluster is read first: AKS does not support identity bindings with API server VNet
integration, and such a cluster fails the preview with that reason before the binding is declared.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, cast

import pulumi
from pulumi_azure_native import containerservice
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.rbac import v1 as rbac

from keyvault_csi.azure.keeping import keeping
from keyvault_csi.azure.workload_identity import name_of, service_account
from keyvault_csi.model.outputs import checked
from keyvault_csi.model.settings import IdentitySettings
from keyvault_csi.rules.identity_binding import (
    cluster_role_binding_name,
    cluster_role_name,
    cluster_role_rules,
    default_binding_name,
    role_ref,
    subjects,
    vnet_integration_problem,
)
from keyvault_csi.rules.names import parse_identity_resource_id
from keyvault_csi.rules.pod import DEFAULT_LABELS

TYPE = "keyvault-csi:index:IdentityBinding"


class IdentityBinding(pulumi.ComponentResource):
    """Binds the identity to the cluster and lets each service account use it.

    ``service_accounts`` and ``role_bindings`` are keyed ``<namespace>/<service account>``; a Pod
    running as one waits for its account, its ClusterRoleBinding and the binding (:meth:`waits_for`).
    ``issuer_url`` is the binding's OIDC issuer (AKS's, the same for every binding of the identity),
    the issuer of the federated credential AKS makes.
    """

    binding_name: pulumi.Input[str]
    binding: containerservice.IdentityBinding
    issuer_url: pulumi.Output[str]
    cluster_role: rbac.ClusterRole
    service_accounts: dict[str, core.ServiceAccount]
    role_bindings: dict[str, rbac.ClusterRoleBinding]

    def __init__(
        self,
        name: str,
        identity: IdentitySettings,
        *,
        identity_resource_id: pulumi.Input[str],
        client_id: pulumi.Input[str],
        service_accounts: Iterable[tuple[str, str]],
        protect: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``identity``: its name and resource group, or its ``resourceId``, name the binding, and its
        cluster is where the binding goes; ``identity_resource_id`` and ``client_id``: the identity's;
        ``service_accounts``: (namespace, name) pairs, one ServiceAccount and one ClusterRoleBinding
        each (duplicates declared once); ``protect``: the binding is protected and retained (deleting
        it breaks every mount of its Pods)."""
        super().__init__(TYPE, name, None, opts)
        cluster = identity.cluster
        if cluster is None:
            raise ValueError("an identity binding needs identity.cluster")
        group, identity_name = _identity_names(identity)
        if isinstance(group, str) and isinstance(identity_name, str):
            self.binding_name = default_binding_name(group, identity_name)
        else:
            names = pulumi.Output.all(group, identity_name)
            self.binding_name = names.apply(lambda v: default_binding_name(str(v[0]), str(v[1])))
        managed = containerservice.get_managed_cluster_output(
            resource_group_name=cluster.resource_group,
            resource_name=cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        # The binding names the cluster once the cluster is known to support bindings.
        vnet = managed.api_server_access_profile.apply(lambda p: bool(p is not None and p.enable_vnet_integration))
        supported_cluster = pulumi.Output.all(cluster.resource_group, cluster.name, vnet)
        self.binding = containerservice.IdentityBinding(
            name,
            identity_binding_name=self.binding_name,
            resource_group_name=cluster.resource_group,
            resource_name_=supported_cluster.apply(_supported),
            properties={"managed_identity": {"resource_id": identity_resource_id}},
            opts=pulumi.ResourceOptions(parent=self, **keeping(protect)),
        )
        self.issuer_url = self.binding.properties.apply(_issuer_url)
        self.cluster_role = rbac.ClusterRole(
            f"{name}-use-mi",
            metadata={"name": _derive(self.binding_name, cluster_role_name), "labels": dict(DEFAULT_LABELS)},
            rules=cast("list[rbac.PolicyRuleArgsDict]", cluster_role_rules(client_id)),  # Kubernetes' spelling
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = self.cluster_role.metadata.apply(lambda metadata: metadata.name or "")
        self.service_accounts, self.role_bindings = {}, {}
        for namespace, account in sorted(set(service_accounts)):
            key = f"{namespace}/{account}"
            self.service_accounts[key] = service_account(
                f"{name}-{namespace}_{account}", namespace, account, client_id, self
            )
            binding_name = _derive(
                self.binding_name,
                functools.partial(cluster_role_binding_name, namespace=namespace, service_account=account),
            )
            self.role_bindings[key] = rbac.ClusterRoleBinding(
                f"{name}-use-mi-{namespace}_{account}",
                metadata={"name": binding_name, "labels": dict(DEFAULT_LABELS)},
                role_ref=cast("rbac.RoleRefArgsDict", role_ref(role)),
                subjects=cast("list[rbac.SubjectArgsDict]", subjects(namespace, account)),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                "bindingName": self.binding_name,
                "issuerUrl": self.issuer_url,
                "serviceAccounts": sorted(self.service_accounts),
            }
        )

    def waits_for(self, namespace: str, service_account: str) -> list[pulumi.Resource]:
        """What a Pod running as ``namespace/service_account`` must wait for: its account, its
        ClusterRoleBinding and the binding (after which AKS has made the federated credential)."""
        key = f"{namespace}/{service_account}"
        return [self.service_accounts[key], self.role_bindings[key], self.binding]

    def service_account_name(self, namespace: str, service_account: str) -> pulumi.Output[str]:
        """The account's name, carrying a dependency on the ServiceAccount."""
        return name_of(self.service_accounts[f"{namespace}/{service_account}"])


def _identity_names(identity: IdentitySettings) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
    """(resource group, name) of the identity: the ones to create it with, else read from ``resourceId``."""
    if identity.resource_id is None:
        if identity.resource_group is None or identity.name is None:
            raise ValueError("an identity binding needs the identity's name and resourceGroup, or its resourceId")
        return identity.resource_group, identity.name
    if isinstance(identity.resource_id, str):
        _, group, name = parse_identity_resource_id(identity.resource_id)
        return group, name
    parts = checked(identity.resource_id, parse_identity_resource_id, "identity.resourceId")
    return parts.apply(lambda p: p[1]), parts.apply(lambda p: p[2])


def _derive(value: Any, derive: Callable[[Any], str]) -> pulumi.Input[str]:
    """``derive(value)``, now for a plain string, once resolved for an Output."""
    return value.apply(derive) if isinstance(value, pulumi.Output) else derive(value)


def _supported(values: list[Any]) -> str:
    """The cluster's name; the preview fails if the cluster has API server VNet integration (no bindings there)."""
    resource_group, cluster, vnet_integration = str(values[0]), str(values[1]), bool(values[2])
    if vnet_integration:
        raise pulumi.RunError(vnet_integration_problem(resource_group, cluster))
    return cluster


def _issuer_url(properties: Any) -> str:
    issuer = getattr(properties, "oidc_issuer", None) if properties is not None else None
    return str(getattr(issuer, "oidc_issuer_url", None) or "")
