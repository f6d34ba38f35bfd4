"""AKS identity bindings: their fixed names and rules (docs/azure-rules.md §identity-binding).

An identity binding (``Microsoft.ContainerService/managedClusters/identityBindings``) maps one
user-assigned identity to one AKS cluster. Creating it makes AKS create, or reuse, the identity's
single federated credential ``aks-identity-binding`` (issuer: the binding's
``oidcIssuer.oidcIssuerUrl``, the same for every binding of that identity), so one credential
serves any number of clusters and service accounts and Entra's limit of 20 credentials per
identity does not apply. Which service accounts may use the identity is Kubernetes RBAC: a
ClusterRole granting the verb ``use-managed-identity`` on the resource ``<client id>`` of the API
group ``cid.wi.aks.azure.com``, bound to each service account by a ClusterRoleBinding. The Azure
provider (v1.8.1 and later) reads the Pod's service-account token for the audience
``api://AKSIdentityBinding`` and exchanges it through AKS's token proxy (class parameters
``useAzureTokenProxy: "true"`` and ``clientID``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

AUDIENCE = "api://AKSIdentityBinding"
RBAC_API_GROUP = "cid.wi.aks.azure.com"
RBAC_VERB = "use-managed-identity"
# The binding's name (REST spec, Microsoft.ContainerService identityBindings): ^[a-z][a-z0-9]{0,63}$, at most 63.
BINDING_NAME = re.compile(r"^[a-z][a-z0-9]{0,62}$")
_HASH = 8


def default_binding_name(resource_group: str, identity_name: str) -> str:
    """The binding's name: the identity's name in lower-case letters and digits, then 8 hex of a hash.

    The hash of ``<resource group>/<name>`` keeps identities whose names differ only by ``-`` or
    ``_`` (or live in other groups) apart on one cluster; the result always matches the REST spec's
    pattern, which allows neither.
    """
    stem = re.sub(r"[^a-z0-9]", "", identity_name.lower())
    if not stem[:1].isalpha():
        stem = f"ib{stem}"
    digest = hashlib.sha256(f"{resource_group}/{identity_name}".lower().encode()).hexdigest()[:_HASH]
    return f"{stem[: 63 - _HASH]}{digest}"


def cluster_role_name(binding: str) -> str:
    """The ClusterRole that lets service accounts use the bound identity (the AKS docs name it
    ``use-mi-<client id>``; the binding's name is known before the identity exists and as unique)."""
    return f"use-mi-{binding}"


def cluster_role_binding_name(binding: str, namespace: str, service_account: str) -> str:
    """One ClusterRoleBinding per service account: ``use-mi-<binding>.<namespace>.<service account>``.

    Neither the binding's name nor a namespace holds a ``.``, so two service accounts never share a name.
    """
    return f"{cluster_role_name(binding)}.{namespace}.{service_account}"


def cluster_role_rules(client_id: Any) -> list[dict[str, Any]]:
    """The ClusterRole's ``rules`` in Kubernetes' spelling (``client_id``: a string or an Output)."""
    return [{"apiGroups": [RBAC_API_GROUP], "resources": [client_id], "verbs": [RBAC_VERB]}]


def role_ref(role: Any) -> dict[str, Any]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}


def subjects(namespace: str, service_account: str) -> list[dict[str, str]]:
    return [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}]


def vnet_integration_problem(resource_group: str, cluster: str) -> str:
    """AKS does not yet support identity bindings on clusters with API server VNet integration."""
    return (
        f"identity.cluster: AKS cluster {resource_group}/{cluster} uses API server VNet integration "
        "(apiServerAccessProfile.enableVnetIntegration), where AKS does not support identity bindings yet; "
        "use identity type workload for this cluster"
    )
