"""SecretProviderClass parameters and the component's Kubernetes object, under Pulumi's mock runtime."""

from __future__ import annotations

import jsonschema
import pulumi
import pytest
import yaml
from pulumi_azure_native import managedidentity
from pydantic.alias_generators import to_camel

from keyvault_csi.kubernetes.secret_provider_class import class_parameters
from keyvault_csi.kubernetes.workload import TYPE, Workload
from keyvault_csi.model.settings import Settings, WorkloadSettings
from keyvault_csi.rules.choices import NodeOS
from keyvault_csi.rules.objects import KeyVaultObject, parse_objects
from keyvault_csi.rules.parameters import provider_parameters
from keyvault_csi.rules.secret_sync import SecretObject
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import (
    REFERENCE,  # vendored from ../shared/reference
    base_settings,
    run_program,
)
from tests.support import SPC as CHILD_TYPE
from tools.review.plan_files import kubernetes_manifests, manifest_of

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"
OBJECTS = [
    KeyVaultObject(objectName="secret1", objectType="secret"),
    KeyVaultObject(objectName="key1", objectType="key"),
    KeyVaultObject(objectName="tls", objectType="cert", objectAlias="certs/tls.crt", filePermission="0644"),
]
RENDERED = (
    'array:\n  - |\n    objectName: secret1\n    objectType: secret\n    objectVersion: ""\n'
    '  - |\n    objectName: key1\n    objectType: key\n    objectVersion: ""\n'
    '  - |\n    objectName: tls\n    objectType: cert\n    objectVersion: ""\n    objectAlias: certs/tls.crt\n'
    "    filePermission: '0644'\n"
)
COMMON = {"keyvaultName": "kvname", "tenantID": TENANT, "objects": RENDERED}
VM_USER = {"usePodIdentity": "false", "useVMManagedIdentity": "true", "userAssignedIdentityID": CLIENT, **COMMON}
VM_SYSTEM = {**VM_USER, "userAssignedIdentityID": ""}
WORKLOAD = {"clientID": CLIENT, **COMMON, "usePodIdentity": "false", "useVMManagedIdentity": "false"}
IDENTITY_BINDING = {**WORKLOAD, "useAzureTokenProxy": "true"}
MODES = {
    "vm-user-assigned": ({"user_assigned_identity_id": CLIENT}, VM_USER),
    "vm-system-assigned": ({"user_assigned_identity_id": ""}, VM_SYSTEM),
    "workload": ({"client_id": CLIENT}, WORKLOAD),
    "identity-binding": ({"client_id": CLIENT, "use_azure_token_proxy": True}, IDENTITY_BINDING),
}
CHILD = "kv-apps-kv-app"


def params(**overrides) -> dict:
    return provider_parameters(**{"keyvault_name": "kvname", "tenant_id": TENANT, "objects": OBJECTS, **overrides})


def declare_class(opts: pulumi.ResourceOptions | None = None, **parameters) -> Workload:
    """A workload's class ``kv-app`` in namespace ``apps``: ``identity`` keywords (and ``cloud_*``) as given."""
    cloud = {k: parameters.pop(k) for k in ("cloud_name", "cloud_env_file_name") if k in parameters}
    workload = WorkloadSettings.model_validate(
        {
            "name": "app",
            "namespace": "apps",
            "secretProviderClass": "kv-app",
            "objects": [o.model_dump() for o in OBJECTS],
        }
        | {to_camel(k): v for k, v in cloud.items()}
    )
    settings = Settings.model_validate(
        {
            "tenantId": TENANT,
            "keyVault": {"name": "kvname", "resourceGroup": "rg"},
            "identity": {"type": "systemAssigned"},
            "workloads": [workload.model_dump(exclude_none=True)],
        }
    )
    return Workload(
        "kv",
        workload,
        mounts=settings.mounts(workload),
        tenant_id=TENANT,
        identity=parameters,
        resource_prefix="kv",
        opts=opts,
    )


# --- provider_parameters ----------------------------------------------------------------------


def test_vm_user_assigned_parameters():
    assert params(user_assigned_identity_id=CLIENT) == VM_USER


def test_vm_system_assigned_parameters():
    assert params(user_assigned_identity_id="") == VM_SYSTEM


def test_workload_identity_parameters():
    assert params(client_id=CLIENT) == WORKLOAD


def test_identity_binding_parameters():
    # Provider v1.8.2 pkg/provider/provider.go: useAzureTokenProxy "true" needs clientID; at most one use* flag true.
    assert params(client_id=CLIENT, use_azure_token_proxy=True) == IDENTITY_BINDING
    with pytest.raises(ValueError, match="clientId must not be empty in identity binding mode"):
        params(client_id="", use_azure_token_proxy=True)
    with pytest.raises(ValueError, match="exactly one of userAssignedIdentityId"):
        params(user_assigned_identity_id=CLIENT, use_azure_token_proxy=True)


