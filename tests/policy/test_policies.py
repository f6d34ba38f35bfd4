"""Each policy of the pack on hand-built ResourceValidationArgs / StackValidationArgs, as the analyzer builds them."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from keyvault_csi.rules.objects import KeyVaultObject, render_objects
from policy.keyvault_csi_policy import POLICIES, keyvault_access, node_identity, pods, rotation, secret_provider_class

SPC_V1 = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
SPC_V1ALPHA1 = "kubernetes:secrets-store.csi.x-k8s.io/v1alpha1:SecretProviderClass"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
VAULT_SCOPE = f"{SUB}/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kvname"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
OWNER = "8e3af657-a8ff-443e-a75c-2fe8c4bcb635"
OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
K8S_PROVIDER = PolicyProviderResource(
    "pulumi:providers:kubernetes", {}, "urn:pulumi:t::p::pulumi:providers:kubernetes::k8s", "k8s"
)


def check(
    policy: ResourceValidationPolicy, type_: str, props: Mapping[str, Any], *, config=None, provider=K8S_PROVIDER
) -> list[str]:
    """The messages ``policy`` reports for one resource (props behind the analyzer's proxy)."""
    args = ResourceValidationArgs(
        type_,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        f"urn:pulumi:t::p::{type_}::r",
        "r",
        OPTIONS,
        provider,
        config,
    )
    messages: list[str] = []
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def check_stack(
    policy: StackValidationPolicy, resources: list[PolicyResource], *, config=None
) -> list[tuple[str, str | None]]:
    messages: list[tuple[str, str | None]] = []
    policy.validate(StackValidationArgs(resources, config), lambda message, urn=None: messages.append((message, urn)))
    return messages


def stack_resource(
    type_: str, name: str, props: Mapping[str, Any], *, custom: bool = True, provider_props=None
) -> PolicyResource:
    provider = (
        PolicyProviderResource("pulumi:providers:x", provider_props or {}, "urn:provider", "x") if custom else None
    )
    return PolicyResource(
        type_,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        f"urn:pulumi:t::p::{type_}::{name}",
        name,
        OPTIONS,
        provider,
        None,
        [],
        {},
    )


# --- SecretProviderClass -------------------------------------------------------------------------


def spc(**parameters: Any) -> dict[str, Any]:
    base = {
        "keyvaultName": "kvname",
        "tenantID": TENANT,
        "usePodIdentity": "false",
        "useVMManagedIdentity": "true",
        "userAssignedIdentityID": "00000000-0000-0000-0000-00000000c1e7",
        "objects": render_objects(
            [
                KeyVaultObject(objectName="secret1", objectType="secret"),
                KeyVaultObject(objectName="key1", objectType="key"),
            ]
        ),
    }
    for key, value in parameters.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": "azure-kvname", "namespace": "apps"},
        "spec": {"provider": "azure", "parameters": base},
    }


def spc_problems(props: Mapping[str, Any], type_: str = SPC_V1, config=None) -> list[str]:
    return check(secret_provider_class.POLICY, type_, props, config=config)


def spc_advisories(props: Mapping[str, Any], type_: str = SPC_V1) -> list[str]:
    return check(secret_provider_class.ADVISORY_POLICY, type_, props)


def test_a_correct_class_passes() -> None:
    assert spc_problems(spc()) == [] and spc_advisories(spc()) == []
    assert spc_problems(spc(userAssignedIdentityID="")) == []  # the nodes' system-assigned identity
    workload = spc(
        useVMManagedIdentity="false", userAssignedIdentityID=None, clientID="00000000-0000-0000-0000-00000000c1e7"
    )
    assert spc_problems(workload) == []


def one(messages: list[str], *fragments: str) -> str:
    """The single message; it names the class and every fragment (each message names a fix)."""
    assert len(messages) == 1, messages
    for fragment in ("SecretProviderClass apps/azure-kvname", "fix:", *fragments):
        assert fragment in messages[0], f"{fragment!r} not in {messages[0]!r}"
    return messages[0]


def test_v1alpha1_is_advised_against_with_the_v1_fix() -> None:
    # Still served (with a deprecation warning): advisory, as the provider's own examples use it.
    props = spc()
    props["apiVersion"] = "secrets-store.csi.x-k8s.io/v1alpha1"
    assert spc_problems(props, SPC_V1ALPHA1) == []
    one(
        spc_advisories(props, SPC_V1ALPHA1),
        "'secrets-store.csi.x-k8s.io/v1alpha1'",
        "use apiVersion 'secrets-store.csi.x-k8s.io/v1'",
    )


