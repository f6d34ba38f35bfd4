"""The NodeIdentityAssignment provider driven through the real azure-mgmt-compute client over HTTPS.

Each scenario calls the provider's own check/diff/create/read/update/delete against the local ARM
(``arm_server.FakeArm``) and asserts: our identities present or absent as intended, every foreign
identity and the system-assigned identity (with its principalId) untouched, and the exact number
of GET and PATCH requests per node. Delays and backoffs are tiny so the module stays fast.
"""

from __future__ import annotations

import base64
import math
import pickletools
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.rpc import UNKNOWN

from keyvault_csi.node_identity import client as arm_client
from keyvault_csi.node_identity import discovery
from keyvault_csi.node_identity import write_cycle as arm
from keyvault_csi.node_identity.resource import NodeIdentityAssignment, NodeIdentityProvider
from keyvault_csi.testing.arm_server import LOST, TOKEN, FakeArm, Fault, user_identity_value
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import KUBELET, MC_RG, MONITORING, OURS, SUBSCRIPTION, VMSS, identity_id

pytestmark = pytest.mark.arm

VM = f"{MC_RG}/providers/Microsoft.Compute/virtualMachines/aks-agentpool-123-0"
OTHER = identity_id("id-other")
SECRET = "s3cr3t-client-secret-value"
Node = dict[str, Any]

