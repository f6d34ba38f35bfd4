"""The catalogue of secrets-store mount failures: cause id, the event texts that identify it, the fix.

Every pattern was taken from the error strings of the Secrets Store CSI driver
(kubernetes-sigs/secrets-store-csi-driver), of its Azure provider
(Azure/secrets-store-csi-driver-provider-azure), of the Azure services they call (IMDS, Entra ID,
Key Vault), or from event messages quoted in public issue threads; each entry names its sources.
The list is ordered and the first matching cause wins: a message often carries several layers
("failed to get keyvault client: ... nmi response failed ... Identity not found"), so the more
specific cause comes first (multiple identities before identity not found, federation before a
generic 403, the vault firewall before RBAC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Cause:
    """One failure the doctor can name: ``id`` is stable (scripts match on it)."""

    id: str
    patterns: tuple[re.Pattern[str], ...]
    fix: str
    sources: tuple[str, ...]
    # Broad texts (timeouts) also occur on other volumes: they only count on a secrets-store mount.
    broad: bool = False

    def matches(self, message: str) -> bool:
        return any(pattern.search(message) for pattern in self.patterns)


def _rx(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in patterns)


DRIVER = "kubernetes-sigs/secrets-store-csi-driver"
PROVIDER = "Azure/secrets-store-csi-driver-provider-azure"
PROVIDER_ISSUES = "https://github.com/Azure/secrets-store-csi-driver-provider-azure/issues/"
DRIVER_ISSUES = "https://github.com/kubernetes-sigs/secrets-store-csi-driver/issues/"

CATALOGUE: tuple[Cause, ...] = (
    Cause(
        "driver-not-installed",
        _rx(
            # kubelet's CSI plugin: no driver registered on this node (driver docs/book/src/troubleshooting.md)
            r"driver name secrets-store\.csi\.k8s\.io not found in the list of registered CSI drivers",
            # kubelet: the CSIDriver object is missing altogether (provider issue #742)
            r"not supported by driver secrets-store\.csi\.k8s\.io \(no CSIDriver object\)",
        ),
        "the Secrets Store CSI driver is not running on the Pod's node: set `keyvault-csi:driver: {install: helm}` "
        "or enable the AKS add-on "
        "(`az aks enable-addons --addons azure-keyvault-secrets-provider -g <rg> -n <cluster>`); if it is installed, "
        "check `kubectl get csidriver secrets-store.csi.k8s.io` and the DaemonSet's tolerations "
        "and nodeSelector (tainted or Windows nodes)",
        (
            f"{DRIVER} docs/book/src/troubleshooting.md",
            f"{PROVIDER} website/content/en/troubleshooting/_index.md",
            f"{PROVIDER_ISSUES}213",
            f"{PROVIDER_ISSUES}742",
        ),
    ),
    Cause(
        "provider-not-installed",
        _rx(
            # driver < 0.0.14 exec'd the provider binary (provider troubleshooting page, issues #254 #259 #303)
            r"failed to find provider binary",
            r"secrets-store-csi-providers/azure/provider-azure: no such file or directory",
            # driver pkg/secrets-store/nodeserver.go + provider_client.go: no <provider>.sock in the provider dirs
            r"error connecting to provider \"?azure",
            r"provider not found: provider \"?azure",
            # gRPC dial of the provider socket fails (provider pod not running on the node)
            r"azure\.sock\S*:? (connect: )?(connection refused|no such file or directory)",
        ),
        "the Azure Key Vault provider is not running on the Pod's node (the driver finds no /provider/azure.sock): "
        "set `keyvault-csi:driver: {install: helm}` (installs driver and provider) or enable the AKS add-on "
        "(`az aks enable-addons --addons azure-keyvault-secrets-provider -g <rg> -n <cluster>`); "
        "check `kubectl get pods -A -l app=csi-secrets-store-provider-azure -o wide` on that node",
        (
            f"{DRIVER} pkg/secrets-store/provider_client.go",
            f"{DRIVER} pkg/secrets-store/nodeserver.go",
            f"{PROVIDER} website/content/en/troubleshooting/_index.md",
            f"{PROVIDER_ISSUES}259",
            f"{PROVIDER_ISSUES}303",
        ),
    ),
    Cause(
        "class-not-found",
        _rx(
            # driver pkg/secrets-store/utils.go getSecretProviderItem; Kubernetes NotFound text after it
            r"failed to get secrets?providerclass\s+\S+\s*, error: .*not found",
            r"SecretProviderClass\S* \"[^\"]+\" not found",
            # driver pkg/secrets-store/nodeserver.go: volumeAttributes without secretProviderClass
            r"secretProviderClass is not set",
        ),
        "the Pod's volume names a SecretProviderClass that does not exist in the Pod's namespace: the class and the "
        "Pod must share a namespace and `volumeAttributes.secretProviderClass` must equal the class name; "
        "keyvault-csi renders both from `keyvault-csi:workloads[i]` (`secretProviderClass`, `namespace`) - "
        "apply the stack again if the class was deleted",
        (
            f"{DRIVER} pkg/secrets-store/utils.go",
            f"{DRIVER} docs/book/src/troubleshooting.md",
            f"{DRIVER_ISSUES}811",
            f"{PROVIDER_ISSUES}590",
        ),
    ),
    Cause(
        "multiple-identities",
        _rx(
            # IMDS 400 invalid_request when the node holds several user-assigned identities (issues #598 #853 #1133)
            r"Multiple user assigned identities exist",
        ),
        "the node holds several managed identities and the class names none: the class parameter must be "
        "`userAssignedIdentityID` (exact spelling, the identity's client ID, not its object/principal ID) - "
        "keyvault-csi renders it from `keyvault-csi:identity`; an empty value means the system-assigned identity, "
        "which is refused once user-assigned identities are on the scale set",
        (f"{PROVIDER_ISSUES}598", f"{PROVIDER_ISSUES}725", f"{PROVIDER_ISSUES}853", f"{PROVIDER_ISSUES}1133"),
    ),
    Cause(
        "identity-not-on-node",
        _rx(
            # IMDS 400 invalid_request "Identity not found" (provider issue #1356, OWASP/wrongsecrets#500)
            r"Identity not found",
            # IMDS when no identity at all is assigned to the VM / scale set
            r"No managed identity (was )?(found|assigned)|no identity has been assigned to this resource",
        ),
        "IMDS on the node does not know the requested identity: the client ID in the class is not assigned to the "
        "Pod's VM scale set (or the Pod runs on a pool that is not listed): keyvault-csi assigns "
        "`keyvault-csi:identity` to every scale set in `keyvault-csi:nodes`, so add the Pod's pool there, "
        "or check the class's "
        "`userAssignedIdentityID` is the identity's client ID",
        (f"{PROVIDER_ISSUES}1356", "https://github.com/OWASP/wrongsecrets/pull/500", f"{PROVIDER} pkg/auth/auth.go"),
    ),
    Cause(
        "pod-identity",
        _rx(
            # aad-pod-identity NMI answered for the token (provider pkg/auth/auth.go, issues #200 #352 #476 #1016)
            r"nmi response failed with status code",
            # NMI's port on the node: usePodIdentity "true" with no NMI running
            r"(localhost|127\.0\.0\.1|\[::1\]):2579",
        ),
        'the class asks aad-pod-identity (deprecated) for the token (`usePodIdentity: "true"`) or NMI intercepts '
        'IMDS on the node: keyvault-csi renders `usePodIdentity: "false"`, so the live class is not the planned one '
        "(re-apply the stack) or aad-pod-identity is still installed - remove it or use `keyvault-csi:identity: "
        "{type: workload, ...}`",
        (
            f"{PROVIDER} pkg/auth/auth.go",
            f"{PROVIDER} website/content/en/troubleshooting/_index.md",
            f"{PROVIDER_ISSUES}352",
            f"{PROVIDER_ISSUES}1016",
        ),
    ),
    Cause(
        "identity-mode-missing",
        _rx(
            # provider pkg/auth/auth.go: no identity flag set, so it falls back to a service principal secret
            r"nodePublishSecretRef secret is not set",
            r"could not find client(id|secret) in secrets",
            r"no identity mode is enabled",
            # provider pkg/provider/provider.go
            r"only one identity mode can be enabled at a time",
        ),
        "the class enables no usable identity mode, so the provider expects a service-principal secret "
        '(nodePublishSecretRef): keyvault-csi renders `useVMManagedIdentity: "true"` + `userAssignedIdentityID` for '
        "node identities and `clientID` for workload identity from `keyvault-csi:identity` - re-apply the stack, and "
        "for workload identity run a provider that supports it (>= 1.1) on every node OS",
        (
            f"{PROVIDER} pkg/auth/auth.go",
            f"{PROVIDER} pkg/provider/provider.go",
            f"{PROVIDER_ISSUES}445",
            f"{PROVIDER_ISSUES}1290",
        ),
    ),
    Cause(
        "objects-unparseable",
        _rx(
            # provider pkg/provider/provider.go: the `objects` parameter (YAML inside YAML)
            r"failed to (yaml )?unmarshal objects",
            r"unmarshal failed for keyVaultObjects at index \d+",
            r"objects is not set",
            r"Invalid vaultObjectTypes",
            r"objectType is not a valid",
            # provider pkg/provider/validate.go
            r"invalid objectFormat|invalid objectEncoding|PFX format only supported|objectEncoding only supported",
            r"file name must (not be empty|be a relative path|not contain)",
            r"file permission must be a valid octal number",
        ),
        "the class's `objects` parameter is not what the provider parses (`array:` of YAML strings, objectType "
        "secret|key|cert): keyvault-csi renders it from `keyvault-csi:workloads[i].objects` - a hand-edited or "
        "templated class is being used; re-apply the stack's class",
        (
            f"{PROVIDER} pkg/provider/provider.go",
            f"{PROVIDER} pkg/provider/validate.go",
            f"{PROVIDER} pkg/provider/types/parameters.go",
            f"{PROVIDER_ISSUES}290",
            f"{PROVIDER_ISSUES}590",
        ),
    ),
    Cause(
        "cloud-not-valid",
        _rx(
            # provider pkg/provider/provider.go: EnvironmentFromName failed (unknown name, or AzureStackCloud's file)
            r"cloudName \S* ?is not valid",
            r"failed to set AZURE_ENVIRONMENT_FILEPATH",
        ),
        "the class's cloudName is not a cloud the provider knows, or (AzureStackCloud) its cloudEnvFileName cannot "
        "be opened inside the provider pod, which is where the provider reads it: keyvault-csi renders both from "
        "`keyvault-csi:workloads[i].cloudName` / `cloudEnvFileName`; with `driver.install: helm` it mounts the "
        "file's folder into the provider pods (`driver.providerHostFolders`) - check the file exists at that path "
        "on the Pod's node; a provider installed otherwise needs the chart's linux.volumes/linux.volumeMounts "
        "(the AKS add-on cannot mount it)",
        (
            f"{PROVIDER} pkg/provider/provider.go",
            f"{PROVIDER} pkg/provider/provider_test.go",
            f"{PROVIDER} website/content/en/configurations/custom-environments.md",
        ),
    ),
    Cause(
        "vault-not-found",
        _rx(
            # provider pkg/provider/provider.go getVaultURL / parseParameters
            r"Invalid vault name",
            r"keyvaultName is not provided",
            r"keyvault name \S* ?is invalid",
            # Go resolver: the vault's DNS name does not exist (or its private DNS zone is not linked)
            r"lookup \S+\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)( on \S+)?: no such host",
        ),
        "the vault name in the class does not resolve: check `keyvault-csi:keyVault.name` (the vault's name, not "
        "its resource group or URL); a private-endpoint vault also needs its privatelink.vaultcore.azure.net zone "
        "linked to the cluster's VNet",
        (f"{PROVIDER} pkg/provider/provider.go", f"{DRIVER_ISSUES}661"),
    ),
    Cause(
        "token-audience-missing",
        _rx(
            # provider v1.8.2 pkg/auth/auth.go parseTokenForAudience, pkg/provider/provider.go buildAuthConfig:
            # the driver passed no token (CSIDriver without tokenRequests) or none for the mode's audience
            r"token for audience \S+ not found",
            r"service account tokens are required for identity binding",
            r"failed to parse workload identity tokens, error: service account tokens not found",
        ),
        "the driver passed no service-account token for the audience the class's identity mode needs "
        "(`api://AzureADTokenExchange` for workload identity, `api://AKSIdentityBinding` for identity binding): the "
        "CSIDriver's `spec.tokenRequests` (`kubectl get csidriver secrets-store.csi.k8s.io -o yaml`) must list it - "
        "`keyvault-csi:driver: {install: helm}` keeps the chart's default (both audiences from chart 1.8.1) and "
        "refuses `driver.values` that drop one; the AKS add-on is documented for workload identity only",
        (
            f"{PROVIDER} pkg/auth/auth.go",
            f"{PROVIDER} pkg/provider/provider.go",
            f"{PROVIDER} charts/csi-secrets-store-provider-azure/values.yaml",
            f"{DRIVER} charts/secrets-store-csi-driver/templates/csidriver.yaml",
            f"{PROVIDER_ISSUES}1022",
        ),
    ),
    Cause(
        "identity-binding-client-id",
        _rx(
            # provider v1.8.2 pkg/provider/provider.go buildAuthConfig, pkg/auth/auth.go GetCredential
            r"clientID is required for identity binding",
            r"workload identity client ID and service account token are required for identity binding",
        ),
        'the class sets `useAzureTokenProxy: "true"` (AKS identity binding) without `clientID`: keyvault-csi renders '
        "both from `keyvault-csi:identity: {type: identityBinding, ...}` - a hand-written class is in use, or the "
        "live class is not the planned one (re-apply the stack)",
        (f"{PROVIDER} pkg/provider/provider.go", f"{PROVIDER} pkg/auth/auth.go"),
    ),
    Cause(
        "identity-binding-proxy",
        _rx(
            # provider v1.8.2 pkg/auth/auth.go getIdentityBindingTokenCredential, internal/identitybinding
            r"proxy transport not available",
            r"identity binding proxy transport not initialized",
            r"cluster ID SAN not found in API server certificate",
            r"compute SNI name: ",
        ),
        "the provider could not set up AKS's identity binding token proxy when it started (it derives the proxy's "
        "TLS name from the API server's certificate): identity bindings work on AKS clusters only, and not with API "
        "server VNet integration (keyvault-csi refuses such a cluster at preview); check the provider pod's log on "
        "the Pod's node for `configuring identity binding proxy transport` and restart it once the API server is "
        "reachable, or use `keyvault-csi:identity: {type: workload, ...}` on this cluster",
        (
            f"{PROVIDER} pkg/auth/auth.go",
            f"{PROVIDER} internal/identitybinding/identitybinding.go",
            "https://learn.microsoft.com/azure/aks/identity-bindings-concepts",
        ),
    ),
    Cause(
        "federation-mismatch",
        _rx(
            # Entra ID token exchange errors (MicrosoftDocs/azure-docs#106441, Azure/azure-workload-identity#340 #1200)
            r"AADSTS70021\b",
            r"AADSTS7002(11|12|13|138)\b",
            r"No matching federated identity record found",
        ),
        "Entra ID refused the service account token: the federated credential's issuer, subject "
        "(`system:serviceaccount:<ns>:<sa>`, case-sensitive) or audience (`api://AzureADTokenExchange`) does not "
        "match - keyvault-csi declares the credential from `keyvault-csi:identity.cluster` (OIDC issuer) and "
        "`keyvault-csi:workloads[i].serviceAccount`; the Pod must run as that service account. With identity type "
        "identityBinding no credential of the cluster's issuer exists (AKS's one has the binding's issuer): a provider "
        'older than v1.8.1 (the AKS add-on\'s) ignores `useAzureTokenProxy: "true"` and sends the token to Entra '
        "directly - use `keyvault-csi:driver: {install: helm}`",
        (
            "https://github.com/MicrosoftDocs/azure-docs/issues/106441",
            "https://github.com/Azure/azure-workload-identity/issues/340",
            "https://github.com/Azure/azure-workload-identity/issues/1200",
            f"{PROVIDER_ISSUES}1092",
        ),
    ),
    Cause(
        "vault-firewall",
        _rx(
            # Key Vault 403 from its network rules, not from the permission model
            r"ForbiddenByFirewall",
            r"Client address is not authorized and caller is not a trusted service",
        ),
        "the vault's firewall refuses the node's address: allow the cluster's egress IP / node subnet on the vault "
        "(`az keyvault network-rule add`) or use a private endpoint - not a keyvault-csi setting (docs/network.md)",
        (
            "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/troubleshoot-key-vault-csi-secrets-store-csi-driver",
        ),
    ),
    Cause(
        "rbac-denied",
        _rx(
            # Key Vault's Azure RBAC 403 (docs/azure-rules.md §kv-denials; provider issues #906 #945)
            r"ForbiddenByRbac",
            r"Caller is not authorized to perform action on resource",
            r"DeniedWithNoValidRBAC",
        ),
        "the vault uses Azure RBAC and no role assignment lets the caller (appid/oid in the message) read this "
        "object: keyvault-csi assigns Key Vault Secrets User (secrets) and Key Vault Reader (keys, certs) on the vault "
        "to `keyvault-csi:identity` when `keyvault-csi:keyVault.permissionModel` is rbac or auto - check that the "
        "caller is that identity (its client ID) and that the stack is applied; right after `pulumi up` wait: role "
        "assignments take up to 10 minutes to apply (--stack compares the caller with the stack)",
        (
            f"{PROVIDER_ISSUES}906",
            f"{PROVIDER_ISSUES}945",
            f"{DRIVER_ISSUES}1008",
            "https://github.com/piyushsachdeva/Terraform_AKS/issues/2",
            "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting",
        ),
    ),
    Cause(
        "access-policy-denied",
        _rx(
            # Key Vault's access-policy 403 (docs/azure-rules.md §kv-denials)
            r"does not have (secrets|keys|certificates) \w+ permission on key vault",
            # older wording (flexvolume era) and its inner code
            r"Caller was not found on any access policy",
            r"InnerError=\{\\?\"?code\\?\"?:\\?\"?AccessDenied",
        ),
        "the vault uses access policies and none lets the caller (appid/oid in the message) read this object: "
        "keyvault-csi writes get (and list for objectVersionHistory > 1) on the declared object kinds for the "
        "principal of `keyvault-csi:identity` when `keyvault-csi:keyVault.permissionModel` is accessPolicy or auto - "
        "check that the caller is that identity and that the stack is applied "
        "(--stack compares the caller with the stack)",
        (
            "https://github.com/SparebankenVest/azure-key-vault-to-kubernetes/issues/203",
            "https://github.com/turbot/steampipe-plugin-azure/issues/127",
            "https://github.com/microsoft/RockPaperScissorsLizardSpock/issues/7",
            "https://learn.microsoft.com/azure/key-vault/general/rest-error-codes",
        ),
    ),
    Cause(
        "permission-denied",
        _rx(
            # a 403 whose body (cut, or summarised in a title) names neither model (provider issue #1328)
            r"Code=\"?(Forbidden|AccessDenied)\"?",
            r"Status(Code)?=403|RESPONSE 403",
        ),
        "the identity may not read this object, and the message does not say which permission model refused it: "
        "`keyvault-csi:keyVault.permissionModel` must match the vault (`az keyvault show -n <vault> --query "
        "properties.enableRbacAuthorization`: true = rbac, false = accessPolicy; auto reads it) - keyvault-csi then "
        "grants get on the declared object kinds; role assignments take up to 10 minutes to apply",
        (f"{PROVIDER_ISSUES}1328",),
    ),
    Cause(
        "object-not-found",
        _rx(
            # Key Vault 404 codes (provider issue #497, kubernetes-sigs issue #567)
            r"\b(SecretNotFound|KeyNotFound|CertificateNotFound)\b",
            r"A (secret|key|certificate) with \(name/id\) \S+ was not found in this key vault",
            r"(secret|key|certificate) not found: \S+",
        ),
        "the object does not exist in the vault (name, type or version): check "
        "`keyvault-csi:workloads[i].objects[j].objectName` / `objectType` / `objectVersion` against "
        "`az keyvault secret|key|certificate list --vault-name <vault>`; a certificate is objectType cert "
        "(or secret for its private key)",
        (f"{PROVIDER_ISSUES}497", f"{DRIVER_ISSUES}567", f"{PROVIDER} pkg/provider/provider.go"),
    ),
    Cause(
        "message-too-large",
        _rx(
            # driver docs/book/src/troubleshooting.md: gRPC limit of 4 MiB between driver and provider
            r"grpc: received message larger than max",
        ),
        "the mounted objects exceed the driver's 4 MiB gRPC limit: split `keyvault-csi:workloads[i].objects` across "
        "workloads or raise the driver's `--max-call-recv-msg-size`",
        (f"{DRIVER} docs/book/src/troubleshooting.md",),
    ),
    Cause(
        "secret-sync-mismatch",
        _rx(
            # driver pkg/util/secretutil/secret.go, FailedToCreateSecret event (provider issue #673)
            r"file matching objectName \S+ not found in the pod",
        ),
        "a `secretObjects[].data[].objectName` names no mounted file: it must equal an objectAlias (or objectName "
        "without alias) of the class's objects - keyvault-csi checks this in "
        "`keyvault-csi:workloads[i].secretObjects`; re-apply the stack's class",
        (
            f"{DRIVER} pkg/util/secretutil/secret.go",
            f"{DRIVER} controllers/secretproviderclasspodstatus_controller.go",
            f"{PROVIDER_ISSUES}673",
        ),
    ),
    Cause(
        "secret-sync-forbidden",
        _rx(
            # provider troubleshooting page: driver installed without syncSecret.enabled
            # (kubectl and klog escape the quotes: \" in the text)
            r"secrets is forbidden: User \\?\"system:serviceaccount:[^\"\\]*secrets-store[^\"\\]*\\?\" "
            r"cannot (create|patch|update)",
        ),
        "the driver may not write Kubernetes Secrets (installed without `syncSecret.enabled=true`): install it with "
        "secret sync (`keyvault-csi:driver: {install: helm}` sets it; the AKS add-on has it on)",
        (f"{PROVIDER} website/content/en/troubleshooting/_index.md",),
    ),
    Cause(
        "vault-unreachable",
        _rx(
            # no answer from Key Vault / Entra ID in time (provider troubleshooting page, issues #292 #381 #1063)
            r"context deadline exceeded|DeadlineExceeded",
            r"i/o timeout",
            r"lookup login\.microsoftonline\.(com|us)( on \S+)?: no such host",
        ),
        "the provider (hostNetwork, on the node) got no answer from Key Vault or Entra ID in time: check egress from "
        "the node to <vault>.vault.azure.net:443 and login.microsoftonline.com:443 (firewall, NSG, proxy, "
        "private DNS); a misspelt `keyvault-csi:keyVault.name` behind a private DNS zone looks the same",
        (
            f"{PROVIDER} website/content/en/troubleshooting/_index.md",
            f"{PROVIDER_ISSUES}381",
            f"{PROVIDER_ISSUES}1063",
            f"{PROVIDER_ISSUES}186",
        ),
        broad=True,
    ),
)

UNKNOWN_FIX = (
    "not in the doctor's catalogue: read the provider's log on the Pod's node "
    "(`kubectl logs -n kube-system -l app=csi-secrets-store-provider-azure --since=1h | grep ^E`) and the driver's "
    "(`-l app=secrets-store-csi-driver -c secrets-store`)"
)

BY_ID: dict[str, Cause] = {cause.id: cause for cause in CATALOGUE}

# A FailedMount counts as a secrets-store mount when it names the driver, the class or the vault; other
# volumes (configmaps, PVCs, other CSI drivers) are not the doctor's business.
_SECRETS_STORE = re.compile(
    r"secrets[- ]store|secretproviderclass|keyvault|key vault|\.vault\.azure\.net|provider-azure", re.IGNORECASE
)
# kubelet's summary line repeats the volume names of a failed mount without a cause.
_KUBELET_SUMMARY = re.compile(r"Unable to (attach or )?mount volumes: .*timed out waiting for the condition", re.DOTALL)


def classify(message: str) -> str:
    """The first matching cause's id, else ``unknown``."""
    for cause in CATALOGUE:
        if cause.matches(message):
            return cause.id
    return UNKNOWN


def is_secrets_store(message: str) -> bool:
    """Whether a mount failure concerns a secrets-store volume (mentions it, or has a catalogued cause)."""
    return bool(_SECRETS_STORE.search(message)) or any(c.matches(message) for c in CATALOGUE if not c.broad)


def is_kubelet_summary(message: str) -> bool:
    return bool(_KUBELET_SUMMARY.search(message))


def fix_for(cause_id: str) -> str:
    cause = BY_ID.get(cause_id)
    return cause.fix if cause else UNKNOWN_FIX