def test_class_recognised_by_api_version_and_kind_under_another_type_token() -> None:
    props = spc(userAssignedIdentityId="x")
    assert spc_problems(props, "azure-native:storage:StorageAccount") == []  # not a Kubernetes object: untouched
    props["apiVersion"] = "secrets-store.csi.x-k8s.io/v1alpha1"
    one(spc_problems(props, "kubernetes:yaml/v2:SecretProviderClass"), "userAssignedIdentityID")
    one(spc_advisories(props, "kubernetes:yaml/v2:SecretProviderClass"), "v1alpha1")


@pytest.mark.parametrize(
    ("key", "fix"),
    [
        ("userAssignedIdentityId", "did you mean 'userAssignedIdentityID'? fix: rename it to 'userAssignedIdentityID'"),
        ("clientId", "did you mean 'clientID'"),
        ("keyVaultName", "did you mean 'keyvaultName'"),
        ("cloudname", "did you mean 'cloudName'"),
    ],
)
def test_misspelt_parameter_keys_are_refused_with_a_did_you_mean(key: str, fix: str) -> None:
    one(spc_problems(spc(**{key: "x"})), repr(key), "not read by the Azure provider", fix)
    assert spc_advisories(spc(**{key: "x"})) == []


def test_other_unknown_parameter_keys_are_advised_against() -> None:
    # Ignored by the provider and close to no key it reads: nothing meant is lost.
    assert spc_problems(spc(resourceGroup="rg")) == []
    one(spc_advisories(spc(resourceGroup="rg")), "'resourceGroup'", "not read by the Azure provider", "fix: remove it")


def test_deprecated_tenant_id_spelling_is_advisory() -> None:
    # The provider reads tenantId when tenantID is empty (pkg/provider/types/parameters.go GetTenantID).
    assert spc_problems(spc(tenantID=None, tenantId=TENANT)) == []
    one(
        spc_advisories(spc(tenantID=None, tenantId=TENANT)),
        "'tenantId' is the deprecated spelling, still read",
        "rename it to 'tenantID'",
    )
    assert spc_problems(spc(tenantID=" ", tenantId=TENANT)) == []
    one(spc_advisories(spc(tenantId="other")), "'tenantId' is ignored: tenantID is set", "remove 'tenantId'")


def test_tenant_id_is_required() -> None:
    one(spc_problems(spc(tenantID=None)), "'tenantID' is missing", "set tenantID")
    one(spc_problems(spc(tenantID="")), "'tenantID' is missing or empty")
    one(spc_problems(spc(tenantID=None, tenantId=" ")), "'tenantID' is missing or empty")


def test_client_id_with_vm_managed_identity() -> None:
    one(
        spc_problems(spc(clientID="00000000-0000-0000-0000-00000000c1e7")),
        "clientID is set together with useVMManagedIdentity",
        "remove clientID",
    )


def test_at_most_one_identity_mode() -> None:
    one(
        spc_problems(spc(usePodIdentity="true")),
        'usePodIdentity and useVMManagedIdentity are all "true"',
        "exactly one identity mode",
    )
    one(spc_problems(spc(useVMManagedIdentity="yes")), "'useVMManagedIdentity' is 'yes'", '"true" or "false"')
    # ParseBool spellings are accepted; the token proxy is a mode of its own with clientID.
    assert (
        spc_problems(
            spc(useAzureTokenProxy="True", useVMManagedIdentity="0", userAssignedIdentityID=None, clientID="c")
        )
        == []
    )


def test_identity_binding_needs_a_client_id() -> None:
    # Provider v1.8.2 pkg/provider/provider.go buildAuthConfig.
    one(
        spc_problems(spc(useAzureTokenProxy="true", useVMManagedIdentity="false", userAssignedIdentityID=None)),
        'useAzureTokenProxy is "true" (AKS identity binding) without clientID',
        "clientID is required for identity binding",
    )


def test_service_principal_mode_is_a_valid_identity_mode() -> None:
    # No use* flag true and no clientID: credentials from the Pod volume's nodePublishSecretRef.
    assert spc_problems(spc(useVMManagedIdentity="false", userAssignedIdentityID=None)) == []
    assert spc_problems(spc(useVMManagedIdentity=None, usePodIdentity=None, userAssignedIdentityID=None)) == []


