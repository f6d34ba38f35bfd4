"""Deployments: the bare Pod's hardened template, strictly valid, rolled when the mounted objects change."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from keyvault_csi.rules.rollout import OBJECTS_ANNOTATION
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import (
    ACCESS_POLICY,
    DEPLOYMENT,
    K8S_VERSION,
    NODE_IDENTITY,
    POD,
    SERVICE_ACCOUNT,
    SPC,
    base_settings,
    run_program,
)
from tools.review.plan_files import manifest_of

SYNCED = [{"secretName": "app", "type": "Opaque", "data": [{"objectName": "secret1", "key": "password"}]}]


def deployment_settings(identity: str = "userAssigned", **deployment) -> dict:
    settings = base_settings(identity)
    workload = settings["workloads"][0]
    del workload["pod"]
    workload["deployment"] = {"image": "nginxinc/nginx-unprivileged", **deployment}
    return settings


def the_deployment(settings: dict) -> dict:
    (deployment,) = run_program(settings).by_type(DEPLOYMENT)
    return manifest_of(deployment)


@pytest.mark.parametrize("os", ["linux", "windows"])
def test_deployment_is_strictly_valid(os: str) -> None:
    settings = deployment_settings(os=os, replicas=3)
    if os == "windows":
        settings["workloads"][0]["deployment"]["image"] = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
    body = the_deployment(settings)
    assert kubernetes_validate.validate(body, K8S_VERSION, strict=True)
    assert (body["apiVersion"], body["kind"], body["metadata"]["name"], body["spec"]["replicas"]) == (
        "apps/v1",
        "Deployment",
        "nginx",
        3,
    )
    selector = body["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "nginx"}
    assert selector.items() <= body["spec"]["template"]["metadata"]["labels"].items()


def test_template_is_the_bare_pods_spec() -> None:
    pod_settings = base_settings("userAssigned")
    pod_settings["workloads"][0]["pod"] = {"image": "nginxinc/nginx-unprivileged", "env": [{"name": "A", "value": "1"}]}
    (pod,) = run_program(pod_settings).by_type(POD)
    deployment = the_deployment(deployment_settings(env=[{"name": "A", "value": "1"}]))
    assert deployment["spec"]["template"]["spec"] == pod.inputs["spec"]
    assert deployment["spec"]["replicas"] == 1  # default, like the one bare Pod


def test_objects_annotation_changes_only_when_what_is_mounted_changes() -> None:
    def digest(settings: dict) -> str:
        return the_deployment(settings)["spec"]["template"]["metadata"]["annotations"][OBJECTS_ANNOTATION]

    base = deployment_settings()
    same = deployment_settings(replicas=4)
    new_object = copy.deepcopy(base)
    new_object["workloads"][0]["objects"].append({"objectName": "cert1", "objectType": "cert"})
    new_version = copy.deepcopy(base)
    new_version["workloads"][0]["objects"][0]["objectVersion"] = "0123456789abcdef0123456789abcdef"
    synced = copy.deepcopy(base)
    synced["workloads"][0]["secretObjects"] = SYNCED
    digests = [digest(s) for s in (base, new_object, new_version, synced)]
    assert len(set(digests)) == 4
    assert digest(same) == digests[0]


def test_deployment_waits_for_what_the_pod_waits_for() -> None:
    graph = run_program(deployment_settings())
    (deployment,) = graph.by_type(DEPLOYMENT)
    assert graph.by_type(POD) == []
    for target in [*graph.by_type(SPC), *graph.by_type(ACCESS_POLICY), *graph.by_type(NODE_IDENTITY)]:
        assert graph.depends_on(deployment, target), target.name
    workload = next(r for r in graph.resources if r.urn == deployment.parent)
    assert workload.type == "keyvault-csi:index:Workload"


def test_workload_identity_deployment_runs_as_its_federated_service_account() -> None:
    graph = run_program(deployment_settings("workload"))
    (deployment,) = graph.by_type(DEPLOYMENT)
    template = deployment.inputs["spec"]["template"]
    assert template["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert template["spec"]["serviceAccountName"] == "nginx"
    (account,) = graph.by_type(SERVICE_ACCOUNT)
    assert graph.depends_on(deployment, account)


def test_deployments_are_listed_by_the_component() -> None:
    import pulumi

    from keyvault_csi import AksKeyVaultSecrets

    def program() -> None:
        secrets = AksKeyVaultSecrets("env", deployment_settings("kubelet"))
        pulumi.export("deployments", secrets.deployments)
        pulumi.export("pods", secrets.pods)

    assert evaluate(program).stack_outputs == {"deployments": {"nginx": "nginx"}, "pods": {}}


def test_a_workload_refuses_pod_and_deployment_together_and_a_negative_count() -> None:
    from tests.kubernetes.test_pod import refused

    both = deployment_settings("kubelet")
    both["workloads"][0]["pod"] = {"image": "nginx"}
    assert "workloads[0]: set pod or deployment, not both" in refused(both)
    negative = deployment_settings("kubelet")
    negative["workloads"][0]["deployment"]["replicas"] = -1
    assert "workloads[0].deployment.replicas: Input should be greater than or equal to 0; got -1" in refused(negative)


def test_deployment_carries_the_pod_shape_and_reloaders_annotation() -> None:
    from tests.kubernetes.test_pod import SHAPE

    settings = deployment_settings("kubelet", **SHAPE)
    settings["driver"] = {"install": "helm", "rotation": {"enabled": True}}
    settings["workloads"][0].update(
        secretObjects=[*SYNCED, {**SYNCED[0], "secretName": "app.tls"}], rollout="onRotation"
    )
    graph = run_program(settings)
    body = the_deployment(settings)
    assert kubernetes_validate.validate(body, K8S_VERSION, strict=True)
    # Reloader reads the Deployment's own annotations; the Pod template gets the user's and the digest.
    assert body["metadata"]["annotations"] == {"secret.reloader.stakater.com/reload": "app,app\\.tls"}
    template = body["spec"]["template"]["metadata"]
    assert template["annotations"].keys() == {*SHAPE["annotations"], OBJECTS_ANNOTATION}
    assert body["metadata"]["labels"] == template["labels"]
    assert {"team": "payments", "app.kubernetes.io/name": "nginx"}.items() <= template["labels"].items()
    spec = body["spec"]["template"]["spec"]
    assert spec["imagePullSecrets"] == [{"name": "acr-pull"}] and len(spec["tolerations"]) == 2
    assert graph.stack_outputs["rolloutAnnotations"] == {"nginx": body["metadata"]["annotations"]}


def test_on_change_puts_no_reloader_annotation() -> None:
    settings = deployment_settings("kubelet")
    settings["workloads"][0]["secretObjects"] = SYNCED
    assert "annotations" not in the_deployment(settings)["metadata"]
