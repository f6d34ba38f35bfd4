"""docs/workloads.md: every example on the page, as it is shown, run under the mock runtime.

The Python programs of ``examples/workloads`` run as Pulumi would run them; the Pulumi YAML program's
component goes through the package's construct path and its CronJob gets the component's outputs.
Each object is checked against Kubernetes' own schema, and what it waits for is checked on the graph.
"""

from __future__ import annotations

import json
import re
import runpy
from typing import Any

import kubernetes_validate
import pulumi
import yaml

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.testing import KeyVaultCsiMocks
from keyvault_csi.testing.mockgraph import Graph, addon_answer, evaluate
from tests.support import K8S_VERSION, ROOT, base_settings, construct
from tools.review.plan_files import manifest_of

EXAMPLES = ROOT / "examples" / "workloads"
DOC = (ROOT / "docs" / "workloads.md").read_text()
SPC = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
SHOWN = re.compile(r"<!-- begin (\S+) -->\n```\w+\n(.*?)```\n<!-- end \1 -->", re.DOTALL)


def run_example(name: str, mocks: KeyVaultCsiMocks | None = None) -> Graph:
    return evaluate(
        lambda: runpy.run_path(str(EXAMPLES / name), run_name="__main__"), mocks=mocks or KeyVaultCsiMocks()
    )


def waits_for_the_mount(graph: Graph, resource: Any) -> None:
    """``resource`` waits for the class, the Key Vault grant, the ServiceAccount and the federated credential."""
    needed = [
        *graph.by_type(SPC),
        *graph.by_type("azure-native:authorization:RoleAssignment"),
        *graph.by_type("kubernetes:core/v1:ServiceAccount"),
        *graph.by_type("azure-native:managedidentity:FederatedIdentityCredential"),
    ]
    assert len(needed) == 4
    for target in needed:
        assert graph.depends_on(resource, target), target.urn


def test_the_page_shows_every_example_as_it_runs() -> None:
    shown = dict(SHOWN.findall(DOC))
    expected = {"statefulset.py", "helm_chart.py", "transforms.py", "cronjob/Pulumi.yaml"}
    assert set(shown) == {f"examples/workloads/{name}" for name in expected}
    for path, text in shown.items():
        assert text == (ROOT / path).read_text(), path