def test_flags_are_trimmed_then_parsed_as_go_parse_bool() -> None:
    # The provider trims the value: " true " is VM identity, not a parse error.
    assert spc_problems(spc(useVMManagedIdentity=" true ")) == []
    one(spc_problems(spc(useVMManagedIdentity="on")), "'on'", "strconv.ParseBool", "fails the mount")


def test_client_id_with_vm_identity_says_what_the_provider_does() -> None:
    one(
        spc_problems(spc(clientID="00000000-0000-0000-0000-000000000002")),
        "uses the VM identity and ignores clientID",
        "api://AzureADTokenExchange",
        "fix: remove clientID",
    )


def test_user_assigned_identity_id_must_be_a_client_id_used_with_vm_identity() -> None:
    one(
        spc_problems(
            spc(
                userAssignedIdentityID=f"{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"
            )
        ),
        "is a resource ID",
        "client ID",
    )
    # Outside VM identity mode the provider ignores it (pkg/auth/auth.go GetCredential): advisory.
    ignored = spc(useVMManagedIdentity=None, clientID="c")
    assert spc_problems(ignored) == []
    one(spc_advisories(ignored), "userAssignedIdentityID is ignored", 'only with useVMManagedIdentity "true"')
    resource_id = spc(useVMManagedIdentity="false", userAssignedIdentityID=f"{SUB}/x")
    assert spc_problems(resource_id) == [] and len(spc_advisories(resource_id)) == 1


def test_parameter_values_must_be_strings() -> None:
    one(spc_problems(spc(usePodIdentity=False)), "'usePodIdentity' is False, not a string", "quote it")


def test_vault_name_and_cloud() -> None:
    one(spc_problems(spc(keyvaultName="my--vault")), "'my--vault' is not a Key Vault name")
    one(spc_problems(spc(keyvaultName=None)), "'keyvaultName' is missing")
    one(spc_problems(spc(cloudName="AzureMoonCloud")), "'AzureMoonCloud'", "AzurePublicCloud")
    one(spc_problems(spc(cloudName="AzureStackCloud")), "needs cloudEnvFileName")
    one(spc_problems(spc(cloudName="AzureGermanCloud")), "Microsoft Cloud Deutschland closed on 2021-10-29")
    assert spc_problems(spc(cloudName="azureusgovernmentcloud")) == []  # case-insensitive, as the provider


def test_objects_is_required() -> None:
    """The provider fails a class without objects (docs/azure-rules.md §objects-yaml); blank is missing too."""
    for missing in (None, "", "  \n"):
        one(spc_problems(spc(objects=missing)), "parameter 'objects' is missing", "list the Key Vault objects")


def test_provider_must_be_azure_unless_configured() -> None:
    props = spc()
    props["spec"]["provider"] = "vault"
    one(spc_problems(props), "spec.provider is 'vault'", "set provider: azure")
    assert spc_problems(props, config={"allowedProviders": ["azure", "vault"]}) == []  # and no Azure checks


OBJECT_CASES = [
    ("array:\n  - |\n    objectName: a\n   objectType: secret\n", ["does not parse", "one '- |' block per object"]),
    ("array:\n  - objectName: a\n", ["does not parse", "list of strings"]),
    (
        "array:\n  - |\n    objectName: a\n    objectType: Secret\n",
        ["objects[0].objectType", "'Secret' is not allowed", "secret, key, cert"],
    ),
    (
        "array:\n  - |\n    objectNmae: a\n    objectType: secret\n",
        ["objects[0].objectNmae", "did you mean 'objectName'"],
    ),
    ("array:\n  - |\n    objectType: secret\n", ["objects[0].objectName: required"]),
    (
        'array:\n  - |\n    objectName: a\n    objectType: secret\n    filePermission: "0999"\n',
        ["objects[0].filePermission", "'0999'"],
    ),
    (
        "array:\n  - |\n    objectName: a\n    objectType: key\n    objectFormat: pfx\n",
        ["objects[0]", "pfx", "objectType 'secret'"],
    ),
    (
        "array:\n  - |\n    objectName: a\n    objectType: secret\n"
        "  - |\n    objectName: b\n    objectType: key\n    objectAlias: a\n",
        ["objects [0, 1] all write the file 'a'", "fix: give them distinct objectAlias"],
    ),
    ("array: []\n", ["lists no object"]),
]


@pytest.mark.parametrize(("objects", "fragments"), OBJECT_CASES, ids=[str(i) for i in range(len(OBJECT_CASES))])
def test_objects_parse_in_two_levels_and_obey_the_provider(objects: str, fragments: list[str]) -> None:
    messages = spc_problems(spc(objects=objects))
    assert messages, objects
    joined = "\n".join(messages)
    for fragment in fragments:
        assert fragment in joined, f"{fragment!r} not in {joined}"


