"""Workload identity's fixed names and limits (docs/azure-rules.md §workload-identity).

The Azure provider exchanges the Pod's service-account token (audience ``api://AzureADTokenExchange``)
for an Entra token of the identity whose federated credential names the cluster's OIDC issuer and
the subject ``system:serviceaccount:<namespace>:<name>``.
"""

from __future__ import annotations

import hashlib

AUDIENCE = "api://AzureADTokenExchange"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
# On the Pod: the workload identity webhook projects the token only into Pods with this label.
POD_LABELS = {"azure.workload.identity/use": "true"}
MAX_CREDENTIALS = 20  # per user-assigned identity (Entra limit)
_CREDENTIAL_NAME_MAX = 120


def subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def credential_name(namespace: str, service_account: str) -> str:
    """Azure name of the credential: ``<namespace>_<service account>`` with dots as ``_``.

    Neither part may contain ``_``, so distinct subjects never share a name; names past Azure's
    120 characters are cut and end in a hash of the subject.
    """
    name = f"{namespace}_{service_account.replace('.', '_')}"
    if len(name) > _CREDENTIAL_NAME_MAX:
        digest = hashlib.sha256(subject(namespace, service_account).encode()).hexdigest()[:8]
        name = f"{name[: _CREDENTIAL_NAME_MAX - 9].rstrip('_-')}_{digest}"
    return name
