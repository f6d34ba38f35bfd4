"""Secret sync: spec.secretObjects as the v1 CRD and the driver read it, and Pod env from synced Secrets."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pulumi
import pytest
from pydantic import ValidationError

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.choices import NodeOS
from keyvault_csi.rules.objects import KeyVaultObject
from keyvault_csi.rules.secret_sync import (
    SecretObject,
    check_sync_sources,
    content_problem,
    sync_data_problems,
    sync_source_problem,
)
from tests.support import K8S_VERSION, POD, SPC, TENANT, assert_run_error, base_settings, run_program, stack_graph
from tools.review.plan_files import kubernetes_manifests

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
        "tls-key-from-public-cert",
        mutate(
            "secretObjects.1.data",
            [{"objectName": "public-cert", "key": "tls.crt"}, {"objectName": "public-cert", "key": "tls.key"}],
        ),
        [
            f"{W}.secretObjects[1].data[1].objectName: tls.key needs a private key, and objectType cert holds only "
            "the certificate; use objectType secret on the certificate's name"
        ],
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
            "Secret 'app-tls' is synced 2 times in namespace 'default' "
            "(workloads[0].secretObjects[1], workloads[1].secretObjects[0])"
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
    expected = (
        r"secretObjects 'app': data\[0\].objectName 'db-password' is not a mounted file; object 'db-password' is "
        r"written as 'db' \(its objectAlias\), use that; allowed: 'db'"
    )
    with pytest.raises(ValueError, match=expected):
        check_sync_sources(objects, sync)
    with pytest.raises(ValueError, match=expected):
        class_parameters(
            "app", keyvault_name="kvname", tenant_id=TENANT, objects=objects, secret_objects=sync, client_id="c"
        )


def kv(name: str, object_type: str = "secret", **fields: Any) -> KeyVaultObject:
    return KeyVaultObject.model_validate({"objectName": name, "objectType": object_type, **fields})


def sync(object_name: str, key: str = "value", secret_type: str = "Opaque") -> SecretObject:
    data = [{"objectName": object_name, "key": key}]
    if secret_type == "kubernetes.io/tls":  # the API server needs both keys; the other comes from a PEM secret
        data.append({"objectName": "pem", "key": "tls.key" if key == "tls.crt" else "tls.crt"})
    return SecretObject.model_validate({"secretName": "s", "type": secret_type, "data": data})


def problems_of(objects: list[KeyVaultObject], secret: SecretObject, **options: Any) -> list[str]:
    return [problem for _, _, problem in sync_data_problems([kv("pem"), *objects], [secret], **options)]


def test_windows_classes_sync_versions_as_file_backslash_index() -> None:
    history = kv("history", objectVersionHistory=3)
    assert problems_of([history], sync("history\\0"), os=NodeOS.WINDOWS) == []
    (problem,) = problems_of([history], sync("history/0"), os=NodeOS.WINDOWS)
    assert "'history/0' is not a mounted file; on windows nodes the file is written 'history\\0', use that" in (problem)
    assert "allowed: 'history\\0'..'history\\2'" in problem
    (problem,) = problems_of([history], sync("history\\0"))
    assert "on linux nodes the file is written 'history/0', use that" in problem
    (problem,) = problems_of([history], sync("history"), os=NodeOS.WINDOWS)
    assert "sync one version: history\\0 (the latest) to history\\2" in problem


@pytest.mark.parametrize(
    ("cert_parts", "source", "fragment"),
    [
        (True, kv("tls"), None),
        (None, kv("tls"), None),  # a driver we know nothing of may write it
        (False, kv("tls"), "the provider writes 'tls.crt' only with driver.writeCertAndKeyInSeparateFiles true"),
        (True, kv("tls", "cert"), "the provider writes .crt files only beside objectType secret"),
        (True, kv("tls", objectFormat="pfx"), "'tls.crt' is empty: with objectFormat pfx the provider finds no PEM"),
    ],
)
def test_certificate_parts_are_mounted_files_when_the_driver_writes_them(cert_parts, source, fragment) -> None:
    found = problems_of([source], sync("tls.crt"), cert_parts=cert_parts)
    assert found == [] if fragment is None else fragment in found[0]


def test_a_versioned_certificates_parts_are_in_its_folder() -> None:
    history = kv("history", objectVersionHistory=2)
    assert problems_of([history], sync("history/1.key", "tls.key", "kubernetes.io/tls"), cert_parts=True) == []
    assert problems_of([history], sync("history\\1.crt"), os=NodeOS.WINDOWS, cert_parts=True) == []


SECRET, CERT, KEY = kv("s"), kv("s", "cert"), kv("s", "key")
PFX_TEXT, PFX_BINARY = kv("s", objectFormat="pfx"), kv("s", objectFormat="pfx", objectEncoding="base64")


@pytest.mark.parametrize(
    ("secret_type", "key", "obj", "part", "fragment"),
    [
        # kubernetes.io/tls: PEM blocks, else binary PKCS#12 (driver secretutil getCert, getPrivateKey).
        ("kubernetes.io/tls", "tls.crt", SECRET, "", None),
        ("kubernetes.io/tls", "tls.key", SECRET, "", None),
        ("kubernetes.io/tls", "tls.crt", CERT, "", None),
        ("kubernetes.io/tls", "tls.key", CERT, "", "tls.key needs a private key, and objectType cert holds only"),
        ("kubernetes.io/tls", "tls.crt", KEY, "", "tls.crt needs a certificate, and objectType key is the PUBLIC KEY"),
        ("kubernetes.io/tls", "tls.key", KEY, "", "tls.key needs a private key, and objectType key is the PUBLIC KEY"),
        ("kubernetes.io/tls", "tls.crt", PFX_BINARY, "", None),
        ("kubernetes.io/tls", "tls.key", PFX_BINARY, "", None),
        ("kubernetes.io/tls", "tls.crt", PFX_TEXT, "", "objectFormat pfx writes the PKCS#12 as base64 text"),
        ("kubernetes.io/tls", "tls.key", PFX_TEXT, "", "add objectEncoding base64 (binary PKCS#12)"),
        ("kubernetes.io/tls", "tls.crt", SECRET, ".crt", None),
        ("kubernetes.io/tls", "tls.key", SECRET, ".crt", "tls.key needs a private key, and the .crt file holds only"),
        ("kubernetes.io/tls", "tls.key", SECRET, ".key", None),
        ("kubernetes.io/tls", "tls.crt", SECRET, ".key", "tls.crt needs a certificate, and the .key file holds only"),
        # JSON keys: the API server parses them.
        ("kubernetes.io/dockerconfigjson", ".dockerconfigjson", SECRET, "", None),
        ("kubernetes.io/dockerconfigjson", ".dockerconfigjson", CERT, "", "needs JSON under .dockerconfigjson, and "),
        ("kubernetes.io/dockercfg", ".dockercfg", KEY, "", "objectType key is PEM: the API server would refuse"),
        ("kubernetes.io/dockerconfigjson", ".dockerconfigjson", SECRET, ".crt", "and the .crt file is PEM"),
        ("kubernetes.io/dockerconfigjson", "note", CERT, "", None),  # only the JSON key is parsed
        ("Opaque", "anything", KEY, "", None),
    ],
)
def test_content_each_secret_type_can_take(secret_type, key, obj, part, fragment) -> None:
    problem = content_problem(secret_type, key, obj, part)
    assert problem is None if fragment is None else (problem is not None and fragment in problem)


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


# --- sync of one version of a versioned object ---


def named(name: str = "a", **fields: Any) -> KeyVaultObject:
    return KeyVaultObject.model_validate({"objectName": name, "objectType": "secret", **fields})


def test_sync_of_a_version_index_below_the_history() -> None:
    histories = {"h": 3, "plain": None}
    assert sync_source_problem("h/0", histories) == ("h", None)
    assert sync_source_problem("h/2", histories) == ("h", None)
    file, problem = sync_source_problem("h/3", histories)
    assert file == "h" and problem and "index 3 is not below objectVersionHistory 3" in problem
    file, problem = sync_source_problem("h", histories)
    assert file == "h" and problem and "sync one version: h/0 (the latest) to h/2" in problem
    assert sync_source_problem("h/x", histories) == (None, None)
    assert sync_source_problem("h/01", histories) == (None, None)
    assert sync_source_problem("plain/0", histories) == (None, None)


def test_check_sync_sources_accepts_a_version_file() -> None:
    objects = [named("h", objectVersionHistory=2)]
    secret = SecretObject.model_validate({"secretName": "s", "data": [{"objectName": "h/1", "key": "previous"}]})
    check_sync_sources(objects, [secret])
    bad = SecretObject.model_validate({"secretName": "s", "data": [{"objectName": "h", "key": "k"}]})
    with pytest.raises(ValueError, match="folder of versions; sync one version: h/0"):
        check_sync_sources(objects, [bad])


# --- any non-empty Secret type ---


@pytest.mark.parametrize("secret_type", ["example.com/custom", "bootstrap.kubernetes.io/token", "opaque", "Custom"])
def test_custom_secret_types_pass_through(secret_type: str) -> None:
    secret = SecretObject.model_validate(
        {"secretName": "s", "type": secret_type, "data": [{"objectName": "a", "key": "k"}]}
    )
    assert secret.manifest()["type"] == secret_type


def test_empty_secret_type_is_refused_as_the_driver_does() -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        SecretObject.model_validate({"secretName": "s", "type": "", "data": [{"objectName": "a", "key": "k"}]})


def test_service_account_token_type_needs_its_annotation() -> None:
    data = {"secretName": "s", "type": "kubernetes.io/service-account-token", "data": [{"objectName": "a", "key": "k"}]}
    with pytest.raises(ValidationError, match="kubernetes.io/service-account.name"):
        SecretObject.model_validate(data)
    SecretObject.model_validate({**data, "annotations": {"kubernetes.io/service-account.name": "sa"}})