def block(*lines: str) -> str:
    """An objects string of one object written by hand, one field per line."""
    return "array:\n  - |\n" + "".join(f"    {line}\n" for line in lines)


@pytest.mark.parametrize(
    "objects",
    [
        block("objectName: a", "objectType: secret", "filePermission: 0755"),  # go-yaml reads the text "0755"
        block("objectName: a", "objectType: secret", 'filePermission: "00644"'),
        block("objectName: a", "objectType: key", 'objectAlias: ""', 'objectFormat: ""', 'objectEncoding: ""'),
        block("objectName: a", "objectType: secret", "objectFormat: PFX", "objectEncoding: Base64"),
        block("objectName: a", "objectType: secret", "objectVersion: latest", "objectVersionHistory: 3"),
        block("objectName: a", "objectType: cert", "objectAlias:", "filePermission:"),  # null: empty, the default
    ],
)
def test_objects_the_provider_accepts_pass(objects: str) -> None:
    assert spc_problems(spc(objects=objects)) == [] and spc_advisories(spc(objects=objects)) == []


def test_pfx_in_another_case_on_a_cert_is_ignored_not_refused() -> None:
    # validate.go compares objectFormat == "pfx" exactly for the secret-only check; getSecret uses EqualFold.
    objects = block("objectName: a", "objectType: cert", "objectFormat: PFX")
    assert spc_problems(spc(objects=objects)) == []
    one(spc_advisories(spc(objects=objects)), "objects[0].objectFormat 'PFX' is ignored with objectType 'cert'")
    one(spc_problems(spc(objects=block("objectName: a", "objectType: cert", "objectFormat: pfx"))), "pfx needs")


def test_unknown_object_fields_are_refused_only_when_misspelt() -> None:
    misspelt = block("objectName: a", "objectType: secret", "objectAliass: b")
    one(spc_problems(spc(objects=misspelt)), "objects[0].objectAliass", "did you mean 'objectAlias'")
    unknown = block("objectName: a", "objectType: secret", "owner: team-a")
    assert spc_problems(spc(objects=unknown)) == []
    one(spc_advisories(spc(objects=unknown)), "objects[0].owner: unknown field", "fix: remove it")


def test_a_field_given_twice_fails_as_the_provider_decodes_it() -> None:
    one(
        spc_problems(spc(objects=block("objectName: a", "objectType: secret", "objectName: b"))),
        "unmarshal failed for keyVaultObjects at index 0",
        'mapping key "objectName" already defined',
    )


def test_unknown_values_skip_only_what_is_unknown() -> None:
    """In a preview the client ID is not known yet: the other checks still run, and nothing raises."""
    assert spc_problems(spc(userAssignedIdentityID=UNKNOWN_STRING_VALUE)) == []
    one(
        spc_advisories(spc(userAssignedIdentityID=UNKNOWN_STRING_VALUE, tenantId=TENANT, tenantID=None)),
        "deprecated spelling",
    )
    assert spc_problems(spc(tenantID=UNKNOWN_STRING_VALUE)) == []
    props = spc()
    props["spec"] = UNKNOWN_STRING_VALUE
    assert spc_problems(props) == []


# --- Key Vault access policies -------------------------------------------------------------------


def access_policy(permissions: dict[str, list[str]], object_id: str = "0bj") -> dict[str, Any]:
    return {
        "resourceGroupName": "rg-secrets",
        "vaultName": "kvname",
        "policy": {"tenantId": TENANT, "objectId": object_id, "permissions": permissions},
    }


@pytest.mark.parametrize(
    "permissions",
    [{"secrets": ["get"]}, {"secrets": ["get", "list"], "keys": ["Get"], "certificates": ["get"]}, {}],
)
def test_read_only_access_policies_pass(permissions: dict) -> None:
    assert check(keyvault_access.ACCESS_POLICY_POLICY, keyvault_access.ACCESS_POLICY, access_policy(permissions)) == []


