"""Single-key rules of the settings (tenant, booleans, tags, paths, sync sources), each with its key path."""

from __future__ import annotations

import runpy
from typing import Any

import pytest

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import ROOT, as_stack_config, assert_run_error, base_settings, program_errors

W = "keyvault-csi:workloads[0]"


def stack_settings(**changes: Any) -> dict[str, Any]:
    settings = base_settings()
    settings.update(changes)
    return settings


def azure_stack(settings: dict[str, Any]) -> dict[str, Any]:
    for workload in settings["workloads"]:
        workload.update(cloudName="AzureStackCloud", cloudEnvFileName="/etc/kubernetes/azurestackcloud.json")
    return settings


def test_adfs_tenant_with_azure_stack_in_every_workload_passes() -> None:
    settings = azure_stack(stack_settings(tenantId="adfs"))
    assert validate_settings(settings).tenant_id == "adfs"


def test_adfs_tenant_needs_azure_stack_in_every_workload() -> None:
    settings = azure_stack(stack_settings(tenantId="adfs"))
    second = {**settings["workloads"][0], "name": "other", "cloudName": "", "cloudEnvFileName": None}
    second.pop("pod")
    settings["workloads"].append(second)
    assert_run_error(settings, ["keyvault-csi:tenantId: 'adfs' is only for Azure Stack Hub", "got AzurePublicCloud"])


def test_tenant_is_still_a_guid_elsewhere_and_reported_with_other_problems() -> None:
    settings = stack_settings(tenantId="contoso.onmicrosoft.com", protect="yes")
    assert_run_error(
        settings,
        ["keyvault-csi:tenantId: 'contoso.onmicrosoft.com' is not a tenant ID", "keyvault-csi:protect", "2 problems"],
    )


@pytest.mark.parametrize("value", ["yes", "true", 1, "on"])
def test_protect_takes_only_a_real_boolean(value: Any) -> None:
    assert_run_error(
        stack_settings(protect=value), ["keyvault-csi:protect: Input should be a valid boolean", repr(value)]
    )


