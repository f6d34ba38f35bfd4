"""Workload identity: the Pod's own service account, federated with a user-assigned identity (docs/azure-rules.md §workload-identity).

Nothing is put on the nodes. The Azure provider exchanges the Pod's service-account token (issued
by the cluster's OIDC issuer, audience ``api://AzureADTokenExchange``) for an Entra token of the
identity whose federated credential names that issuer and subject. So per service account:

* a ``v1`` ServiceAccount annotated ``azure.workload.identity/client-id: <client id>``;
* a ``managedidentity.FederatedIdentityCredential`` on the identity: issuer = the cluster's
  ``oidcIssuerProfile.issuerURL``, subject ``system:serviceaccount:<namespace>:<name>``.

Azure refuses concurrent credential writes under one identity
(``ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity``) and holds at most 20
credentials per identity, so the credentials are chained one after another, and the config
validation counts distinct subjects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import containerservice, managedidentity
from pulumi_kubernetes.core import v1 as core

from keyvault_csi.azure.keeping import check_keeping, protect, retain_on_delete
from keyvault_csi.kubernetes.secret_provider_class import DEFAULT_LABELS
from keyvault_csi.package.args import AksCluster

TYPE = "keyvault-csi:index:WorkloadIdentity"
AUDIENCE = "api://AzureADTokenExchange"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
# On the Pod: the workload identity webhook projects the token only into Pods with this label.
POD_LABELS: Mapping[str, str] = {"azure.workload.identity/use": "true"}
MAX_CREDENTIALS = 20  # per user-assigned identity (Entra limit)
_CREDENTIAL_NAME_MAX = 120


class ServiceAccountRef(TypedDict):
    namespace: str
    name: str


class WorkloadIdentityArgs(TypedDict):
    """Arguments of :class:`WorkloadIdentity` (camelCase, as in a stack's config)."""

    identityName: pulumi.Input[str]
    """Name of the user-assigned identity the credentials are created under."""
    identityResourceGroup: pulumi.Input[str]
    clientId: pulumi.Input[str]
    """Client ID of that identity: the ServiceAccount annotation."""
    cluster: AksCluster
    """The AKS cluster whose OIDC issuer signs the service-account tokens."""
    serviceAccounts: Sequence[ServiceAccountRef]
    """One ServiceAccount and one credential each; duplicates are declared once."""
    dependsOn: NotRequired[Sequence[pulumi.Resource]]
    """What the credentials wait for: the identity they are created under."""
    protect: NotRequired[bool]
    """Protect the credentials (deleting one breaks every running Pod of that service account)."""
    retainOnDelete: NotRequired[bool]
    """Keep the credentials in Azure when they leave the program (default: ``protect``). A retained
    credential still federates its subject and counts toward the 20: delete it by hand
    (``az identity federated-credential delete``) when its Pods are gone."""


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


class WorkloadIdentity(pulumi.ComponentResource):
    """Declares the ServiceAccounts and federated credentials that let Pods act as one identity.

    ``service_accounts`` and ``credentials`` are keyed ``<namespace>/<service account>``; a Pod
    using a service account should wait for both (:meth:`waits_for`). ``issuer_url`` is the
    cluster's OIDC issuer, read with ``getManagedCluster``; a cluster without one fails the
    preview with the command that enables it.
    """

    issuer_url: pulumi.Output[str]
    service_accounts: dict[str, core.ServiceAccount]
    credentials: dict[str, managedidentity.FederatedIdentityCredential]

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_keeping(args)  # a bad flag declares nothing
        super().__init__(TYPE, name, None, opts)
        cluster = args["cluster"]
        profile = containerservice.get_managed_cluster_output(
            resource_group_name=cluster["resourceGroup"],
            resource_name=cluster["name"],
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).oidc_issuer_profile
        # The cluster's names may be Outputs: the message names them once known.
        self.issuer_url = pulumi.Output.all(cluster["resourceGroup"], cluster["name"]).apply(
            lambda names: profile.apply(_issuer_url({"resourceGroup": names[0], "name": names[1]}))
        )
        self.service_accounts, self.credentials = {}, {}
        previous: pulumi.Resource | None = None
        refs = sorted({(ref["namespace"], ref["name"]) for ref in args["serviceAccounts"]})
        for namespace, account in refs:
            key = f"{namespace}/{account}"
            self.service_accounts[key] = core.ServiceAccount(
                f"{name}-{namespace}_{account}",
                metadata={
                    "name": account,
                    "namespace": namespace,
                    "labels": dict(DEFAULT_LABELS),
                    "annotations": {CLIENT_ID_ANNOTATION: args["clientId"]},
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
            fic_name = credential_name(namespace, account)
            self.credentials[key] = previous = managedidentity.FederatedIdentityCredential(
                f"{name}-{fic_name}",
                federated_identity_credential_resource_name=fic_name,
                resource_group_name=args["identityResourceGroup"],
                resource_name_=args["identityName"],
                issuer=self.issuer_url,
                subject=subject(namespace, account),
                audiences=[AUDIENCE],
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=protect(args),
                    retain_on_delete=retain_on_delete(args),
                    # Azure refuses concurrent credential writes under one identity: one at a time.
                    depends_on=[*args.get("dependsOn", []), *([previous] if previous else [])],
                ),
            )
        self.register_outputs({"issuerUrl": self.issuer_url, "serviceAccounts": sorted(self.service_accounts)})

    def waits_for(self, namespace: str, service_account: str) -> list[pulumi.Resource]:
        """What a Pod running as ``namespace/service_account`` must wait for: its account and credential."""
        key = f"{namespace}/{service_account}"
        return [self.service_accounts[key], self.credentials[key]]

    def service_account_name(self, namespace: str, service_account: str) -> pulumi.Output[str]:
        """The account's name, carrying a dependency on the ServiceAccount."""
        return self.service_accounts[f"{namespace}/{service_account}"].metadata.apply(
            lambda metadata: metadata.name or ""
        )


def _issuer_url(
    cluster: AksCluster,
) -> Callable[[containerservice.outputs.ManagedClusterOIDCIssuerProfileResponse | None], str]:
    def pick(profile: containerservice.outputs.ManagedClusterOIDCIssuerProfileResponse | None) -> str:
        url: str | None = getattr(profile, "issuer_url", None) if profile is not None else None
        if not url:
            raise pulumi.RunError(
                f"identity.cluster: AKS cluster {cluster['resourceGroup']}/{cluster['name']} has no OIDC issuer "
                "(oidcIssuerProfile.issuerURL is empty), so no service-account token can be federated; enable it with "
                f"`az aks update -g {cluster['resourceGroup']} -n {cluster['name']} --enable-oidc-issuer --enable-workload-identity`"
            )
        return url

    return pick