@pytest.mark.parametrize("identity", [{"user_assigned_identity_id": ""}, {"client_id": CLIENT}])
def test_cloud_name_only_when_given(identity):
    assert "cloudName" not in params(**identity, cloud_name="")
    assert params(**identity, cloud_name="AzureUSGovernmentCloud")["cloudName"] == "AzureUSGovernmentCloud"
    assert params(**identity, cloud_name="azurechinacloud")["cloudName"] == "azurechinacloud"


def test_azure_stack_needs_its_environment_file():
    got = params(
        user_assigned_identity_id="",
        cloud_name="AzureStackCloud",
        cloud_env_file_name="/etc/kubernetes/azurestack.json",
    )
    assert (got["cloudName"], got["cloudEnvFileName"]) == ("AzureStackCloud", "/etc/kubernetes/azurestack.json")
    with pytest.raises(ValueError, match="'AzureStackCloud' needs cloudEnvFileName"):
        params(user_assigned_identity_id="", cloud_name="AzureStackCloud")


@pytest.mark.parametrize(
    "identity", [{"user_assigned_identity_id": CLIENT}, {"user_assigned_identity_id": ""}, {"client_id": CLIENT}]
)
def test_every_value_is_a_string_and_keys_are_the_providers_spelling(identity):
    got = params(**identity, cloud_name="AzureCloud")
    assert all(isinstance(v, str) for v in got.values())
    assert "tenantId" not in got and "userAssignedIdentityId" not in got and "clientId" not in got
    assert not ("clientID" in got and got["useVMManagedIdentity"] == "true")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "exactly one of userAssignedIdentityId"),
        ({"user_assigned_identity_id": "", "client_id": CLIENT}, "exactly one of userAssignedIdentityId"),
        ({"client_id": ""}, "clientId must not be empty"),
        (
            {
                "user_assigned_identity_id": (
                    "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"
                )
            },
            "looks like a resource ID",
        ),
        ({"client_id": "/subscriptions/x"}, "looks like a resource ID"),
        ({"client_id": CLIENT, "keyvault_name": "kv"}, "'kv' is not a Key Vault name"),
        ({"client_id": CLIENT, "keyvault_name": "1vault"}, "'1vault' is not a Key Vault name"),
        ({"client_id": CLIENT, "keyvault_name": "my--vault"}, "'my--vault' is not a Key Vault name"),
        ({"client_id": CLIENT, "keyvault_name": "vault-"}, "'vault-' is not a Key Vault name"),
        ({"client_id": CLIENT, "keyvault_name": "v" * 25}, "is not a Key Vault name"),
        ({"client_id": CLIENT, "tenant_id": " "}, "tenantID must not be empty"),
        (
            {"client_id": CLIENT, "cloud_name": "AzurePrivateCloud"},
            "'AzurePrivateCloud' is not a cloud the Azure provider knows",
        ),
        ({"client_id": CLIENT, "objects": []}, "objects must not be empty"),
    ],
)
def test_parameter_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        params(**overrides)


def test_seed_class_is_reproduced_with_tenant_id_spelled_right():
    """The system-assigned seed, declared here: same parameters but tenantID and no empty cloudName."""
    seed = REFERENCE / "seeds/000_cc65bff92370e448.txt"
    spec = yaml.safe_load(seed.read_text().split("```yaml", 1)[1].split("```", 1)[0])["spec"]
    seed_params = dict(spec["parameters"])
    objects = [KeyVaultObject(**o) for o in parse_objects(seed_params.pop("objects"))]
    got = provider_parameters(keyvault_name="kvname", tenant_id="tid", objects=objects, user_assigned_identity_id="")
    assert parse_objects(got.pop("objects")) == parse_objects(spec["parameters"]["objects"])
    seed_params["tenantID"] = seed_params.pop("tenantId")
    del seed_params["cloudName"]
    assert got == seed_params


# --- the component under the mock runtime -----------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_component_declares_one_valid_class(mode, v1_schema):
    identity, expected = MODES[mode]
    graph = evaluate(lambda: declare_class(**identity))

    component = graph.one(TYPE, "kv")
    (child,) = graph.by_type(CHILD_TYPE)
    assert [r.type for r in graph.resources] == [TYPE, CHILD_TYPE]
    assert child.parent == component.urn and child.custom
    manifest = manifest_of(child)
    jsonschema.validate(manifest, v1_schema)
    assert manifest["apiVersion"] == "secrets-store.csi.x-k8s.io/v1" and manifest["kind"] == "SecretProviderClass"
    assert manifest["metadata"] == {
        "name": "kv-app",
        "namespace": "apps",
        "labels": {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "keyvault-csi"},
    }
    assert manifest["spec"] == {"provider": "azure", "parameters": expected}
    assert parse_objects(manifest["spec"]["parameters"]["objects"]) == [
        o.model_dump(exclude_none=True) for o in OBJECTS
    ]