@pytest.mark.parametrize(
    ("permissions", "named"),
    [
        ({"secrets": ["get", "list", "set"]}, "secrets: set"),
        ({"secrets": ["all"]}, "secrets: all"),
        ({"keys": ["get", "decrypt", "sign"]}, "keys: decrypt, sign"),
        ({"certificates": ["get", "managecontacts"]}, "certificates: managecontacts"),
        ({"storage": ["get"]}, "storage: get"),
    ],
)
def test_broad_access_policies_are_refused(permissions: dict, named: str) -> None:
    (message,) = check(keyvault_access.ACCESS_POLICY_POLICY, keyvault_access.ACCESS_POLICY, access_policy(permissions))
    assert named in message and "vault 'kvname'" in message and "object ID 0bj" in message
    assert "fix: grant only get (list only for objects with objectVersionHistory > 1)" in message


def test_inline_vault_access_policies_and_exemptions() -> None:
    vault = {
        "resourceGroupName": "rg-secrets",
        "vaultName": "kvname",
        "properties": {
            "tenantId": TENANT,
            "accessPolicies": [
                {"tenantId": TENANT, "objectId": "csi", "permissions": {"secrets": ["get"]}},
                {"tenantId": TENANT, "objectId": "admin", "permissions": {"secrets": ["get", "list", "set", "delete"]}},
            ],
        },
    }
    (message,) = check(keyvault_access.ACCESS_POLICY_POLICY, keyvault_access.VAULT, vault)
    assert (
        "inline accessPolicies entry" in message and "object ID admin" in message and "secrets: delete, set" in message
    )
    assert "exemptPrincipalIds" in message
    assert (
        check(
            keyvault_access.ACCESS_POLICY_POLICY, keyvault_access.VAULT, vault, config={"exemptPrincipalIds": ["ADMIN"]}
        )
        == []
    )


# --- RBAC role assignments -----------------------------------------------------------------------


def role(scope: str, guid: str, principal: str = "p1") -> dict[str, Any]:
    return {
        "principalId": principal,
        "principalType": "ServicePrincipal",
        "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "scope": scope,
    }


def role_problems(props: dict, config=None) -> list[str]:
    return check(keyvault_access.ROLE_ASSIGNMENT_POLICY, keyvault_access.ROLE_ASSIGNMENT, props, config=config)


@pytest.mark.parametrize(
    "props",
    [
        role(VAULT_SCOPE, SECRETS_USER),
        role(VAULT_SCOPE.upper(), "21090545-7CA7-4776-B22C-E363652D74D2"),  # Key Vault Reader: keys and certs
        role(f"{VAULT_SCOPE}/secrets/db-password", SECRETS_USER),  # narrower than the vault
        role(f"{SUB}/resourceGroups/rg-app", OWNER),  # not a Key Vault grant: not this policy's business
        role(UNKNOWN_STRING_VALUE, SECRETS_OFFICER),  # preview: scope not known yet
    ],
)
def test_user_roles_at_vault_scope_pass(props: dict) -> None:
    assert role_problems(props) == []


@pytest.mark.parametrize(
    ("props", "fragments"),
    [
        (
            role(VAULT_SCOPE, SECRETS_OFFICER),
            ["Key Vault Secrets Officer on a Key Vault scope", "assign only Key Vault Secrets User"],
        ),
        (role(VAULT_SCOPE, OWNER), [f"role {OWNER} on a Key Vault scope"]),
        # Broader than Key Vault Reader for key/cert objects (rules.grants).
        (
            role(VAULT_SCOPE, "12338af0-0e69-4776-bea7-57ae8d297424"),
            ["Key Vault Crypto User on a Key Vault scope", "decrypt, sign", "Key Vault Reader (21090545"],
        ),
        (
            role(VAULT_SCOPE, "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"),
            ["Key Vault Certificate User on a Key Vault scope", "the value of every secret"],
        ),
        (
            role(f"{SUB}/resourceGroups/rg-secrets", SECRETS_USER),
            ["Key Vault Secrets User scoped to", "scope the assignment to the vault"],
        ),
        (
            role(SUB, "00482a5a-887f-4fb3-b363-3b7fe8e74483"),
            ["Key Vault Administrator scoped to", "reaches every vault"],
        ),
        (role("/providers/Microsoft.Management/managementGroups/mg", SECRETS_USER), ["managementGroups/mg"]),
    ],
)
def test_broad_roles_are_refused(props: dict, fragments: list[str]) -> None:
    (message,) = role_problems(props)
    for fragment in ("RoleAssignment for principal p1", "fix:", *fragments):
        assert fragment in message, message
    assert role_problems(props, config={"exemptPrincipalIds": ["p1"]}) == []


# --- Pods mounting the CSI driver ----------------------------------------------------------------


