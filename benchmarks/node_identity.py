"""How many ARM writes and how much wall time a node-identity deploy costs.

Runs the real NodeIdentityProvider (real azure-mgmt-compute client over HTTPS) against the local
ARM test server with 100 ms per request and 2 s per async operation. For P scale sets x W
identities: a deploy (P creates in parallel threads, as the Pulumi engine runs P independent
resources), a no-op update (must write nothing) and a refresh (one GET per node).
Targets: PATCHes = P whatever W is; deploy wall time close to one async operation.

    .venv/bin/python -m benchmarks.node_identity   # from the repository root

Prints a table, then one JSON line for the largest case.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from keyvault_csi.node_identity import client as arm_client
from keyvault_csi.node_identity.resource import NodeIdentityProvider
from keyvault_csi.testing.arm_server import TOKEN, FakeArm

LATENCY = 0.1
OPERATION_SECONDS = 2.0
POLL_INTERVAL = 0.25  # what the client polls at when ARM sends no Retry-After
SUB = "00000000-0000-0000-0000-000000000001"
IDENTITIES = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"
KUBELET = f"/subscriptions/{SUB}/resourcegroups/MC_rg/{IDENTITIES}/aks-agentpool"


def node_id(index: int) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/np{index}"


def identity_id(index: int) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/rg-identities/{IDENTITIES}/id-{index}"


def timed_parallel(count: int, work: Callable[[int], Any]) -> tuple[list[Any], float]:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(work, range(count)))
    return results, time.monotonic() - started


def run_case(server: FakeArm, scale_sets: int, identities: int) -> dict[str, Any]:
    provider = NodeIdentityProvider()
    nodes = [node_id(100 * identities + i) for i in range(scale_sets)]
    for node in nodes:
        server.add_node(node, system=True, user=(KUBELET,))
    wanted = [identity_id(j) for j in range(identities)]
    props = [provider.check({}, {"nodeId": node, "userAssignedIdentities": wanted}).inputs for node in nodes]
    server.reset_counters()
    outs, deploy_s = timed_parallel(scale_sets, lambda i: provider.create(props[i]).outs)
    deploy_patches = len(server.patches())
    deploy_gets = sum(server.count("GET", node) for node in nodes)
    polls = server.polls()
    assert all(len(server.node(node)["identity"]["userAssignedIdentities"]) == identities + 1 for node in nodes)

    server.reset_counters()
    _, noop_s = timed_parallel(scale_sets, lambda i: provider.update("id", outs[i], props[i]))
    noop_patches = len(server.patches())

    server.reset_counters()
    _, refresh_s = timed_parallel(scale_sets, lambda i: provider.read("id", outs[i]))
    refresh_gets = sum(server.count("GET", node) for node in nodes)
    return {
        "scale_sets": scale_sets, "identities": identities, "patches": deploy_patches, "gets": deploy_gets,
        "polls": polls, "seconds": round(deploy_s, 2), "noop_patches": noop_patches, "noop_seconds": round(noop_s, 2),
        "refresh_gets": refresh_gets, "refresh_seconds": round(refresh_s, 2),
    }  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = FakeArm(Path(tmp), latency=LATENCY, operation_seconds=OPERATION_SECONDS).start()
        os.environ.update(
            {
                arm_client.ENDPOINT_ENV: server.url,
                arm_client.TOKEN_ENV: TOKEN,
                arm_client.CA_BUNDLE_ENV: server.ca_bundle,
                arm_client.POLL_INTERVAL_ENV: str(POLL_INTERVAL),
            }
        )
        try:
            rows = [run_case(server, p, w) for p in (1, 3, 10) for w in (1, 5, 20)]
        finally:
            server.stop()
    print(
        f"local ARM over HTTPS: {LATENCY * 1000:.0f} ms/request, {OPERATION_SECONDS:g} s/async operation, "
        f"client poll {POLL_INTERVAL:g} s"
    )
    header = ("P", "W", "PATCH", "GET", "polls", "deploy s", "no-op PATCH", "no-op s", "refresh GET", "refresh s")
    keys = (
        "scale_sets", "identities", "patches", "gets", "polls", "seconds",
        "noop_patches", "noop_seconds", "refresh_gets", "refresh_seconds",
    )  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(row[key]) for key in keys) + " |")
    last = rows[-1]
    print(json.dumps({key: last[key] for key in ("scale_sets", "identities", "patches", "seconds")}))


if __name__ == "__main__":
    main()