provider = NodeIdentityProvider()  # stateless: one instance serves every scenario, as in the engine


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArm]:
    fake = FakeArm(tmp_path, operation_seconds=0.05).start()
    env = {
        arm_client.ENDPOINT_ENV: fake.url,
        arm_client.TOKEN_ENV: TOKEN,
        arm_client.CA_BUNDLE_ENV: fake.ca_bundle,
        arm_client.TIMEOUT_ENV: "30",  # a bound, not a speed: scenarios finish in well under a second
        arm_client.BACKOFF_ENV: "0.02",
        arm_client.POLL_INTERVAL_ENV: "0.02",
        # A service principal in the environment must lose to the static test token and never leak.
        "ARM_CLIENT_ID": "client",
        "ARM_TENANT_ID": "tenant",
        "ARM_CLIENT_SECRET": SECRET,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield fake
    fake.stop()


@pytest.fixture
def aks_vmss(server: FakeArm) -> Node:
    """A node pool as AKS leaves it: system-assigned on, the kubelet and a monitoring identity."""
    return server.add_node(VMSS, system=True, user=(KUBELET, MONITORING))


def inputs(node_id: str = VMSS, identities: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """Checked inputs, as the engine hands them to create/update/diff."""
    wanted = [OURS] if identities is None else identities
    result = provider.check({}, {"nodeId": node_id, "userAssignedIdentities": wanted, **extra})
    assert result.failures == []
    return result.inputs


def identity(server: FakeArm, node_id: str = VMSS) -> dict[str, Any]:
    return server.node(node_id)["identity"]


def users(server: FakeArm, node_id: str = VMSS) -> set[str]:
    return set(identity(server, node_id).get("userAssignedIdentities") or {})


def assert_foreign_untouched(server: FakeArm, before: dict[str, Any], node_id: str = VMSS) -> None:
    """The system identity (same principal) and every identity we do not own are exactly as before."""
    after = identity(server, node_id)
    assert after.get("principalId") == before["identity"].get("principalId")
    for key, value in (before["identity"].get("userAssignedIdentities") or {}).items():
        assert after["userAssignedIdentities"][key] == value


def counts(server: FakeArm, node_id: str = VMSS) -> tuple[int, int]:
    return server.count("GET", node_id), server.count("PATCH", node_id)


# --- create / read / update / delete -------------------------------------------------------


def test_create_on_aks_scale_set_adds_ours_only(server: FakeArm, aks_vmss: Node) -> None:
    result = provider.create(inputs())
    assert users(server) == {KUBELET, MONITORING, OURS}
    assert_foreign_untouched(server, aks_vmss)
    assert result.outs["addedUserAssignedIdentities"] == [OURS]
    assert result.outs["principalId"] == aks_vmss["identity"]["principalId"]
    assert result.outs["systemAssignedAdded"] is False
    assert result.id.startswith(VMSS + "#")
    assert counts(server) == (2, 1)  # GET, PATCH, the SDK's final GET after the async operation
    patch = server.patches(VMSS)[0]
    assert patch.if_match == aks_vmss["etag"]
    assert patch.body == {"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {OURS: {}}}}


def test_create_and_delete_on_vm_with_system_identity(server: FakeArm) -> None:
    server.add_node(VM)
    props = inputs(VM, systemAssigned=True)
    outs = provider.create(props).outs
    assert identity(server, VM)["type"] == "SystemAssigned, UserAssigned"
    assert outs["principalId"] == identity(server, VM)["principalId"] != ""
    assert (outs["systemAssignedAdded"], outs["addedUserAssignedIdentities"]) == (True, [OURS])
    provider.delete("id", {**props, **outs})
    assert identity(server, VM) == {"type": "None"}
    assert counts(server, VM) == (4, 2)
    assert server.patches(VM)[1].body == {"identity": {"type": "None"}}


def test_delete_leaves_the_node_as_it_was(server: FakeArm, aks_vmss: Node) -> None:
    props = inputs(systemAssigned=True)  # system is already on: not ours to turn off
    outs = provider.create(props).outs
    assert outs["systemAssignedAdded"] is False
    provider.delete("id", outs)
    assert identity(server) == aks_vmss["identity"]
    removal = {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {OURS: None}}
    assert server.patches(VMSS)[1].body == {"identity": removal}


def test_identity_already_on_the_node_is_not_ours(server: FakeArm, aks_vmss: Node) -> None:
    outs = provider.create(inputs(identities=[KUBELET.upper()])).outs
    assert outs["addedUserAssignedIdentities"] == []
    provider.delete("id", outs)
    assert identity(server) == aks_vmss["identity"]
    assert counts(server) == (1, 0)


def test_delete_of_a_node_already_gone_succeeds(server: FakeArm, aks_vmss: Node) -> None:
    outs = provider.create(inputs()).outs
    server.state.nodes.clear()
    provider.delete("id", outs)
    assert provider.read("id", outs).id == ""
    with pytest.raises(arm.NodeNotFound, match="aks-np1-123-vmss"):
        provider.create(inputs())


def test_drift_shows_on_refresh_and_the_next_update_repairs_it(server: FakeArm, aks_vmss: Node) -> None:
    props = inputs()
    outs = provider.create(props).outs
    assert provider.read("id", outs).outs == outs
    server.set_identity(VMSS, aks_vmss["identity"])  # an AKS upgrade dropped ours
    server.reset_counters()
    refreshed = provider.read("id", outs).outs
    assert (refreshed["userAssignedIdentities"], refreshed["addedUserAssignedIdentities"]) == ([], [])
    assert counts(server) == (1, 0)
    diff = provider.diff("id", refreshed, props)
    assert (diff.changes, diff.replaces) == (True, None)
    repaired = provider.update("id", refreshed, props).outs
    assert repaired == outs
    assert users(server) == {KUBELET, MONITORING, OURS}
    assert_foreign_untouched(server, aks_vmss)
    assert counts(server) == (3, 1)


def test_update_removes_only_what_we_added(server: FakeArm, aks_vmss: Node) -> None:
    outs = provider.create(inputs(identities=[OURS, OTHER, MONITORING])).outs
    assert outs["addedUserAssignedIdentities"] == sorted([OURS, OTHER], key=str.casefold)
    outs = provider.update("id", outs, inputs(identities=[OURS])).outs
    assert users(server) == {KUBELET, MONITORING, OURS}
    assert outs["addedUserAssignedIdentities"] == [OURS]
    outs = provider.update("id", outs, inputs(identities=[], systemAssigned=True)).outs
    assert users(server) == {KUBELET, MONITORING}
    assert (outs["addedUserAssignedIdentities"], outs["systemAssignedAdded"]) == ([], False)
    assert_foreign_untouched(server, aks_vmss)
    assert counts(server)[1] == 3


def test_diff() -> None:
    olds = {**inputs(identities=[OURS, OTHER]), "addedUserAssignedIdentities": [OURS], "principalId": ""}
    assert provider.diff("id", olds, inputs(identities=[OTHER.upper(), OURS])).changes is False
    assert provider.diff("id", olds, inputs(VMSS.lower(), identities=[OURS, OTHER])).changes is False
    assert provider.diff("id", olds, inputs(identities=[OURS])).replaces is None
    assert provider.diff("id", olds, inputs(identities=[OURS, OTHER], systemAssigned=True)).changes is True
    assert provider.diff("id", olds, inputs(VM, identities=[OURS, OTHER])).replaces == ["nodeId"]


def test_identical_inputs_write_nothing(server: FakeArm, aks_vmss: Node) -> None:
    props = inputs()
    outs = provider.create(props).outs
    server.reset_counters()
    assert provider.diff("id", outs, props).changes is False
    assert provider.update("id", outs, props).outs == outs
    assert counts(server) == (1, 0)


def test_check_names_bad_values_and_normalises() -> None:
    bad = provider.check({}, {"nodeId": "np1-vmss", "userAssignedIdentities": [OURS, "id-app"], "environment": "mars"})
    reasons = {f.property: f.reason for f in bad.failures}
    assert "'np1-vmss'" in reasons["nodeId"] and "virtualMachineScaleSets/{name}" in reasons["nodeId"]
    identities = reasons["userAssignedIdentities"]
    assert "'id-app'" in identities and "userAssignedIdentities/{name}" in identities
    assert "mars" in reasons["environment"]
    assert provider.check({}, {"nodeId": VMSS}).failures[0].reason.startswith("nothing to assign")
    good = inputs(identities=[OURS, MONITORING, OURS.upper()])
    assert good["userAssignedIdentities"] == sorted([OURS, MONITORING], key=str.casefold)
    assert (good["systemAssigned"], good["armEndpoint"], good["environment"]) == (False, "", "")


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "code", "gets", "patches"),
    [
        # azure-core's RetryPolicy repeats the PATCH itself: no fresh GET needed.
        ("PATCH", 409, "Conflict", 2, 3),
        ("PATCH", 500, "InternalServerError", 2, 3),
        ("PATCH", 503, "ServiceUnavailable", 2, 3),
        ("GET", 503, "ServiceUnavailable", 4, 1),
        ("GET", 429, "TooManyRequests", 4, 1),
    ],
)
def test_transient_errors_are_retried(
    server: FakeArm, aks_vmss: Node, method: str, status: int, code: str, gets: int, patches: int
) -> None:
    server.inject(VMSS, Fault(method, status, code, times=2))
    provider.create(inputs())
    assert users(server) == {KUBELET, MONITORING, OURS}
    assert_foreign_untouched(server, aks_vmss)
    assert counts(server) == (gets, patches)


def test_throttling_honours_retry_after(server: FakeArm, aks_vmss: Node) -> None:
    server.inject(VMSS, Fault("PATCH", 429, "TooManyRequests", retry_after="0.3"))
    started = time.monotonic()
    provider.create(inputs())
    assert time.monotonic() - started >= 0.3
    assert counts(server) == (2, 2)  # the RetryPolicy repeats the PATCH after the wait
    assert OURS in users(server)


def test_retry_after_as_an_http_date_is_honoured(server: FakeArm, aks_vmss: Node) -> None:
    target = math.ceil(time.time()) + 1  # HTTP dates have whole seconds
    server.inject(VMSS, Fault("PATCH", 429, "TooManyRequests", retry_after=formatdate(target, usegmt=True)))
    provider.create(inputs())
    assert time.time() >= target - 0.05
    assert counts(server) == (2, 2)
    assert OURS in users(server)


def test_conflict_while_another_operation_runs(server: FakeArm, aks_vmss: Node) -> None:
    server.busy(VMSS, 0.3)
    provider.create(inputs())
    assert OURS in users(server)
    assert_foreign_untouched(server, aks_vmss)
    rejected = [p for p in server.patches(VMSS) if p.status == 409]
    assert rejected and server.patches(VMSS)[-1].status == 200
    assert counts(server) == (2, len(rejected) + 1)  # 409s are retried by the RetryPolicy, no fresh GET


def test_failed_async_operation_names_node_and_code(server: FakeArm, aks_vmss: Node) -> None:
    server.fail_next_operation(VMSS, "VMExtensionProvisioningError")
    with pytest.raises(arm.ArmError, match=r"aks-np1-123-vmss: VMExtensionProvisioningError") as error:
        provider.create(inputs())
    assert error.value.code == "VMExtensionProvisioningError"
    assert identity(server) == aks_vmss["identity"]
    assert counts(server) == (1, 1)


def test_persistent_errors_give_up_within_the_budget(
    server: FakeArm, aks_vmss: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(arm_client.TIMEOUT_ENV, "0.4")
    server.inject(VMSS, Fault("PATCH", 503, "ServiceUnavailable", times=1000))
    started = time.monotonic()
    with pytest.raises(arm.ArmError, match=r"aks-np1-123-vmss: ServiceUnavailable: gave up after \d+ attempts"):
        provider.create(inputs())
    assert time.monotonic() - started < 2.0  # budget 0.4 s plus one in-flight request
    assert identity(server) == aks_vmss["identity"]


def test_client_errors_are_not_retried(server: FakeArm, aks_vmss: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    server.inject(VMSS, Fault("PATCH", 403, "AuthorizationFailed"))
    with pytest.raises(arm.ArmError, match="AuthorizationFailed"):
        provider.create(inputs())
    monkeypatch.setenv(arm_client.TOKEN_ENV, "wrong-token")
    with pytest.raises(arm.ArmError, match="AuthenticationFailed"):
        provider.create(inputs())
    assert counts(server) == (1, 1)  # the 401 was refused before reaching the node
    assert [entry.status for entry in server.state.log] == [200, 403, 401]


def test_writer_between_our_get_and_patch_gets_a_412_then_a_fresh_read(server: FakeArm, aks_vmss: Node) -> None:
    def other_writer() -> None:
        block = identity(server)
        block["userAssignedIdentities"][OTHER] = user_identity_value(OTHER)
        server.set_identity(VMSS, block)

    server.interleave(other_writer)
    outs = provider.create(inputs()).outs
    assert users(server) == {KUBELET, MONITORING, OTHER, OURS}
    assert_foreign_untouched(server, aks_vmss)
    assert outs["addedUserAssignedIdentities"] == [OURS]
    assert [p.status for p in server.patches(VMSS)] == [412, 200]
    assert counts(server) == (3, 2)


def test_someone_removing_ours_before_our_delete_patch_is_no_error(server: FakeArm, aks_vmss: Node) -> None:
    outs = provider.create(inputs()).outs
    server.reset_counters()
    server.interleave(lambda: server.set_identity(VMSS, aks_vmss["identity"]))
    provider.delete("id", outs)
    assert identity(server) == aks_vmss["identity"]
    assert [p.status for p in server.patches(VMSS)] == [412]  # the fresh GET then finds nothing to do
    assert counts(server) == (2, 1)


def test_lost_patch_answer_still_counts_the_identity_as_ours(server: FakeArm, aks_vmss: Node) -> None:
    server.lose_next_patch_answer(VMSS)
    outs = provider.create(inputs()).outs
    assert outs["addedUserAssignedIdentities"] == [OURS]  # found present on retry, yet ours: we sent it
    assert server.patches(VMSS)[0].status == LOST
    provider.delete("id", outs)
    assert identity(server) == aks_vmss["identity"]


def test_two_resources_on_one_scale_set_concurrently(server: FakeArm, aks_vmss: Node) -> None:
    results: dict[str, Any] = {}

    def create(identity_id: str) -> None:
        results[identity_id] = provider.create(inputs(identities=[identity_id])).outs

    threads = [threading.Thread(target=create, args=(i,)) for i in (OURS, OTHER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert users(server) == {KUBELET, MONITORING, OURS, OTHER}
    assert_foreign_untouched(server, aks_vmss)
    assert results[OURS]["addedUserAssignedIdentities"] == [OURS]
    assert results[OTHER]["addedUserAssignedIdentities"] == [OTHER]
    assert [p.status for p in server.patches(VMSS)] == [200, 200]  # serialized: no 409, no 412
    assert counts(server) == (4, 2)


# --- the pickled provider --------------------------------------------------------------------


def test_pickled_provider_holds_no_secret_and_round_trips(server: FakeArm, aks_vmss: Node) -> None:
    provider = NodeIdentityProvider()
    provider.create(inputs())  # warm the credential cache: it must not end up in the pickle
    blob = base64.b64decode(serialize_provider(provider))
    for secret in (TOKEN, SECRET, server.url):
        assert secret.encode() not in blob
    restored = dill.loads(blob)
    assert type(restored) is NodeIdentityProvider and vars(restored) == {}
    restored.delete("id", restored.read("id", restored.create(inputs(identities=[OTHER])).outs).outs)
    assert users(server) == {KUBELET, MONITORING, OURS}


def test_preview_with_unknown_values() -> None:
    """During a preview a changing dependency leaves values unknown: no failure, no false no-op."""
    olds = inputs()
    unknown_list = provider.check({}, {"nodeId": VMSS, "userAssignedIdentities": [UNKNOWN]})
    assert unknown_list.failures == [] and unknown_list.inputs["userAssignedIdentities"] == [UNKNOWN]
    assert provider.diff("id", olds, unknown_list.inputs).changes is True
    unknown_node = provider.check({}, {"nodeId": UNKNOWN, "userAssignedIdentities": [OURS]})
    assert unknown_node.failures == []
    assert provider.diff("id", olds, unknown_node.inputs).replaces == ["nodeId"]


def test_import_reads_the_node_from_the_id(server: FakeArm, aks_vmss: Node) -> None:
    outs = provider.read(f"{VMSS}#identity-0123456789ab", {}).outs
    assert (outs["nodeId"], outs["userAssignedIdentities"]) == (VMSS, [])
    assert outs["principalId"] == aks_vmss["identity"]["principalId"]


def test_resource_wire_names_and_python_outputs() -> None:
    """Inputs go out camelCase to the dynamic provider; outputs come back as snake_case attributes."""
    sent: dict[str, Any] = {}

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            sent.update(type=args.typ, **args.inputs)
            outs = {
                **args.inputs,
                "principalId": "p",
                "addedUserAssignedIdentities": [OURS],
                "systemAssignedAdded": False,
            }
            return "id", outs

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
            return {}

    def program() -> None:
        resource = NodeIdentityAssignment("np1", {"nodeId": VMSS, "userAssignedIdentities": [OURS]})
        pulumi.export(
            "values",
            pulumi.Output.all(
                resource.node_id, resource.principal_id, resource.user_assigned_identities,
                resource.system_assigned, resource.added_user_assigned_identities, resource.system_assigned_added,
            ),
        )  # fmt: skip

    graph = evaluate(program, mocks=Mocks())
    assert graph.stack_outputs["values"] == [VMSS, "p", [OURS], False, [OURS], False]
    assert sent["type"] == "pulumi-python:dynamic:NodeIdentityAssignment"
    assert {"nodeId", "userAssignedIdentities", "systemAssigned", "armEndpoint", "environment"} <= set(sent)


# --- concurrency, failed operations, poll faults ------------------------------------


def test_without_etag_a_change_between_read_and_patch_is_not_lost(server: FakeArm) -> None:
    """11.11: no etag, no If-Match; the re-read right before the PATCH catches a concurrent writer."""
    server.add_node(VMSS, user=(KUBELET,), etag=False)

    def enable_system() -> None:  # someone turns the system identity on after our first GET
        block = identity(server)
        server.set_identity(VMSS, {**block, "type": "SystemAssigned, UserAssigned", "principalId": "p-other"})

    server.after_next_get(VMSS, enable_system)
    provider.create(inputs())
    after = identity(server)
    assert after["type"] == "SystemAssigned, UserAssigned" and after["principalId"] == "p-other"
    assert users(server) == {KUBELET, OURS}
    assert [p.if_match for p in server.patches(VMSS)] == [None]
    assert server.patches(VMSS)[0].body["identity"]["type"] == "SystemAssigned, UserAssigned"


def test_invalid_identity_values_from_a_concurrent_removal_restarts_once(server: FakeArm) -> None:
    """11.12: our delete's `type: UserAssigned` after someone removed the last other identity."""
    server.add_node(VMSS, user=(KUBELET,), etag=False)
    outs = provider.create(inputs()).outs
    server.interleave(lambda: server.set_identity(VMSS, {"type": "UserAssigned", "userAssignedIdentities": {OURS: {}}}))
    provider.delete("id", outs)
    assert identity(server) == {"type": "None"}
    assert [p.status for p in server.patches(VMSS)][1:] == [400, 200]


def test_a_failed_operation_that_was_applied_leaves_no_orphan(server: FakeArm, aks_vmss: Node) -> None:
    """11.10: ARM applied our identity although the operation failed; ours is owned all the same."""
    server.fail_next_operation(VMSS, "InternalExecutionError", applied=True)
    with pytest.raises(arm.ArmError, match="InternalExecutionError"):
        provider.create(inputs(ownedIdentities=[OURS]))
    assert OURS in users(server)  # applied despite the failure; the failed create left no state
    outs = provider.create(inputs(ownedIdentities=[OURS])).outs  # the next `up`
    assert outs["addedUserAssignedIdentities"] == [OURS]
    provider.delete("id", outs)
    assert identity(server) == {**aks_vmss["identity"]}


def test_an_existing_identity_already_on_the_node_stays_foreign(server: FakeArm, aks_vmss: Node) -> None:
    """ownedIdentities names only identities this stack created: the kubelet identity is never ours."""
    outs = provider.create(inputs(identities=[KUBELET, OURS], ownedIdentities=[OURS])).outs
    assert outs["addedUserAssignedIdentities"] == [OURS]


@pytest.mark.parametrize(
    "fault",
    [
        Fault("GET", 503, "ServiceUnavailable", times=2),
        Fault("GET", 429, "TooManyRequests", times=1, retry_after="0.05"),
        Fault("GET", LOST, "", times=1),  # a dropped connection on the poll
    ],
)
def test_poll_faults_are_retried(server: FakeArm, aks_vmss: Node, fault: Fault) -> None:
    """11.13: the Azure-AsyncOperation poll is retried by the RetryPolicy; one PATCH, no new cycle."""
    server.inject_poll(fault)
    outs = provider.create(inputs()).outs
    assert outs["addedUserAssignedIdentities"] == [OURS]
    assert counts(server) == (2, 1)


def test_a_poll_fault_never_turns_a_failed_operation_into_success(server: FakeArm, aks_vmss: Node) -> None:
    """11.13: while Updating, the node already shows our identity; that is no proof of success."""
    server.fail_next_operation(VMSS, "VMExtensionProvisioningError")
    server.inject_poll(Fault("GET", 503, "ServiceUnavailable", times=1))
    with pytest.raises(arm.ArmError, match="VMExtensionProvisioningError"):
        provider.create(inputs())
    assert identity(server) == aks_vmss["identity"]


def test_a_poll_lost_for_good_waits_for_the_node_and_reports_failed(
    server: FakeArm, aks_vmss: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(arm_client.RETRIES_ENV, "1")
    server.fail_next_operation(VMSS, "VMExtensionProvisioningError")
    server.inject_poll(Fault("GET", 503, "ServiceUnavailable", times=100))
    with pytest.raises(arm.ArmError, match="OperationFailed: the identity update ended Failed"):
        provider.create(inputs())
    assert identity(server) == aks_vmss["identity"]
    assert server.count("PATCH", VMSS) == 1


def test_pickled_provider_refers_to_its_module_path() -> None:
    """Stacks hold the provider pickled by reference; moving or renaming the class breaks them all."""
    assert NodeIdentityProvider.__module__ == "keyvault_csi.node_identity.resource"
    blob = base64.b64decode(serialize_provider(NodeIdentityProvider()))  # as pulumi.dynamic pickles it
    ops = list(pickletools.genops(blob))
    strings = [arg for op, arg, _ in ops if op.name in {"SHORT_BINUNICODE", "BINUNICODE"}]
    assert [op.name for op, _, _ in ops].count("STACK_GLOBAL") == 1
    assert strings == ["keyvault_csi.node_identity.resource", "NodeIdentityProvider"]


# --- node pools by name (discovery) ------------------------------------------------------------

CLUSTER_RG = "rg-aks"
CLUSTER = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{CLUSTER_RG}"
    "/providers/Microsoft.ContainerService/managedClusters/aks"
)
NODE_RG = "MC_rg_aks_westeurope"
POOL_VMSS = {
    pool: f"{MC_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-{pool}-123-vmss" for pool in ("np1", "np2")
}


@pytest.fixture
def cluster(server: FakeArm) -> FakeArm:
    """An AKS cluster with pools np1, np2 (scale sets) and av (AvailabilitySet), plus untagged sets (2 list pages)."""
    server.add_cluster(
        CLUSTER,
        NODE_RG,
        {
            "np1": "VirtualMachineScaleSets",
            "np2": "VirtualMachineScaleSets",
            "av": "AvailabilitySet",
            "gone": "VirtualMachineScaleSets",
        },
    )
    for pool, node in POOL_VMSS.items():
        server.add_node(node, system=True, user=(KUBELET,), tags={"aks-managed-poolName": pool})
    server.add_node(f"{MC_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/other", tags={"team": "x"})
    return server


def pool_inputs(pool: str = "np1", **extra: Any) -> dict[str, Any]:
    result = provider.check(
        {},
        {"clusterResourceGroup": CLUSTER_RG, "clusterName": "aks", "agentPool": pool, "subscriptionId": SUBSCRIPTION,
         "userAssignedIdentities": [OURS], **extra},
    )  # fmt: skip
    assert result.failures == []
    return result.inputs


def test_pool_discovery_writes_on_the_pools_scale_set(cluster: FakeArm) -> None:
    outs = provider.create(pool_inputs()).outs
    assert outs["nodeId"] == POOL_VMSS["np1"]
    assert users(cluster, POOL_VMSS["np1"]) == {KUBELET, OURS}
    assert users(cluster, POOL_VMSS["np2"]) == {KUBELET}
    assert cluster.count("GET", CLUSTER) == 1
    assert cluster.count("LIST", NODE_RG) == 2  # three scale sets, two per page: the SDK followed nextLink
    assert provider.read("id", outs).outs == {**outs, "discoveredNodeId": POOL_VMSS["np1"]}
    provider.delete("id", outs)
    assert users(cluster, POOL_VMSS["np1"]) == {KUBELET}


def test_two_pools_get_one_write_each(cluster: FakeArm) -> None:
    for pool in ("np1", "np2"):
        assert provider.create(pool_inputs(pool)).outs["nodeId"] == POOL_VMSS[pool]
    assert all(users(cluster, node) == {KUBELET, OURS} for node in POOL_VMSS.values())
    assert [cluster.count("PATCH", node) for node in POOL_VMSS.values()] == [1, 1]


@pytest.mark.parametrize(
    ("pool", "message"),
    [
        (
            "np9",
            r"agent pool 'np9' of cluster rg-aks/aks: the cluster has no such pool \(its pools: av, gone, np1, np2\)",
        ),
        (
            "gone",
            r"agent pool 'gone' .*no scale set tagged aks-managed-poolName=gone "
            r"in resource group 'MC_rg_aks_westeurope'",
        ),
        ("av", r"agent pool 'av' .* is an AvailabilitySet pool: .*'MC_rg_aks_westeurope' under nodes.virtualMachines"),
    ],
)
def test_a_pool_without_scale_set_is_a_clear_error(cluster: FakeArm, pool: str, message: str) -> None:
    with pytest.raises(discovery.DiscoveryError, match=message):
        provider.create(pool_inputs(pool))
    assert cluster.patches() == []


def test_a_missing_cluster_names_it(server: FakeArm) -> None:
    with pytest.raises(discovery.DiscoveryError, match=r"the cluster 'aks' does not exist in resource group 'rg-aks'"):
        provider.create(pool_inputs())


def test_a_recreated_pool_shows_as_drift_and_the_next_update_moves_the_identity(cluster: FakeArm) -> None:
    props = pool_inputs()
    outs = provider.create(props).outs
    cluster.remove_node(POOL_VMSS["np1"])  # `az aks nodepool delete` + `add`: a new scale set
    new = f"{MC_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-np1-456-vmss"
    cluster.add_node(new, system=True, user=(KUBELET,), tags={"aks-managed-poolName": "np1"})
    refreshed = provider.read("id", outs).outs
    assert (refreshed["nodeId"], refreshed["discoveredNodeId"]) == (POOL_VMSS["np1"], new)
    assert refreshed["userAssignedIdentities"] == []
    diff = provider.diff("id", refreshed, props)
    assert (diff.changes, diff.replaces) == (True, None)
    moved = provider.update("id", refreshed, props).outs
    assert (moved["nodeId"], moved["addedUserAssignedIdentities"]) == (new, [OURS])
    assert users(cluster, new) == {KUBELET, OURS}
    assert provider.diff("id", provider.read("id", moved).outs, props).changes is False
    provider.delete("id", moved)
    assert users(cluster, new) == {KUBELET}


def test_pool_inputs_are_checked() -> None:
    bad = provider.check(
        {}, {"clusterResourceGroup": "rg-aks", "agentPool": "NodePool_1", "userAssignedIdentities": [OURS]}
    )
    reasons = {f.property: f.reason for f in bad.failures}
    assert "clusterName is required" in reasons["clusterName"]
    assert "'NodePool_1' is not an AKS agent pool name" in reasons["agentPool"]
    both = provider.check({}, {"nodeId": VMSS, "clusterName": "aks", "userAssignedIdentities": [OURS]})
    assert "not both" in both.failures[0].reason