def test_pod_security_booleans_are_strict() -> None:
    settings = base_settings()
    settings["workloads"][0]["pod"]["securityContext"] = {"runAsRoot": "yes"}
    assert_run_error(settings, [f"{W}.pod.securityContext.runAsRoot: Input should be a valid boolean"])


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("false", False)])
def test_protect_true_false_from_stack_config(text: str, expected: bool) -> None:
    # The CLI hands every config value over as a string; get_object reads 'true' as JSON.
    settings = base_settings()
    config = as_stack_config(settings) | {"keyvault-csi:protect": text}
    graph = evaluate(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"), config)
    identities = [r for r in graph.resources if r.type.endswith("UserAssignedIdentity")]
    assert identities and all(r.protect is expected for r in identities), identities


def test_protect_yes_from_stack_config_is_a_clear_run_error() -> None:
    graph, errors = program_errors(as_stack_config(base_settings()) | {"keyvault-csi:protect": "yes"})
    assert graph.resources == []
    assert len(errors) == 1 and "keyvault-csi:protect: Input should be a valid boolean; got 'yes'" in str(errors[0])


def test_tags_obey_azure_limits() -> None:
    tags = {f"t{i}": "v" for i in range(51)} | {"a/b": "x", "Env": "v" * 257, "env": "x"}
    assert_run_error(
        stack_settings(tags=tags),
        [
            "keyvault-csi:tags:",
            "54 tags; allowed: at most 50",
            "'a/b' contains /",
            "257 characters",
            "differ only in case",
        ],
    )
    assert_run_error(stack_settings(tags={"Cost Center": "x" * 256}), [])


def test_alias_paths_and_file_directory_conflicts_in_a_workload() -> None:
    settings = base_settings()
    settings["workloads"][0]["objects"] = [{"objectName": "a", "objectType": "secret", "objectAlias": "./a"}]
    assert_run_error(
        settings, [f"{W}.objects[0].objectAlias: objectAlias './a' must be a clean path", "(it would be 'a')"]
    )
    settings["workloads"][0]["objects"] = [
        {"objectName": "b", "objectType": "secret", "objectAlias": "conf"},
        {"objectName": "c", "objectType": "secret", "objectAlias": "conf/c"},
    ]
    assert_run_error(
        settings, [f"{W}: objects[0] writes the file 'conf', which objects[1] ('conf/c') needs as a directory"]
    )


def test_a_version_of_a_versioned_object_can_be_synced() -> None:
    settings = base_settings("kubelet")
    settings["workloads"][0]["objects"] = [{"objectName": "history", "objectType": "secret", "objectVersionHistory": 3}]
    settings["workloads"][0]["secretObjects"] = [
        {
            "secretName": "app",
            "data": [{"objectName": "history/0", "key": "now"}, {"objectName": "history/2", "key": "old"}],
        }
    ]
    assert_run_error(settings, [])
    settings["workloads"][0]["secretObjects"][0]["data"].append({"objectName": "history/3", "key": "older"})
    assert_run_error(
        settings, [f"{W}.secretObjects[0].data[2].objectName: 'history/3': index 3 is not below objectVersionHistory 3"]
    )


def test_custom_secret_type_passes_settings() -> None:
    settings = base_settings("kubelet")
    settings["workloads"][0]["secretObjects"] = [
        {"secretName": "app", "type": "example.com/custom", "data": [{"objectName": "secret1", "key": "k"}]}
    ]
    assert validate_settings(settings).workloads[0].secret_objects[0].type == "example.com/custom"


@pytest.mark.parametrize(
    ("template", "key", "fragments"),
    [
        (
            "pod",
            "labels",
            {"app.kubernetes.io/part-of": "shop"},
        ),
        ("deployment", "labels", {"app.kubernetes.io/name": "web"}),
        ("deployment", "annotations", {"keyvault-csi/objects-sha256": "x"}),
    ],
)
def test_labels_and_annotations_keyvault_csi_sets_are_refused(template: str, key: str, fragments: dict) -> None:
    settings = base_settings()
    workload = settings["workloads"][0]
    workload[template] = {**workload.pop("pod"), key: fragments}
    (taken,) = fragments
    assert_run_error(settings, [f"{W}.{template}.{key}: {taken!r} is set by keyvault-csi", "use another key"])


def test_a_bare_pod_may_set_the_name_label() -> None:
    settings = base_settings()
    settings["workloads"][0]["pod"]["labels"] = {"app.kubernetes.io/name": "web"}
    assert_run_error(settings, [])


def test_pod_shape_mistakes_are_reported_at_their_keys() -> None:
    settings = base_settings()
    settings["workloads"][0]["pod"].update(
        labels={"team": "-payments"},
        annotations={"bad key": "x"},
        tolerations=[{"value": "x"}],
        imagePullSecrets=["acr", "ACR"],
        ports=[{"containerPort": 8080, "name": "http"}, {"containerPort": 8081, "name": "http"}],
        command="nginx",
    )
    assert_run_error(
        settings,
        [
            f"{W}.pod.labels: label value '-payments' is not valid",
            f"{W}.pod.annotations: annotation 'bad key' is not a valid key",
            f"{W}.pod.tolerations[0]: an empty key needs operator Exists",
            f"{W}.pod.imagePullSecrets[1]: 'ACR' is not valid; allowed: a DNS-1123 subdomain",
            f"{W}.pod.ports: ports: name 'http' is used by ports [0, 1]",
            f"{W}.pod.command: Input should be a valid list",
            "6 problems",
        ],
    )


def test_placement_overrides_take_kubernetes_shapes() -> None:
    settings = base_settings("userAssigned")
    settings["workloads"][0]["pod"] |= {"nodeSelector": {"a": "b"}, "affinity": {"nodeAffinity": {}}}
    assert_run_error(settings, [])
    settings["workloads"][0]["pod"] |= {"nodeSelector": {"a": 1}, "affinity": ["x"]}
    assert_run_error(
        settings,
        [
            "keyvault-csi:workloads[0].pod.nodeSelector.a: Input should be a valid string; got 1",
            "keyvault-csi:workloads[0].pod.affinity: Input should be a valid dictionary; got ['x']",
        ],
    )
