"""Every manifest the shipped stacks render, checked against the real schemas a cluster enforces."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest
import yaml

from keyvault_csi.rules.objects import parse_objects
from tests.support import K8S_VERSION, stack_graph
from tools.review.plan_files import kubernetes_manifests, manifest_yaml
from tools.review.stackfile import available_stacks

STACKS = available_stacks()


@pytest.fixture(scope="module", params=STACKS)
def manifests(request: pytest.FixtureRequest) -> dict[str, dict]:
    return kubernetes_manifests(stack_graph(request.param))


def test_classes_match_the_v1_crd_and_parse_like_the_provider(manifests: dict[str, dict], v1_schema: dict) -> None:
    classes = [m for m in manifests.values() if m["kind"] == "SecretProviderClass"]
    assert classes
    for manifest in classes:
        jsonschema.validate(manifest, v1_schema)
        params = manifest["spec"]["parameters"]
        assert manifest["apiVersion"] == "secrets-store.csi.x-k8s.io/v1" and manifest["spec"]["provider"] == "azure"
        assert all(isinstance(v, str) for v in params.values())
        assert {"keyvaultName", "tenantID", "objects"} <= set(params) and "tenantId" not in params
        assert [o["objectName"] for o in parse_objects(params["objects"])]


def test_pods_are_valid_and_mount_read_only(manifests: dict[str, dict]) -> None:
    workloads = [m for m in manifests.values() if m["kind"] in ("Pod", "Deployment")]
    assert workloads
    namespaces_with_class = {
        (m["metadata"]["namespace"], m["metadata"]["name"])
        for m in manifests.values()
        if m["kind"] == "SecretProviderClass"
    }
    for workload in workloads:
        kubernetes_validate.validate(workload, K8S_VERSION, strict=True)
        # A Deployment's Pods are its template: the same rules hold for them.
        pod = workload if workload["kind"] == "Pod" else workload["spec"]["template"]
        volumes = [v for v in pod["spec"]["volumes"] if "csi" in v]  # one per class (several vaults: several)
        assert volumes
        for volume in volumes:
            assert volume["csi"]["driver"] == "secrets-store.csi.k8s.io" and volume["csi"]["readOnly"] is True
            # The driver looks the class up in the Pod's own namespace.
            assert (
                workload["metadata"]["namespace"],
                volume["csi"]["volumeAttributes"]["secretProviderClass"],
            ) in namespaces_with_class
            mounts = [m for c in pod["spec"]["containers"] for m in c["volumeMounts"] if m["name"] == volume["name"]]
            assert mounts and all(m["readOnly"] is True for m in mounts)
        assert pod["spec"]["nodeSelector"]["kubernetes.io/os"] in ("linux", "windows")


def test_written_files_round_trip(manifests: dict[str, dict]) -> None:
    for manifest in manifests.values():
        text = manifest_yaml(manifest)
        assert yaml.safe_load(text) == manifest
        if manifest["kind"] == "SecretProviderClass":
            assert "objects: |\n" in text  # readable literal block, not an escaped string