def pod_spec(
    *, volume_read_only: Any = True, mount_read_only: Any = True, init_read_only: Any = True
) -> dict[str, Any]:
    csi = {"driver": "secrets-store.csi.k8s.io", "volumeAttributes": {"secretProviderClass": "azure-kvname"}}
    if volume_read_only is not None:
        csi["readOnly"] = volume_read_only
    mount = {"name": "kv", "mountPath": "/mnt/secrets-store"}
    if mount_read_only is not None:
        mount["readOnly"] = mount_read_only
    return {
        "initContainers": [
            {
                "name": "init",
                "image": "busybox",
                "volumeMounts": [{"name": "kv", "mountPath": "/kv", "readOnly": init_read_only}],
            }
        ],
        "containers": [
            {"name": "app", "image": "nginx", "volumeMounts": [mount, {"name": "tmp", "mountPath": "/tmp"}]}
        ],
        "volumes": [{"name": "kv", "csi": csi}, {"name": "tmp", "emptyDir": {}}],
    }


def pod(spec: dict, namespace: str | None = "apps") -> dict[str, Any]:
    metadata = {"name": "web"} | ({"namespace": namespace} if namespace else {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def deployment(spec: dict) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "apps"}, "spec": {"template": {"metadata": {}, "spec": spec}}}


def test_read_only_mounts_pass() -> None:
    assert check(pods.READ_ONLY_POLICY, "kubernetes:core/v1:Pod", pod(pod_spec())) == []
    assert check(pods.READ_ONLY_POLICY, "kubernetes:apps/v1:Deployment", deployment(pod_spec())) == []


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (
            pod_spec(volume_read_only=False),
            "volume 'kv' (driver secrets-store.csi.k8s.io) is not csi.readOnly: true; fix: set csi.readOnly: true",
        ),
        (pod_spec(volume_read_only=None), "is not csi.readOnly: true"),
        (
            pod_spec(mount_read_only=None),
            "container 'app' mounts 'kv' at '/mnt/secrets-store' without readOnly: true; fix: set readOnly: true",
        ),
        (pod_spec(init_read_only=False), "initContainer 'init' mounts 'kv'"),
    ],
)
def test_writable_mounts_are_refused(spec: dict, fragment: str) -> None:
    (message,) = check(pods.READ_ONLY_POLICY, "kubernetes:core/v1:Pod", pod(spec))
    assert message.startswith("Pod apps/web: ") and fragment in message


