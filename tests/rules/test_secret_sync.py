"""Secret sync: spec.secretObjects as the v1 CRD and the driver read it, and Pod env from synced Secrets."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pulumi
import pytest

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.objects import KeyVaultObject
from keyvault_csi.rules.secret_sync import SecretObject, check_sync_sources
from tests.support import POD, SPC, TENANT, assert_run_error, base_settings, run_program, stack_graph
from tools.review.plan_files import kubernetes_manifests

K8S_VERSION = "1.37.0"


SECRET_OBJECTS = [
    {
        "secretName": "app-db",
        "type": "Opaque",
        "data": [{"objectName": "db-password", "key": "password"}],
        "labels": {"app.kubernetes.io/name": "nginx"},
        "annotations": {"example.com/owner": "platform team"},
    },
    {
        "secretName": "app-tls",
        "type": "kubernetes.io/tls",
        "data": [{"objectName": "tls.pem", "key": "tls.crt"}, {"objectName": "tls.pem", "key": "tls.key"}],
    },
]
"""Two Secrets as the settings take them; the class carries them in the same spelling."""


def synced() -> dict[str, Any]:
    """A valid kubelet-mode environment whose one workload syncs two Secrets and reads them as env."""
    settings = base_settings("kubelet")
    settings["workloads"][0]["objects"] = [
        {"objectName": "db-password", "objectType": "secret"},
        {"objectName": "site-cert", "objectType": "secret", "objectAlias": "tls.pem"},
        {"objectName": "history", "objectType": "secret", "objectVersionHistory": 3},
        {"objectName": "public-cert", "objectType": "cert"},
    ]
    settings["workloads"][0]["secretObjects"] = SECRET_OBJECTS
    settings["workloads"][0]["pod"]["env"] = [
        {"name": "DB_PASSWORD", "secretKeyRef": {"name": "app-db", "key": "password"}},
        {"name": "MODE", "value": "production"},
    ]
    settings["workloads"][0]["pod"]["envFrom"] = [{"secretRef": {"name": "app-db"}, "prefix": "DB_"}]
    return copy.deepcopy(settings)


def assert_known_fields(value: Any, schema: dict, path: str = "") -> None:
    """The API server's strict field validation: every key is one the schema declares."""
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            assert key in schema["properties"], f"{path}.{key} is not in the CRD schema"
            assert_known_fields(item, schema["properties"][key], f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            assert_known_fields(item, schema["items"], f"{path}[{i}]")


def test_secret_objects_render_as_the_v1_crd_spells_them(v1_schema: dict) -> None:
    graph = run_program(synced())
    (spc,) = graph.by_type(SPC)
    manifest = kubernetes_manifests(graph)["secretproviderclass-default-azure-kvname-nginx.yaml"]
    jsonschema.validate(manifest, v1_schema)
    assert_known_fields(manifest, v1_schema)
    assert spc.inputs["spec"]["secretObjects"] == SECRET_OBJECTS  # in the CRD's spelling, unchanged


def test_pod_reads_synced_keys_as_environment() -> None:
    graph = run_program(synced())
    manifest = kubernetes_manifests(graph)["pod-default-nginx-secrets-store-inline.yaml"]
    kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    (container,) = manifest["spec"]["containers"]
    assert container["env"] == [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-db", "key": "password"}}},
        {"name": "MODE", "value": "production"},
    ]
    assert container["envFrom"] == [{"secretRef": {"name": "app-db"}, "prefix": "DB_"}]


def test_without_secret_objects_the_class_has_none() -> None:
    (spc,) = run_program(base_settings("kubelet")).by_type(SPC)
    assert "secretObjects" not in spc.inputs["spec"]
    (pod,) = run_program(base_settings("kubelet")).by_type(POD)
    assert "env" not in pod.inputs["spec"]["containers"][0] and "envFrom" not in pod.inputs["spec"]["containers"][0]


def mutate(path: str, value: Any):
    def apply(settings: dict[str, Any]) -> None:
        target: Any = settings["workloads"][0]
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        target[int(last) if last.isdigit() else last] = value

    return apply


W = "keyvault-csi:workloads[0]"
CASES = [
    # The driver reads the mounted file: alias if there is one.
    (
        "object-not-mounted",
        mutate("secretObjects.0.data.0.objectName", "db-pasword"),
        [f"{W}.secretObjects[0].data[0].objectName: 'db-pasword' is not a mounted file", "'db-password'", "'tls.pem'"],
    ),
    (
        "aliased-object-by-name",
        mutate("secretObjects.1.data.0.objectName", "site-cert"),
        [f"{W}.secretObjects[1].data[0].objectName", "written as 'tls.pem' (its objectAlias), use that"],
    ),
    (
        "history-folder",
        mutate("secretObjects.0.data.0.objectName", "history"),
        [f"{W}.secretObjects[0].data[0].objectName", "objectVersionHistory 3", "folder"],
    ),
    (
        "tls-from-public-cert",
        mutate(
            "secretObjects.1.data",
            [{"objectName": "public-cert", "key": "tls.crt"}, {"objectName": "public-cert", "key": "tls.key"}],
        ),
        [f"{W}.secretObjects[1].data[0].objectName", "objectType secret", "no private key"],
    ),
    # Types and the keys the API server requires for them.
    (
        "type-empty",
        mutate("secretObjects.0.type", ""),
        [f"{W}.secretObjects[0].type", "must not be empty", "example.com/custom"],
    ),
    (
        "tls-missing-key",
        mutate("secretObjects.1.data", [{"objectName": "tls.pem", "key": "tls.crt"}]),
        [f"{W}.secretObjects[1]", "needs the keys tls.crt, tls.key; missing tls.key"],
    ),
    (
        "tls-extra-key",
        mutate("secretObjects.1.data.1.key", "ca.crt"),
        [f"{W}.secretObjects[1]", "takes only the keys tls.crt and tls.key; got ca.crt"],
    ),
    (
        "ssh-needs-key",
        mutate("secretObjects.0.type", "kubernetes.io/ssh-auth"),
        [f"{W}.secretObjects[0]", "ssh-privatekey"],
    ),
    (
        "basic-auth-needs-user-or-password",
        lambda s: s["workloads"][0]["secretObjects"][0].update(
            type="kubernetes.io/basic-auth", data=[{"objectName": "db-password", "key": "token"}]
        ),
        [f"{W}.secretObjects[0]", "username or password"],
    ),
    ("dockerconfig-needs-key", mutate("secretObjects.0.type", "kubernetes.io/dockerconfigjson"), [".dockerconfigjson"]),
    (
        "duplicate-key",
        mutate("secretObjects.0.data", [{"objectName": "db-password", "key": "password"}] * 2),
        [f"{W}.secretObjects[0]", "key 'password' is used 2 times"],
    ),
    (
        "key-invalid",
        mutate("secretObjects.0.data.0.key", "pass word"),
        [f"{W}.secretObjects[0].data[0].key", "'pass word'", "Secret data key"],
    ),
    (
        "key-dotdot",
        mutate("secretObjects.0.data.0.key", "..password"),
        [f"{W}.secretObjects[0].data[0].key", "'..password'"],
    ),
    (
        "secret-name-invalid",
        mutate("secretObjects.0.secretName", "App_DB"),
        [f"{W}.secretObjects[0].secretName", "'App_DB'", "DNS-1123 subdomain"],
    ),
    ("no-data", mutate("secretObjects.0.data", []), [f"{W}.secretObjects[0].data", "at least 1"]),
    (
        "label-value-invalid",
        mutate("secretObjects.0.labels", {"team": "platform team"}),
        [f"{W}.secretObjects[0].labels", "'platform team'"],
    ),
    (
        "annotation-key-invalid",
        mutate("secretObjects.0.annotations", {"example_com/owner": "x"}),
        [f"{W}.secretObjects[0].annotations", "invalid prefix 'example_com'"],
    ),
    (
        "unknown-field",
        mutate("secretObjects.0.secretname", "x"),
        [f"{W}.secretObjects[0].secretname", "did you mean 'secretName'"],
    ),
    (
        "secret-twice-in-class",
        lambda s: s["workloads"][0]["secretObjects"].append(copy.deepcopy(s["workloads"][0]["secretObjects"][0])),
        [
            "keyvault-csi:workloads[0].secretObjects[0]: Secret 'app-db' is synced 2 times in namespace 'default'",
            "workloads[0].secretObjects[2]",
        ],
    ),
    (
        "secret-twice-in-namespace",
        lambda s: s["workloads"].append(
            {
                "name": "other",
                "objects": [{"objectName": "db-password", "objectType": "secret"}],
                "secretObjects": [{"secretName": "app-tls", "data": [{"objectName": "db-password", "key": "x"}]}],
            }
        ),
        [
            "Secret 'app-tls' is synced 2 times in namespace 'default' (workloads[0].secretObjects[1], workloads[1].secretObjects[0])"
        ],
    ),
    (
        "same-secret-other-namespace",
        lambda s: s["workloads"].append(
            {
                "name": "other",
                "namespace": "other",
                "objects": [{"objectName": "db-password", "objectType": "secret"}],
                "secretObjects": [{"secretName": "app-tls", "data": [{"objectName": "db-password", "key": "x"}]}],
            }
        ),
        [],
    ),
    # Environment from synced Secrets only.
    (
        "env-unsynced-secret",
        mutate("pod.env.0.secretKeyRef.name", "db"),
        [f"{W}.pod.env[0].secretKeyRef.name: 'db' is not a Secret this workload syncs", "'app-db'", "'app-tls'"],
    ),
    (
        "env-unsynced-key",
        mutate("pod.env.0.secretKeyRef.key", "pwd"),
        [f"{W}.pod.env[0].secretKeyRef.key: 'pwd' is not a key of the synced Secret 'app-db'", "'password'"],
    ),
    ("env-from-unsynced", mutate("pod.envFrom.0.secretRef.name", "db"), [f"{W}.pod.envFrom[0].secretRef.name: 'db'"]),
    ("env-both-sources", mutate("pod.env.0.value", "x"), [f"{W}.pod.env[0]", "exactly one of value or secretKeyRef"]),
    (
        "env-no-source",
        mutate("pod.env.1", {"name": "MODE"}),
        [f"{W}.pod.env[1]", "exactly one of value or secretKeyRef"],
    ),
    ("env-name-invalid", mutate("pod.env.1.name", "1MODE"), [f"{W}.pod.env[1].name", "'1MODE'"]),
    (
        "env-twice",
        mutate("pod.env.1", {"name": "DB_PASSWORD", "value": "x"}),
        [f"{W}.pod.env: 'DB_PASSWORD' is set 2 times"],
    ),
    (
        "env-without-sync",
        lambda s: s["workloads"][0].pop("secretObjects"),
        [f"{W}.pod.env[0].secretKeyRef.name", "none (add secretObjects)"],
    ),
]


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_sync_mistakes_are_one_clear_run_error(label: str, change, expected: list[str]) -> None:
    settings = synced()
    change(settings)
    assert_run_error(settings, expected)


def test_the_class_parameters_check_their_own_sync_sources() -> None:
    from keyvault_csi.kubernetes.secret_provider_class import class_parameters

    objects = [KeyVaultObject(objectName="db-password", objectType="secret", objectAlias="db")]
    sync = [SecretObject(secretName="app", data=[{"objectName": "db-password", "key": "password"}])]
    with pytest.raises(ValueError, match=r"objectName 'db-password' is not a mounted file; allowed: 'db'"):
        check_sync_sources(objects, sync)
    with pytest.raises(ValueError, match=r"objectName 'db-password' is not a mounted file; allowed: 'db'"):
        class_parameters(
            "app", keyvault_name="kvname", tenant_id=TENANT, objects=objects, secret_objects=sync, client_id="c"
        )


def test_example_stack_syncs_an_opaque_and_a_tls_secret(v1_schema: dict) -> None:
    manifests = kubernetes_manifests(stack_graph("examples/workload-identity"))
    spc = manifests["secretproviderclass-shop-azure-kv-shop-storefront.yaml"]
    jsonschema.validate(spc, v1_schema)
    assert_known_fields(spc, v1_schema)
    assert [(s["secretName"], s["type"]) for s in spc["spec"]["secretObjects"]] == [
        ("storefront-db", "Opaque"),
        ("storefront-tls", "kubernetes.io/tls"),
    ]
    pod = manifests["pod-shop-storefront-secrets-store-inline.yaml"]
    assert pod["spec"]["containers"][0]["env"] == [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "storefront-db", "key": "password"}}}
    ]


def test_sync_problems_come_together_once_every_key_is_valid() -> None:
    """Cross-key rules run over the validated settings: every single-key problem first, then every sync problem."""
    settings = synced()
    settings["workloads"][0]["objects"][0]["objectType"] = "Secret"
    settings["workloads"][0]["secretObjects"][0]["data"][0]["objectName"] = "missing"
    settings["workloads"][0]["pod"]["env"][0]["secretKeyRef"]["key"] = "pwd"
    with pytest.raises(pulumi.RunError) as caught:
        validate_settings(settings, prefix="keyvault-csi:")
    assert "(1 problem)" in str(caught.value) and "objects[0].objectType: 'Secret'" in str(caught.value)
    settings["workloads"][0]["objects"][0]["objectType"] = "secret"
    with pytest.raises(pulumi.RunError) as caught:
        validate_settings(settings, prefix="keyvault-csi:")
    message = str(caught.value)
    assert "(2 problems)" in message, message
    for fragment in ("data[0].objectName: 'missing'", "secretKeyRef.key: 'pwd'"):
        assert fragment in message, message