def test_the_settings_example_is_valid() -> None:
    block = DOC.split("## 1.", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    settings = base_settings("kubelet")
    settings["workloads"] = yaml.safe_load(block)["keyvault-csi:workloads"]
    deployment = validate_settings(settings).workloads[0].deployment
    assert deployment is not None and [p.name for p in deployment.ports] == ["http", "metrics"]


def test_a_statefulset_of_your_own_mounts_the_class_and_waits_for_it() -> None:
    graph = run_example("statefulset.py")
    (statefulset,) = graph.by_type("kubernetes:apps/v1:StatefulSet")
    manifest = manifest_of(statefulset)
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    waits_for_the_mount(graph, statefulset)
    (spc,) = graph.by_type(SPC)
    pod = manifest["spec"]["template"]
    assert pod["spec"]["volumes"] == [
        {
            "name": "secrets-store-inline",
            "csi": {
                "driver": "secrets-store.csi.k8s.io",
                "readOnly": True,
                "volumeAttributes": {"secretProviderClass": spc.inputs["metadata"]["name"]},
            },
        }
    ]
    assert pod["spec"]["serviceAccountName"] == "ledger"
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert manifest["metadata"]["annotations"] == {"secret.reloader.stakater.com/reload": "ledger-db"}
    assert graph.by_type("kubernetes:core/v1:Pod") == [] and graph.by_type("kubernetes:apps/v1:Deployment") == []


def test_a_helm_charts_values_carry_the_mount_and_the_release_waits_for_it() -> None:
    rotating = {"addonProfiles": {"azureKeyvaultSecretsProvider": addon_answer("aks", rotation=True)}}
    graph = run_example(
        "helm_chart.py", KeyVaultCsiMocks(invokes={"azure-native:containerservice:getManagedCluster": rotating})
    )
    (release,) = [r for r in graph.by_type("kubernetes:helm.sh/v3:Release") if r.name == "orders"]
    waits_for_the_mount(graph, release)
    values = release.inputs["values"]
    assert values["serviceAccount"] == {"create": False, "name": "orders"}
    assert values["podLabels"] == {"azure.workload.identity/use": "true"}
    assert values["podAnnotations"] == {"secret.reloader.stakater.com/reload": "orders-queue"}
    assert values["volumeMounts"] == [
        {"name": "secrets-store-inline", "mountPath": "/mnt/secrets-store", "readOnly": True}
    ]
    assert values["volumes"][0]["csi"]["readOnly"] is True


class RecordingTransforms(KeyVaultCsiMocks):
    """Also records the transforms each resource is registered with (the mock runtime does not run them)."""

    def __init__(self) -> None:
        super().__init__()
        self.transforms: dict[str, list[Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.transforms[f"{args.typ}::{args.name}"] = list(args.transforms)
        return super().new_resource(args)


def test_transforms_given_to_the_component_shape_its_pods() -> None:
    mocks = RecordingTransforms()
    graph = run_example("transforms.py", mocks)
    (transform,) = mocks.transforms["keyvault-csi:index:AksKeyVaultSecrets::shop"]
    # The engine runs a resource's transforms on everything beneath it: here, as it would, on each child.
    (deployment,) = graph.by_type("kubernetes:apps/v1:Deployment")
    args = pulumi.ResourceTransformArgs(
        True, deployment.type, deployment.name, json.loads(json.dumps(deployment.inputs)), pulumi.ResourceOptions()
    )
    result = transform(args)
    assert result is not None
    shaped = {k: result.props[k] for k in ("apiVersion", "kind", "metadata", "spec")}
    assert shaped["spec"]["template"]["spec"]["priorityClassName"] == "business-critical"
    assert kubernetes_validate.validate(shaped, K8S_VERSION, strict=True)
    (spc,) = graph.by_type(SPC)
    untouched = pulumi.ResourceTransformArgs(True, spc.type, spc.name, spc.inputs, pulumi.ResourceOptions())
    assert transform(untouched) is None


def substitute(value: Any, outputs: dict[str, Any]) -> Any:
    """A Pulumi YAML value with each ``${secrets.<output>["<key>"]}`` replaced by the component's output."""
    if isinstance(value, dict):
        return {k: substitute(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, outputs) for v in value]
    if isinstance(value, str):
        match = re.fullmatch(r'\$\{secrets\.(\w+)\["([\w-]+)"\]\}', value)
        if match:
            return outputs[match[1]][match[2]]
        assert not value.startswith("${secrets."), value
    return value


def test_a_cronjob_in_pulumi_yaml_mounts_the_class_from_the_outputs() -> None:
    program = yaml.safe_load((EXAMPLES / "cronjob" / "Pulumi.yaml").read_text())
    assert (EXAMPLES / "cronjob" / program["packages"]["keyvault-csi"] / "PulumiPlugin.yaml").is_file()
    component = program["resources"]["secrets"]
    properties = json.loads(
        json.dumps(component["properties"]).replace("${tenantId}", "72f988bf-86f1-41af-91ab-2d7cd011db47")
    )
    graph, state = construct(properties)
    assert graph.by_type("kubernetes:core/v1:Pod") == []
    cronjob = program["resources"]["nightly"]
    group, kind = cronjob["type"].split(":")[1:]
    manifest = {"apiVersion": group, "kind": kind, **substitute(cronjob["properties"], state)}
    assert kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    pod = manifest["spec"]["jobTemplate"]["spec"]["template"]
    assert pod["spec"]["serviceAccountName"] == "nightly-report"
    assert pod["metadata"]["labels"] == {"azure.workload.identity/use": "true"}
    (spc,) = graph.by_type(SPC)
    assert pod["spec"]["volumes"][0]["csi"]["volumeAttributes"]["secretProviderClass"] == spc.inputs["metadata"]["name"]
    file = pod["spec"]["containers"][0]["args"][1]
    assert file == f"{pod['spec']['containers'][0]['volumeMounts'][0]['mountPath']}/warehouse-password"