@pytest.mark.parametrize(
    ("type_", "wrap"),
    [
        ("kubernetes:apps/v1:Deployment", deployment),
        ("kubernetes:apps/v1:StatefulSet", deployment),
        (
            "kubernetes:batch/v1:CronJob",
            lambda s: {"metadata": {"name": "web"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": s}}}}},
        ),
    ],
)
def test_pod_templates_are_checked_too(type_: str, wrap) -> None:
    (message,) = check(pods.READ_ONLY_POLICY, type_, wrap(pod_spec(mount_read_only=False)))
    assert type_.rsplit(":", 1)[-1] in message and "without readOnly: true" in message


def test_volume_without_class_name() -> None:
    spec = pod_spec()
    del spec["volumes"][0]["csi"]["volumeAttributes"]
    (message,) = check(pods.READ_ONLY_POLICY, "kubernetes:core/v1:Pod", pod(spec))
    assert "names no class; fix: set csi.volumeAttributes.secretProviderClass" in message


def spc_resource(name: str, namespace: str | None, **kwargs) -> PolicyResource:
    props = spc()
    props["metadata"] = {"name": name} | ({"namespace": namespace} if namespace else {})
    return stack_resource(SPC_V1, name, props, **kwargs)


def test_class_must_be_in_the_pods_namespace() -> None:
    policy = pods.CLASS_IN_NAMESPACE_POLICY
    mounting = stack_resource("kubernetes:core/v1:Pod", "web", pod(pod_spec()))
    assert check_stack(policy, [spc_resource("azure-kvname", "apps"), mounting]) == []
    ((message, urn),) = check_stack(policy, [spc_resource("azure-kvname", "default"), mounting])
    assert urn == mounting.urn
    for fragment in (
        "Pod apps/web mounts SecretProviderClass 'azure-kvname'",
        "not declare in namespace 'apps'",
        "(it is declared in default)",
        "fix: declare the class in 'apps'",
    ):
        assert fragment in message
    ((message, _),) = check_stack(policy, [mounting])
    assert "externalClasses" in message
    assert check_stack(policy, [mounting], config={"externalClasses": ["apps/azure-kvname"]}) == []


def test_unset_namespaces_follow_the_kubernetes_provider() -> None:
    mounting = stack_resource(
        "kubernetes:core/v1:Pod", "web", pod(pod_spec(), namespace=None), provider_props={"namespace": "team"}
    )
    assert check_stack(pods.CLASS_IN_NAMESPACE_POLICY, [spc_resource("azure-kvname", "team"), mounting]) == []
    assert check_stack(pods.CLASS_IN_NAMESPACE_POLICY, [spc_resource("azure-kvname", None), mounting]) != []


# --- Access-policy writes to one vault -----------------------------------------------------------


def policies_on(vault: str = "kvname", resource_group: str = "rg-secrets", count: int = 2) -> list[PolicyResource]:
    return [
        stack_resource(
            keyvault_access.ACCESS_POLICY,
            f"ap{i}",
            {**access_policy({"secrets": ["get"]}, f"o{i}"), "vaultName": vault, "resourceGroupName": resource_group},
        )
        for i in range(count)
    ]


def test_parallel_access_policy_writes_to_one_vault_are_refused() -> None:
    first, second = policies_on()
    ((message, urn),) = check_stack(keyvault_access.ORDERED_WRITES_POLICY, [first, second])
    assert urn == second.urn
    assert "'ap0' and 'ap1' both write the access policies of vault rg-secrets/kvname" in message
    assert "ConflictError; fix: add depends_on=[ap0] to 'ap1'" in message


def test_chained_writes_and_other_vaults_pass() -> None:
    first, second, third = policies_on(count=3)
    second.dependencies.append(first)
    third.property_dependencies["policy"] = [second]  # a path through another write counts
    assert check_stack(keyvault_access.ORDERED_WRITES_POLICY, [first, second, third]) == []
    other = policies_on(vault="kv-other", count=1)[0]
    assert check_stack(keyvault_access.ORDERED_WRITES_POLICY, [first, other]) == []


def test_vault_names_compare_like_arm() -> None:
    first = policies_on()[0]
    second = policies_on(vault="KVNAME", resource_group="RG-Secrets")[1]
    assert len(check_stack(keyvault_access.ORDERED_WRITES_POLICY, [first, second])) == 1


def test_a_dependency_on_a_component_waits_for_its_children() -> None:
    first, second = policies_on()
    component = stack_resource("keyvault-csi:index:KeyVaultAccess", "access", {}, custom=False)
    first.parent = component
    second.dependencies.append(component)
    assert check_stack(keyvault_access.ORDERED_WRITES_POLICY, [component, first, second]) == []


def test_inline_access_policies_next_to_access_policy_resources() -> None:
    vault = stack_resource(
        keyvault_access.VAULT,
        "kv",
        {
            "resourceGroupName": "rg-secrets",
            "vaultName": "kvname",
            "properties": {"accessPolicies": [{"objectId": "a", "permissions": {"secrets": ["get"]}}]},
        },
    )
    (first,) = policies_on(count=1)
    first.dependencies.append(vault)
    ((message, _),) = check_stack(keyvault_access.ORDERED_WRITES_POLICY, [vault, first])
    assert (
        "inline accessPolicies" in message
        and "drops the others; fix: declare every entry as an AccessPolicy" in message
    )


# --- list only for version history ---------------------------------------------------------------


def test_list_needs_an_object_with_version_history() -> None:
    policy = keyvault_access.LIST_NEEDS_HISTORY_POLICY
    listing = stack_resource(
        keyvault_access.ACCESS_POLICY, "ap", access_policy({"secrets": ["get", "list"], "keys": ["get"]})
    )
    history = spc(
        objects=render_objects([KeyVaultObject(objectName="db", objectType="secret", objectVersionHistory=3)])
    )
    assert check_stack(policy, [stack_resource(SPC_V1, "c", history), listing]) == []
    ((message, urn),) = check_stack(policy, [stack_resource(SPC_V1, "c", spc()), listing])
    assert urn == listing.urn
    assert "'ap' grants secrets: list on vault 'kvname'" in message and "fix: grant secrets: get only" in message
    assert check_stack(policy, [listing]) == []  # no class of this vault in the stack: nothing to correlate


# --- Advisory: AKS-managed scale sets ------------------------------------------------------------


@pytest.mark.parametrize(
    ("node_id", "flagged"),
    [
        (
            f"{SUB}/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-1-vmss",
            True,
        ),
        (
            f"{SUB}/resourceGroups/mc_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-np-vmss",
            True,
        ),
        (f"{SUB}/resourceGroups/rg-k8s/providers/Microsoft.Compute/virtualMachineScaleSets/k8s-vmss", False),
        (f"{SUB}/resourceGroups/rg-k8s/providers/Microsoft.Compute/virtualMachines/k8s-agent-0", False),
        (UNKNOWN_STRING_VALUE, False),
    ],
)
def test_advisory_on_aks_managed_scale_sets(node_id: str, flagged: bool) -> None:
    messages = check(
        node_identity.POLICY, node_identity.NODE_IDENTITY, {"nodeId": node_id, "userAssignedIdentities": []}
    )
    assert bool(messages) is flagged
    if flagged:
        for fragment in (
            "AKS support",
            "identity.type: kubelet",
            "azureKeyvaultSecretsProvider",
            "workload identity",
            "fix:",
        ):
            assert fragment in messages[0]


def test_pack_levels_and_names() -> None:
    assert len({p.name for p in POLICIES}) == len(POLICIES)
    levels = {p.name: p.enforcement_level.value for p in POLICIES}
    assert levels.pop("aks-managed-scale-set-identity") == "advisory"
    assert levels.pop("secret-provider-class-azure-deprecated") == "advisory"
    assert levels.pop("secret-sync-needs-rotation") == "advisory"
    assert set(levels.values()) == {"mandatory"}


def synced_class(name: str = "payments", secret_objects: list | None = None) -> PolicyResource:
    props = spc()
    props["metadata"] = {"name": name, "namespace": "shop"}
    props["spec"]["secretObjects"] = (
        [{"secretName": "db", "type": "Opaque", "data": [{"objectName": "db", "key": "password"}]}]
        if secret_objects is None
        else secret_objects
    )
    return stack_resource(SPC_V1, name, props)


def helm_driver(chart: str, values: dict) -> PolicyResource:
    return stack_resource("kubernetes:helm.sh/v3:Release", "driver", {"chart": chart, "values": values})


def managed_cluster(config: Any) -> PolicyResource:
    profile = {"enabled": True, "config": config}
    return stack_resource(
        "azure-native:containerservice:ManagedCluster",
        "aks",
        {"resourceName": "aks-shop", "addonProfiles": {"azureKeyVaultSecretsProvider": profile}},
    )


PROVIDER_CHART = "csi-secrets-store-provider-azure"


@pytest.mark.parametrize(
    ("driver", "flagged"),
    [
        (helm_driver(PROVIDER_CHART, {}), True),  # the chart's default: no rotation
        (helm_driver(PROVIDER_CHART, {"secrets-store-csi-driver": {"enableSecretRotation": False}}), True),
        (helm_driver(PROVIDER_CHART, {"secrets-store-csi-driver": {"enableSecretRotation": True}}), False),
        (helm_driver("oci://example.com/charts/secrets-store-csi-driver", {"enableSecretRotation": "true"}), False),
        (helm_driver("secrets-store-csi-driver", {"enableSecretRotation": False}), True),
        (
            helm_driver(PROVIDER_CHART, {"secrets-store-csi-driver": {"enableSecretRotation": UNKNOWN_STRING_VALUE}}),
            False,
        ),
        (managed_cluster({"enableSecretRotation": "false"}), True),
        (managed_cluster(None), True),
        (managed_cluster({"enableSecretRotation": "true", "rotationPollInterval": "2m"}), False),
        (helm_driver("ingress-nginx", {}), False),  # not a driver: the stack's driver is not known
    ],
)
def test_synced_secrets_without_rotation_are_advised_against(driver: PolicyResource, flagged: bool) -> None:
    found = check_stack(rotation.POLICY, [driver, synced_class(), synced_class("plain", [])])
    if not flagged:
        assert found == []
        return
    ((message, urn),) = found  # the class without secretObjects is not concerned
    assert urn == "urn:pulumi:t::p::kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass::payments"
    for fragment in ("shop/payments", "syncs the Secrets db", "does not rotate", "enableSecretRotation", "fix:"):
        assert fragment in message


def test_a_stack_without_a_driver_is_not_judged_and_one_rotating_driver_is_enough() -> None:
    assert check_stack(rotation.POLICY, [synced_class()]) == []
    drivers = [
        managed_cluster({"enableSecretRotation": "false"}),
        helm_driver(PROVIDER_CHART, {"secrets-store-csi-driver": {"enableSecretRotation": True}}),
    ]
    assert check_stack(rotation.POLICY, [*drivers, synced_class()]) == []
