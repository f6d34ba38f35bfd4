"""What our components cost over a hand-written program declaring the same cloud resources.

The hand-written program below uses no component and no keyvault-csi rule: providers, one
``UserAssignedIdentity``, one ``NodeIdentityAssignment`` dynamic resource per node, the access
policy, and per workload one SecretProviderClass ``CustomResource`` and one ``Pod`` — with the same
inputs as ours for :func:`benchmarks.program_scale.settings_for` (``tests/test_benchmarks.py``
checks that both graphs declare the same custom resources with the same inputs). Both run under
the same mock runtime (``keyvault_csi.testing.mockgraph.evaluate``), each size in a fresh process,
imports warmed first, one timed evaluation.

Prints a Markdown table, the registrations per workload and the ratio ours / hand-written at 300
workloads (target <= 1.4), then one JSON line. From the repository root::

    .venv/bin/python -m benchmarks.handwritten [sizes...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import authorization, keyvault, managedidentity
from pulumi_kubernetes import apiextensions
from pulumi_kubernetes.core import v1 as core
from pulumi_kubernetes.meta import v1 as meta
from pulumi_kubernetes.provider import Provider as KubernetesProvider

from keyvault_csi.node_identity.resource import NodeIdentityAssignment
from keyvault_csi.testing.mockgraph import Graph, evaluate

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1, 10, 100, 300)
TARGET_SIZE, TARGET_RATIO = 300, 1.4

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
NODES = (
    "resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss",
    "resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool2-12345678-vmss",
    "resourceGroups/rg-k8s/providers/Microsoft.Compute/virtualMachines/k8s-agent-0",
)
LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "keyvault-csi"}
OBJECTS = (
    "array:\n"
    '  - |\n    objectName: secret1\n    objectType: secret\n    objectVersion: ""\n'
    '  - |\n    objectName: key1\n    objectType: key\n    objectVersion: ""\n'
)


def handwritten_program(workloads: int) -> Callable[[], None]:
    """The program a user would write without our components, for ``workloads`` workloads."""

    def program() -> None:
        azure = azure_native.Provider("azure-native", environment="public")
        cluster = KubernetesProvider("kubernetes")
        on_azure = pulumi.ResourceOptions(provider=azure)
        subscription = authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(provider=azure)
        ).subscription_id
        identity = managedidentity.UserAssignedIdentity(
            "identity", resource_name_="id-app", resource_group_name="rg-identities", tags={}, opts=on_azure
        )

        def identity_resource_id(sub: str) -> str:
            return f"/subscriptions/{sub}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app"

        identity_id = subscription.apply(identity_resource_id)
        nodes = [
            NodeIdentityAssignment(
                f"node-{index}",
                {
                    "nodeId": pulumi.Output.concat("/subscriptions/", subscription, "/", node),
                    "userAssignedIdentities": [identity_id],
                    "ownedIdentities": [identity_id],
                    "systemAssigned": False,
                    "environment": "public",
                },
                pulumi.ResourceOptions(depends_on=[identity]),
            )
            for index, node in enumerate(NODES)
        ]
        grant = keyvault.AccessPolicy(
            "access",
            resource_group_name="rg-secrets",
            vault_name="kvname",
            policy={
                "tenant_id": TENANT,
                "object_id": identity.principal_id,
                "permissions": {"keys": ["get"], "secrets": ["get"]},
            },
            opts=on_azure,
        )
        for i in range(workloads):
            name, namespace = f"app-{i:04d}", f"team-{i % 10}"
            spc = apiextensions.CustomResource(
                f"{name}-class",
                api_version="secrets-store.csi.x-k8s.io/v1",
                kind="SecretProviderClass",
                metadata={"name": f"azure-kvname-{name}", "namespace": namespace, "labels": LABELS},
                spec={
                    "provider": "azure",
                    "parameters": {
                        "keyvaultName": "kvname",
                        "objects": OBJECTS,
                        "tenantID": TENANT,
                        "usePodIdentity": "false",
                        "useVMManagedIdentity": "true",
                        "userAssignedIdentityID": identity.client_id,
                    },
                },
                opts=pulumi.ResourceOptions(provider=cluster),
            )
            spc_metadata: pulumi.Output[Any] = spc.metadata  # type: ignore[attr-defined]  # CustomResource fields come from __getattr__
            core.Pod(
                f"{name}-pod",
                metadata=meta.ObjectMetaArgs(name=f"{name}-secrets-store-inline", namespace=namespace, labels=LABELS),
                spec=core.PodSpecArgs(
                    containers=[
                        core.ContainerArgs(
                            name="app",
                            image="nginx",
                            volume_mounts=[
                                core.VolumeMountArgs(
                                    name="secrets-store-inline", mount_path="/mnt/secrets-store", read_only=True
                                ),
                                core.VolumeMountArgs(name="scratch-0", mount_path="/tmp"),
                            ],
                            security_context=core.SecurityContextArgs(
                                allow_privilege_escalation=False,
                                read_only_root_filesystem=True,
                                capabilities=core.CapabilitiesArgs(drop=["ALL"]),
                            ),
                            resources=core.ResourceRequirementsArgs(
                                requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "128Mi"}
                            ),
                        )
                    ],
                    volumes=[
                        core.VolumeArgs(
                            name="secrets-store-inline",
                            csi=core.CSIVolumeSourceArgs(
                                driver="secrets-store.csi.k8s.io",
                                read_only=True,
                                volume_attributes={
                                    "secretProviderClass": spc_metadata.apply(lambda metadata: metadata["name"])
                                },
                            ),
                        ),
                        core.VolumeArgs(name="scratch-0", empty_dir=core.EmptyDirVolumeSourceArgs()),
                    ],
                    security_context=core.PodSecurityContextArgs(
                        run_as_non_root=True, seccomp_profile=core.SeccompProfileArgs(type="RuntimeDefault")
                    ),
                    node_selector={"kubernetes.io/os": "linux"},
                    os=core.PodOSArgs(name="linux"),
                ),
                opts=pulumi.ResourceOptions(provider=cluster, depends_on=[grant, *nodes]),
            )

    return program


def run_handwritten(workloads: int) -> Graph:
    return evaluate(handwritten_program(workloads))


def run_ours(workloads: int) -> Graph:
    from benchmarks.program_scale import settings_for
    from tests.support import run_program

    return run_program(settings_for(workloads))


def measure(kind: str, workloads: int) -> dict[str, Any]:
    """Seconds of one evaluation (imports warmed by a 1-workload run) and the registrations."""
    run = {"ours": run_ours, "handwritten": run_handwritten}[kind]
    run(1)
    started, cpu_started = time.perf_counter(), time.process_time()
    graph = run(workloads)
    return {
        "kind": kind,
        "workloads": workloads,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,  # what other processes on the machine cannot inflate
        "resources": len(graph.resources),
    }


def in_fresh_process(kind: str, workloads: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.handwritten", "--one", kind, str(workloads)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def per_workload(rows: list[dict[str, Any]], kind: str) -> float:
    """Registrations each added workload costs (the slope between the smallest and largest size)."""
    first, last = rows[0][kind], rows[-1][kind]
    added: int = last["resources"] - first["resources"]
    span: int = last["workloads"] - first["workloads"]
    return added / span


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(measure(argv[1], int(argv[2]))))
        return 0
    sizes = sorted({int(a) for a in argv} or set(SIZES))
    rows = [{kind: in_fresh_process(kind, size) for kind in ("ours", "handwritten")} for size in sizes]
    print(
        "| workloads | ours s | hand-written s | ratio | ours CPU s | hand-written CPU s | CPU ratio "
        "| ours registrations | hand-written registrations |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ours, hand = row["ours"], row["handwritten"]
        print(
            f"| {ours['workloads']} | {ours['seconds']:.2f} | {hand['seconds']:.2f} | "
            f"{ours['seconds'] / hand['seconds']:.2f} | {ours['cpu_seconds']:.2f} | {hand['cpu_seconds']:.2f} | "
            f"{ours['cpu_seconds'] / hand['cpu_seconds']:.2f} | {ours['resources']} | {hand['resources']} |"
        )
    summary: dict[str, Any] = {}
    if len(rows) > 1:
        summary["registrations_per_workload"] = {k: per_workload(rows, k) for k in ("ours", "handwritten")}
        print(
            f"\nRegistrations per workload: ours {summary['registrations_per_workload']['ours']:g}, "
            f"hand-written {summary['registrations_per_workload']['handwritten']:g}."
        )
    at_target = [row for row in rows if row["ours"]["workloads"] == TARGET_SIZE]
    if at_target:
        ours, hand = at_target[0]["ours"], at_target[0]["handwritten"]
        ratio, cpu_ratio = ours["seconds"] / hand["seconds"], ours["cpu_seconds"] / hand["cpu_seconds"]
        summary.update(ratio_at_300=round(ratio, 2), cpu_ratio_at_300=round(cpu_ratio, 2))
        verdict = "met" if ratio <= TARGET_RATIO else "missed"
        print(
            f"Ratio at {TARGET_SIZE} workloads: {ratio:.2f} wall, {cpu_ratio:.2f} CPU "
            f"(target <= {TARGET_RATIO}: {verdict})."
        )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