def test_crd_schema_refuses_non_string_parameters(v1_schema):
    """The check above is live: a boolean parameter (an unquoted YAML true) breaks the CRD schema."""
    bad = {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "spec": {"provider": "azure", "parameters": {"usePodIdentity": False}},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, v1_schema)


def test_outputs_and_labels():
    def program() -> None:
        workload = declare_class(user_assigned_identity_id="")
        pulumi.export("classNames", workload.class_names)
        pulumi.export("namespace", workload.namespace)

    graph = evaluate(program)
    assert graph.stack_outputs == {"classNames": ["kv-app"], "namespace": "apps"}
    assert graph.one(CHILD_TYPE, CHILD).inputs["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/part-of": "keyvault-csi",
    }


def test_cloud_settings_reach_the_class():
    graph = evaluate(
        lambda: declare_class(
            client_id=CLIENT, cloud_name="AzureStackCloud", cloud_env_file_name="/etc/kubernetes/azurestack.json"
        )
    )
    parameters = graph.one(CHILD_TYPE, CHILD).inputs["spec"]["parameters"]
    assert (parameters["cloudName"], parameters["cloudEnvFileName"]) == (
        "AzureStackCloud",
        "/etc/kubernetes/azurestack.json",
    )


def test_identity_client_id_output_flows_into_the_class():
    def program() -> None:
        identity = managedidentity.UserAssignedIdentity("id-app", resource_group_name="rg", resource_name_="id-app")
        declare_class(user_assigned_identity_id=identity.client_id)

    graph = evaluate(program)
    identity = graph.one("azure-native:managedidentity:UserAssignedIdentity", "id-app")
    child = graph.one(CHILD_TYPE, CHILD)
    assert child.inputs["spec"]["parameters"]["userAssignedIdentityID"] == "<id-app.clientId>"
    assert graph.depends_on(child, identity)


def test_component_options_are_not_copied_to_the_child():
    def program() -> None:
        other = pulumi.CustomResource("test:index:Other", "other", {})
        declare_class(pulumi.ResourceOptions(depends_on=[other]), client_id=CLIENT)

    graph = evaluate(program)
    other = graph.one("test:index:Other", "other")
    assert graph.one(TYPE, "kv").dependencies == [other.urn]
    assert graph.one(CHILD_TYPE, CHILD).dependencies == []


def test_invalid_parameters_fail_before_anything_is_declared():
    def program() -> None:
        with pytest.raises(ValueError, match="exactly one of"):
            declare_class(user_assigned_identity_id="", client_id=CLIENT)

    assert evaluate(program).resources == []


# --- a Windows workload: its class in Windows spelling ---------------------------------------------------------


def test_a_windows_pods_class_carries_backslash_paths_and_version_files():
    settings = base_settings("kubelet")
    workload = settings["workloads"][0]
    workload["pod"] = {"os": "windows", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}
    workload["objects"] = [
        {"objectName": "secret1", "objectType": "secret", "objectAlias": "conf\\secret1"},
        {"objectName": "history", "objectType": "secret", "objectVersionHistory": 2},
    ]
    workload["secretObjects"] = [{"secretName": "app", "data": [{"objectName": "history\\1", "key": "previous"}]}]
    manifests = kubernetes_manifests(run_program(settings))
    spec = manifests["secretproviderclass-default-azure-kvname-nginx.yaml"]["spec"]
    assert [o.get("objectAlias") for o in parse_objects(spec["parameters"]["objects"])] == ["conf\\secret1", None]
    assert spec["secretObjects"][0]["data"] == [{"objectName": "history\\1", "key": "previous"}]
    pod = manifests["pod-default-nginx-secrets-store-inline.yaml"]
    assert pod["spec"]["nodeSelector"]["kubernetes.io/os"] == "windows"
    assert pod["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == "C:\\mnt\\secrets-store"


def test_the_class_checks_its_sync_sources_with_the_node_os_and_certificate_files():
    objects = [
        KeyVaultObject(objectName="history", objectType="secret", objectVersionHistory=2),
        KeyVaultObject(objectName="tls", objectType="secret"),
    ]
    sync = [
        SecretObject(secretName="app", data=[{"objectName": "history\\1", "key": "previous"}]),
        SecretObject(secretName="tls", data=[{"objectName": "tls.crt", "key": "ca.crt"}]),
    ]
    common = {"keyvault_name": "kvname", "tenant_id": TENANT, "objects": objects, "secret_objects": sync}
    assert class_parameters("app", client_id="c", os=NodeOS.WINDOWS, cert_parts=True, **common)["objects"]
    with pytest.raises(ValueError, match=r"'history\\1' is not a mounted file"):
        class_parameters("app", client_id="c", cert_parts=True, **common)  # Linux writes history/1
    with pytest.raises(ValueError, match=r"'tls.crt' only with driver.writeCertAndKeyInSeparateFiles true"):
        class_parameters("app", client_id="c", os=NodeOS.WINDOWS, **common)
