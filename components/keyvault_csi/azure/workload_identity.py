"""Workload identity: the Pod's own service account, federated with a user-assigned identity.

Nothing is put on the nodes. The Azure provider exchanges the Pod's service-account token (issued
by the cluster's OIDC issuer, audience ``api://AzureADTokenExchange``) for an Entra token of the
identity whose federated credential names that issuer and subject. So per service account:

* a ``v1`` ServiceAccount annotated ``azure.workload.identity/client-id: <client id>``;
* a ``managedidentity.FederatedIdentityCredential`` on the identity: issuer = the cluster's
  ``oidcIssuerProfile.issuerURL``, subject ``system:serviceaccount:<namespace>:<name>``.

Azure refuses concurrent credential writes under one identity
(``ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity``) and holds at most 20
credentials per identity, so the credentials are chained one after another, and the config
validation counts distinct subjects. See docs/azure-rules.md §workload-identity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pulumi
from pulumi_azure_native import containerservice, managedidentity
from pulumi_kubernetes.core import v1 as core

from keyvault_csi.azure.keeping import keeping
from keyvault_csi.model.settings import IdentitySettings
from keyvault_csi.rules.pod import DEFAULT_LABELS
from keyvault_csi.rules.workload_identity import AUDIENCE, CLIENT_ID_ANNOTATION, credential_name, subject

TYPE = "keyvault-csi:index:WorkloadIdentity"


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

    def __init__(
        self,
        name: str,
        identity: IdentitySettings,
        *,
        client_id: pulumi.Input[str],
        service_accounts: Iterable[tuple[str, str]],
        protect: bool,
        depends_on: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``identity``: the created identity (name, resourceGroup) and the cluster whose OIDC issuer
        signs the tokens; ``client_id``: that identity's, for the ServiceAccount annotation;
        ``service_accounts``: (namespace, name) pairs, one ServiceAccount and one credential each
        (duplicates declared once); ``depends_on``: what the credentials wait for (the identity);
        ``protect``: the credentials are protected and retained (deleting one breaks every running
        Pod of that service account; a retained one still counts toward the 20)."""
        super().__init__(TYPE, name, None, opts)
        cluster = identity.cluster
        if cluster is None or identity.name is None or identity.resource_group is None:
            raise ValueError("workload identity needs the identity's name, resourceGroup and cluster")
        profile = containerservice.get_managed_cluster_output(
            resource_group_name=cluster.resource_group,
            resource_name=cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).oidc_issuer_profile
        # The cluster's names may be Outputs: the message names them once known.
        self.issuer_url = pulumi.Output.all(cluster.resource_group, cluster.name).apply(
            lambda names: profile.apply(_issuer_url(str(names[0]), str(names[1])))
        )
        self.service_accounts, self.credentials = {}, {}
        previous: pulumi.Resource | None = None
        for namespace, account in sorted(set(service_accounts)):
            key = f"{namespace}/{account}"
            self.service_accounts[key] = service_account(
                f"{name}-{namespace}_{account}", namespace, account, client_id, self
            )
            fic_name = credential_name(namespace, account)
            self.credentials[key] = previous = managedidentity.FederatedIdentityCredential(
                f"{name}-{fic_name}",
                federated_identity_credential_resource_name=fic_name,
                resource_group_name=identity.resource_group,
                resource_name_=identity.name,
                issuer=self.issuer_url,
                subject=subject(namespace, account),
                audiences=[AUDIENCE],
                opts=pulumi.ResourceOptions(
                    parent=self,
                    **keeping(protect),
                    # Azure refuses concurrent credential writes under one identity: one at a time.
                    depends_on=[*depends_on, *([previous] if previous else [])],
                ),
            )
        self.register_outputs({"issuerUrl": self.issuer_url, "serviceAccounts": sorted(self.service_accounts)})

    def waits_for(self, namespace: str, service_account: str) -> list[pulumi.Resource]:
        """What a Pod running as ``namespace/service_account`` must wait for: its account and credential."""
        key = f"{namespace}/{service_account}"
        return [self.service_accounts[key], self.credentials[key]]

    def service_account_name(self, namespace: str, service_account: str) -> pulumi.Output[str]:
        """The account's name, carrying a dependency on the ServiceAccount."""
        return name_of(self.service_accounts[f"{namespace}/{service_account}"])


def service_account(
    resource_name: str, namespace: str, account: str, client_id: pulumi.Input[str], parent: pulumi.Resource
) -> core.ServiceAccount:
    """A Pod's ServiceAccount, annotated with the client ID of the identity it uses (workload identity and
    identity binding: the webhook reads the annotation for the Pod's own SDK; the class names the client ID)."""
    return core.ServiceAccount(
        resource_name,
        metadata={
            "name": account,
            "namespace": namespace,
            "labels": dict(DEFAULT_LABELS),
            "annotations": {CLIENT_ID_ANNOTATION: client_id},
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )


def name_of(account: core.ServiceAccount) -> pulumi.Output[str]:
    """The ServiceAccount's name, carrying a dependency on it."""
    return account.metadata.apply(lambda metadata: metadata.name or "")


def _issuer_url(
    resource_group: str, cluster: str
) -> Callable[[containerservice.outputs.ManagedClusterOIDCIssuerProfileResponse | None], str]:
    def pick(profile: containerservice.outputs.ManagedClusterOIDCIssuerProfileResponse | None) -> str:
        url: str | None = getattr(profile, "issuer_url", None) if profile is not None else None
        if not url:
            raise pulumi.RunError(
                f"identity.cluster: AKS cluster {resource_group}/{cluster} has no OIDC issuer "
                "(oidcIssuerProfile.issuerURL is empty), so no service-account token can be federated; enable it with "
                f"`az aks update -g {resource_group} -n {cluster} --enable-oidc-issuer --enable-workload-identity`"
            )
        return url

    return pick
