"""Managed identities on AKS nodes (VM scale sets or VMs) through Azure Resource Manager.

What ``az vmss identity assign/remove`` and ``az vm identity assign/remove`` do, as plain functions:
parse and validate ARM ids, compute the identity PATCH body from the node's current identity block,
and send it with ``azure-mgmt-compute`` (GET, PATCH with ``If-Match``, long-running-operation
polling; azure-core's RetryPolicy per request, a tenacity loop per cycle). No Pulumi imports:
``keyvault_csi.node_identity.resource`` wraps this in a dynamic provider.

ARM rules encoded here (docs/azure-rules.md §identity-type): ``identity.type`` describes the whole result; a key left
out of ``userAssignedIdentities`` is kept; ``null`` removes one; a type without ``UserAssigned``
drops every user-assigned identity. ARM compares resource ids case-insensitively.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import tenacity
from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.polling import LROPoller

from keyvault_csi.node_identity import client as arm_client
from keyvault_csi.node_identity.client import ArmSettings, DeadlineRetryPolicy
from keyvault_csi.rules import arm_ids
from keyvault_csi.rules.arm_ids import ArmId

if TYPE_CHECKING:
    from azure.mgmt.compute import ComputeManagementClient

# --- ids (one definition: keyvault_csi.rules.arm_ids) ----------------------------------------

NodeRef = ArmId  # an AKS node as ARM addresses it: a scale set (node pool) or a VM (AvailabilitySet cluster)
SCALE_SET = arm_ids.SCALE_SET
VIRTUAL_MACHINE = arm_ids.VIRTUAL_MACHINE
parse_node_id = arm_ids.parse_node_id
validate_identity_id = arm_ids.validate_identity_id


def normalize_identity_ids(values: Iterable[str]) -> list[str]:
    """Sort and dedupe ids case-insensitively, keeping the first spelling given (ARM ignores case)."""
    unique: dict[str, str] = {}
    for value in values:
        unique.setdefault(value.casefold(), value)
    return [unique[key] for key in sorted(unique)]


# --- the identity block and the PATCH body ----------------------------------------------------


def identity_type(system: bool, user_count: int) -> str:
    """The ``identity.type`` string ARM expects for a node ending with this set of identities."""
    if system and user_count:
        return "SystemAssigned, UserAssigned"
    if system:
        return "SystemAssigned"
    if user_count:
        return "UserAssigned"
    return "None"


def _has_system(block: Mapping[str, Any] | None) -> bool:
    kinds = str((block or {}).get("type") or "").split(",")
    return "systemassigned" in {kind.strip().casefold() for kind in kinds}


def _user_keys(block: Mapping[str, Any] | None) -> dict[str, str]:
    """Casefolded id -> id exactly as ARM returned it (removals must echo ARM's spelling)."""
    return {key.casefold(): key for key in ((block or {}).get("userAssignedIdentities") or {})}


@dataclass(frozen=True)
class NodeIdentity:
    """What a node's ``identity`` block says: system-assigned on/off, its principal, user identities."""

    system: bool
    principal_id: str
    user: Mapping[str, str]  # casefolded id -> id as ARM spells it

    @classmethod
    def from_arm(cls, block: Mapping[str, Any] | None) -> NodeIdentity:
        system = _has_system(block)
        principal = str((block or {}).get("principalId") or "") if system else ""
        return cls(system, principal, _user_keys(block))

    def has(self, identity_id: str) -> bool:
        return identity_id.casefold() in self.user


def patch_body(
    current: Mapping[str, Any] | None,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    enable_system: bool = False,
    disable_system: bool = False,
) -> dict[str, Any] | None:
    """The ARM PATCH body that adds ``add`` and removes ``remove`` from the node's ``identity``.

    ``current`` is the node's identity block from a fresh GET. Only the listed identities change:
    every other user identity is kept by leaving it out of the body, and the type always keeps the
    system-assigned identity unless ``disable_system`` (its owner turning it off). An id in both
    ``add`` and ``remove`` is kept. Returns None when the node already matches (no write needed).
    """
    present = _user_keys(current)
    wanted = {identity.casefold(): identity for identity in add}
    to_add = {key: identity for key, identity in wanted.items() if key not in present}
    to_remove = {present[key] for key in {i.casefold() for i in remove} if key in present and key not in wanted}
    system_before = _has_system(current)
    system_after = enable_system or (system_before and not disable_system)
    if not to_add and not to_remove and system_after == system_before:
        return None
    user_after = len(present) + len(to_add) - len(to_remove)
    identity: dict[str, Any] = {"type": identity_type(system_after, user_after)}
    if user_after:
        # Keys omitted are kept by ARM; {} adds, null removes.
        changes: dict[str, Any] = {identity: {} for identity in sorted(to_add.values())}
        changes.update({identity: None for identity in sorted(to_remove)})
        if changes:
            identity["userAssignedIdentities"] = changes
    # With no user identity left the type alone drops them all; azure-cli sends no map either.
    return {"identity": identity}


# --- ARM operations ----------------------------------------------------------------------------


class ArmError(RuntimeError):
    """An ARM call on a node failed for good; names the node and ARM's error code."""

    def __init__(self, node: NodeRef, code: str, message: str) -> None:
        super().__init__(f"{node.id}: {code}: {message}")
        self.node = node
        self.code = code
        self.detail = message


class NodeNotFound(ArmError):
    """ARM answered 404 for the node: the scale set or VM does not exist (any more)."""


class _Restart(ArmError):
    """This cycle cannot finish as read: start over from a fresh GET after ``delay`` seconds."""

    def __init__(self, node: NodeRef, code: str, message: str, delay: float = 0.0) -> None:
        super().__init__(node, code, message)
        self.delay = delay


T = TypeVar("T")
RETRYABLE_STATUS = arm_client.RETRYABLE_STATUS
# Enough for a few concurrent writers; each cycle is one GET (two without an etag) and one PATCH.
MAX_CYCLES = 8
# ARM's terminal provisioning states; anything else (Updating, ...) means an operation still runs.
TERMINAL_STATES = frozenset({"succeeded", "failed", "canceled"})

_locks_guard = threading.Lock()
_node_locks: dict[str, threading.Lock] = {}


@contextmanager
def node_lock(node: NodeRef) -> Iterator[None]:
    """Serialize writes to one node in this process: ARM rejects a second write while one runs."""
    with _locks_guard:
        lock = _node_locks.setdefault(node.key, threading.Lock())
    with lock:
        yield


def _operations(client: ComputeManagementClient, node: NodeRef) -> Any:
    return client.virtual_machine_scale_sets if node.kind == SCALE_SET else client.virtual_machines


def _error_code(error: HttpResponseError) -> str:
    code = getattr(error.error, "code", None)
    return str(code or error.status_code or type(error).__name__)


def _give_up(node: NodeRef, settings: ArmSettings, policy: DeadlineRetryPolicy, error: AzureError) -> ArmError:
    code = _error_code(error) if isinstance(error, HttpResponseError) else type(error).__name__
    attempts = policy.retried + 1
    return ArmError(node, code, f"gave up after {attempts} attempts in {settings.timeout:g}s: {error.message}")


def _arm_call(node: NodeRef, settings: ArmSettings, policy: DeadlineRetryPolicy, call: Callable[[], T]) -> T:
    """One SDK call (its transient faults already retried by ``policy``), errors named after the node."""
    try:
        return call()
    except ResourceNotFoundError as error:
        raise NodeNotFound(node, "NotFound", error.message) from error
    except ResourceModifiedError as error:
        # Someone wrote between our GET and PATCH: start over at once from a fresh GET.
        raise _Restart(node, "PreconditionFailed", error.message) from error
    except HttpResponseError as error:
        if error.status_code in RETRYABLE_STATUS:
            raise _give_up(node, settings, policy, error) from error
        raise ArmError(node, _error_code(error), error.message) from error
    except (ServiceRequestError, ServiceResponseError) as error:
        raise _give_up(node, settings, policy, error) from error


def get_node_identity(node: NodeRef, settings: ArmSettings) -> NodeIdentity | None:
    """GET the node and return its identity block, or None when the node does not exist (404)."""
    policy = arm_client.retry_policy(settings, time.monotonic() + settings.timeout)
    with arm_client.compute_client(node.subscription_id, settings, policy) as client:
        ops = _operations(client, node)
        try:
            resource = _arm_call(node, settings, policy, lambda: ops.get(node.resource_group, node.name))
        except NodeNotFound:
            return None
    return NodeIdentity.from_arm(resource.as_dict().get("identity"))


@dataclass(frozen=True)
class IdentityChange:
    """The node's identity after a write, and what this write put there that was not there before."""

    after: NodeIdentity
    added: tuple[str, ...]  # requested ids this call put on the node (spelled as requested)
    system_added: bool


@dataclass
class _Write:
    """One requested change, plus what went out in PATCHes that ARM may have applied."""

    add: tuple[str, ...]
    remove: tuple[str, ...]
    enable_system: bool
    disable_system: bool
    accepted: set[str] = field(default_factory=set)  # casefolded ids we sent for adding
    system_sent: bool = False
    in_doubt: bool = False  # a PATCH went out whose operation's outcome we could not learn
    identity_restarts: int = 0

    def body(self, current: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return patch_body(current, self.add, self.remove, self.enable_system, self.disable_system)

    def claim(self, body: dict[str, Any], current: Mapping[str, Any] | None) -> None:
        """Record a PATCH ARM took: its additions are ours even if a retry later finds them present."""
        sent = body["identity"].get("userAssignedIdentities") or {}
        self.accepted.update(key.casefold() for key, value in sent.items() if value is not None)
        self.system_sent = self.system_sent or (self.enable_system and not _has_system(current))

    def result(self, after: NodeIdentity) -> IdentityChange:
        added = tuple(i for i in self.add if i.casefold() in self.accepted and after.has(i))
        return IdentityChange(after, added, self.system_sent and after.system)


def _provisioning_state(resource: Mapping[str, Any]) -> str:
    return str((resource.get("properties") or {}).get("provisioningState") or "Succeeded")


def _settle_doubt(node: NodeRef, write: _Write, resource: Mapping[str, Any], poll: float) -> None:
    """After a PATCH whose outcome was lost: wait for a terminal state, and never call Failed a success.

    While the operation runs, a GET already shows the requested identities (provisioningState
    Updating), so finding ours there proves nothing (docs/azure-rules.md §lro).
    """
    state = _provisioning_state(resource)
    if state.casefold() not in TERMINAL_STATES:
        raise _Restart(node, "OperationInProgress", f"the identity update is still {state}", delay=poll)
    if state.casefold() != "succeeded":
        message = f"the identity update ended {state} (its status poll was lost; the node reports {state})"
        raise ArmError(node, "OperationFailed", message)
    write.in_doubt = False


def _read(ops: Any, node: NodeRef) -> dict[str, Any]:
    return dict(ops.get(node.resource_group, node.name).as_dict())


def _write_cycle(
    ops: Any, node: NodeRef, write: _Write, settings: ArmSettings, policy: DeadlineRetryPolicy, deadline: float
) -> NodeIdentity:
    """GET the node, PATCH what is missing with ``If-Match: <etag>``, wait for the async operation."""
    resource = _arm_call(node, settings, policy, lambda: _read(ops, node))
    if write.in_doubt:
        _settle_doubt(node, write, resource, settings.poll_interval)
    current = resource.get("identity")
    body = write.body(current)
    if body is None:
        return NodeIdentity.from_arm(current)
    etag = resource.get("etag")
    if not etag:
        # No etag, no If-Match: re-read right before the PATCH and start over if anything moved.
        # What remains is the gap between this GET and the PATCH (docs/node-identity.md).
        again = _arm_call(node, settings, policy, lambda: _read(ops, node))
        if again.get("identity") != current or _provisioning_state(again) != _provisioning_state(resource):
            raise _Restart(node, "Changed", "the node's identity changed between two reads")
    condition = MatchConditions.IfNotModified if etag else None
    try:
        poller = ops.begin_update(node.resource_group, node.name, body, etag=etag, match_condition=condition)
    except ServiceResponseError as error:
        write.claim(body, current)  # sent, answer lost: ARM may have applied it
        write.in_doubt = True
        raise _Restart(node, type(error).__name__, error.message) from error
    except HttpResponseError as error:
        if error.status_code == 400 and _error_code(error) == "InvalidIdentityValues" and write.identity_restarts < 1:
            # Our type no longer fits the node: a concurrent writer removed the last other
            # user identity (docs/azure-rules.md §identity-type). One fresh cycle recomputes it.
            write.identity_restarts += 1
            raise _Restart(node, "InvalidIdentityValues", error.message) from error
        failed = error
    else:
        write.claim(body, current)
        return NodeIdentity.from_arm(_finish(node, write, poller, settings, deadline).get("identity"))
    return _arm_call(node, settings, policy, lambda: _reraise(failed))  # named after the node


def _reraise(error: Exception) -> NoReturn:
    raise error


def _cycle_wait(state: tenacity.RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    return error.delay if isinstance(error, _Restart) else 0.0


def change_node_identity(
    node: NodeRef,
    settings: ArmSettings,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    enable_system: bool = False,
    disable_system: bool = False,
) -> IdentityChange:
    """Make the node carry ``add`` (and the system identity if ``enable_system``) and not ``remove``.

    Each request's transient faults (409/429/5xx, ``Retry-After``, lost connections on GET) are
    retried by azure-core's RetryPolicy. This loop (tenacity) only restarts the whole cycle from a
    fresh GET: after a 412, a 400 ``InvalidIdentityValues`` (once), a changed node without etag, or
    a PATCH whose outcome is unknown. One deadline bounds both. Raises NodeNotFound on 404,
    ArmError on anything else.
    """
    write = _Write(tuple(add), tuple(remove), enable_system, disable_system)
    deadline = time.monotonic() + settings.timeout
    policy = arm_client.retry_policy(settings, deadline)
    restarts = 0

    def stop(state: tenacity.RetryCallState) -> bool:
        # Waiting for a running operation is bounded by the deadline only; re-reads also by MAX_CYCLES.
        nonlocal restarts
        error = state.outcome.exception() if state.outcome else None
        restarts += 0 if isinstance(error, _Restart) and error.delay else 1
        return restarts >= MAX_CYCLES or time.monotonic() + _cycle_wait(state) >= deadline

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(_Restart), stop=stop, wait=_cycle_wait, reraise=True
    )
    with node_lock(node), arm_client.compute_client(node.subscription_id, settings, policy) as client:
        ops = _operations(client, node)
        try:
            after = retrying(_write_cycle, ops, node, write, settings, policy, deadline)
        except _Restart as error:
            cycles = retrying.statistics.get("attempt_number", restarts)
            raise ArmError(node, error.code, f"gave up after {cycles} write cycles: {error.detail}") from error
    return write.result(after)


def _finish(
    node: NodeRef, write: _Write, poller: LROPoller[Any], settings: ArmSettings, deadline: float
) -> dict[str, Any]:
    """Wait for the PATCH's async operation (the SDK polls Azure-AsyncOperation) within the deadline.

    Poll faults are retried by the client's RetryPolicy. If the poll still fails, the outcome is
    unknown: the next cycle waits for the node to reach a terminal state instead of trusting what
    an ``Updating`` node shows.
    """
    try:
        poller.wait(timeout=max(0.0, deadline - time.monotonic()))
        if not poller.done():
            message = f"the identity update was still {poller.status()} at the deadline"
            raise ArmError(node, "OperationTimedOut", message)
        return dict(poller.result().as_dict())
    except HttpResponseError as error:
        if error.status_code in RETRYABLE_STATUS:
            write.in_doubt = True
            raise _Restart(node, _error_code(error), error.message, delay=settings.poll_interval) from error
        # The status endpoint answering 200 {"status": "Failed", "error": {...}} lands here.
        raise ArmError(node, _error_code(error), error.message) from error
    except (ServiceRequestError, ServiceResponseError) as error:
        write.in_doubt = True
        raise _Restart(node, type(error).__name__, error.message, delay=settings.poll_interval) from error
