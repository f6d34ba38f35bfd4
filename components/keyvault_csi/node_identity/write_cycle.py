"""Managed identities on AKS nodes (VM scale sets or VMs) through Azure Resource Manager.

What ``az vmss identity assign/remove`` and ``az vm identity assign/remove`` do, as plain functions:
parse and validate ARM ids, compute the identity PATCH body from the node's current identity block,
and send it with ``azure-mgmt-compute`` (GET, PATCH with ``If-Match``, long-running-operation
polling, retries). No Pulumi imports: ``keyvault_csi.node_identity.resource`` wraps this in a dynamic provider.

ARM rules encoded here (docs/azure-rules.md §identity-type): ``identity.type`` describes the whole result; a key left
out of ``userAssignedIdentities`` is kept; ``null`` removes one; a type without ``UserAssigned``
drops every user-assigned identity. ARM compares resource ids case-insensitively.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.polling import LROPoller

from keyvault_csi.node_identity.client import ArmSettings, compute_client

if TYPE_CHECKING:
    from azure.mgmt.compute import ComputeManagementClient

# --- ids -------------------------------------------------------------------------------------

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_RG = r"[-\w.()]{0,89}[-\w()]"  # ARM: 1-90 chars, must not end with a period
_NAME = r"[-\w.]{1,128}"

SCALE_SET = "virtualMachineScaleSets"
VIRTUAL_MACHINE = "virtualMachines"

NODE_ID_FORM = (
    "/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Compute/"
    "virtualMachineScaleSets/{name} (or .../virtualMachines/{name})"
)
IDENTITY_ID_FORM = (
    "/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
)

# ARM treats provider namespaces and type segments case-insensitively, hence re.IGNORECASE.
_NODE_RE = re.compile(
    rf"/subscriptions/(?P<sub>{_GUID})/resourceGroups/(?P<rg>{_RG})/providers/Microsoft\.Compute/"
    rf"(?P<kind>virtualMachineScaleSets|virtualMachines)/(?P<name>{_NAME})",
    re.IGNORECASE,
)
_IDENTITY_RE = re.compile(
    rf"/subscriptions/{_GUID}/resourceGroups/{_RG}/providers/Microsoft\.ManagedIdentity/"
    rf"userAssignedIdentities/{_NAME}",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NodeRef:
    """An AKS node as ARM addresses it: a VM scale set (node pool) or a VM (AvailabilitySet cluster)."""

    subscription_id: str
    resource_group: str
    kind: str  # SCALE_SET or VIRTUAL_MACHINE, canonical casing
    name: str

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Compute/{self.kind}/{self.name}"
        )

    @property
    def key(self) -> str:
        """Case-insensitive identity of the node, as ARM compares ids."""
        return self.id.casefold()


def parse_node_id(value: str) -> NodeRef:
    """Parse the ARM id of a scale set or VM; ValueError names the bad value and the expected form."""
    match = _NODE_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a scale set or VM resource id; expected {NODE_ID_FORM}")
    kind = SCALE_SET if match["kind"].casefold() == SCALE_SET.casefold() else VIRTUAL_MACHINE
    return NodeRef(match["sub"], match["rg"], kind, match["name"])


def validate_identity_id(value: str) -> str:
    """Return ``value`` if it is a user-assigned identity resource id, else ValueError naming the form."""
    if not isinstance(value, str) or _IDENTITY_RE.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a user-assigned identity resource id; expected {IDENTITY_ID_FORM}")
    return value


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


class NodeNotFound(ArmError):
    """ARM answered 404 for the node: the scale set or VM does not exist (any more)."""


RETRYABLE_STATUS = frozenset({409, 429, 500, 502, 503, 504})

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


def _retry_after(error: HttpResponseError) -> float | None:
    header = error.response.headers.get("Retry-After") if error.response is not None else None
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None


def _backoff(settings: ArmSettings, attempt: int) -> float:
    # Jitter spreads writers that collided on the same node.
    return min(settings.max_backoff, settings.backoff * 2**attempt) * random.uniform(0.5, 1.0)


def _with_retries(node: NodeRef, settings: ArmSettings, call: Callable[[], Any], deadline: float) -> Any:
    """Run ``call`` until it succeeds, retrying 412, 409, 429, 5xx and lost connections until ``deadline``."""
    attempt = 0
    while True:
        try:
            return call()
        except ResourceNotFoundError as error:
            raise NodeNotFound(node, "NotFound", error.message) from error
        except ResourceModifiedError as error:
            # Someone wrote between our GET and PATCH: start over at once from a fresh GET.
            code, delay, last = "PreconditionFailed", 0.0, error
        except HttpResponseError as error:
            code = _error_code(error)
            if error.status_code not in RETRYABLE_STATUS:
                raise ArmError(node, code, error.message) from error
            delay, last = _retry_after(error) or _backoff(settings, attempt), error
        except (ServiceRequestError, ServiceResponseError) as error:
            # The SDK's own retries are off: a reset connection is ours to retry.
            code, delay, last = type(error).__name__, _backoff(settings, attempt), error
        attempt += 1
        if time.monotonic() + delay > deadline:
            message = f"gave up after {attempt} attempts in {settings.timeout:g}s: {last.message}"
            raise ArmError(node, code, message) from last
        time.sleep(delay)


def get_node_identity(node: NodeRef, settings: ArmSettings) -> NodeIdentity | None:
    """GET the node and return its identity block, or None when the node does not exist (404)."""
    deadline = time.monotonic() + settings.timeout
    with compute_client(node.subscription_id, settings) as client:
        ops = _operations(client, node)
        try:
            resource = _with_retries(node, settings, lambda: ops.get(node.resource_group, node.name), deadline)
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


def _write_cycle(ops: Any, node: NodeRef, write: _Write, deadline: float) -> NodeIdentity:
    """GET the node, PATCH what is missing with ``If-Match: <etag>``, wait for the async operation."""
    resource = ops.get(node.resource_group, node.name).as_dict()
    current = resource.get("identity")
    body = write.body(current)
    if body is None:
        return NodeIdentity.from_arm(current)
    etag = resource.get("etag")
    condition = MatchConditions.IfNotModified if etag else None
    try:
        poller = ops.begin_update(node.resource_group, node.name, body, etag=etag, match_condition=condition)
    except ServiceResponseError:
        write.claim(body, current)  # sent, answer lost: ARM may have applied it
        raise
    write.claim(body, current)
    return NodeIdentity.from_arm(_finish(node, poller, deadline).get("identity"))


def change_node_identity(
    node: NodeRef,
    settings: ArmSettings,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    enable_system: bool = False,
    disable_system: bool = False,
) -> IdentityChange:
    """Make the node carry ``add`` (and the system identity if ``enable_system``) and not ``remove``.

    Each cycle reads the node afresh and computes the body from what ARM returned, so a 412
    (another writer between our GET and PATCH) or a transient error just runs it again.
    Raises NodeNotFound on 404, ArmError on anything else that does not clear in time.
    """
    write = _Write(tuple(add), tuple(remove), enable_system, disable_system)
    with node_lock(node), compute_client(node.subscription_id, settings) as client:
        ops = _operations(client, node)
        deadline = time.monotonic() + settings.timeout
        after = _with_retries(node, settings, lambda: _write_cycle(ops, node, write, deadline), deadline)
    return write.result(after)


def _finish(node: NodeRef, poller: LROPoller[Any], deadline: float) -> dict[str, Any]:
    """Wait for the PATCH's async operation (the SDK polls Azure-AsyncOperation) within the deadline."""
    try:
        poller.wait(timeout=max(0.0, deadline - time.monotonic()))
        if not poller.done():
            message = f"the identity update was still {poller.status()} at the deadline"
            raise ArmError(node, "OperationTimedOut", message)
        return dict(poller.result().as_dict())
    except HttpResponseError as error:
        if error.status_code in RETRYABLE_STATUS:
            raise  # a transient poll failure: the whole cycle is retried
        # The status endpoint answering 200 {"status": "Failed", "error": {...}} lands here.
        raise ArmError(node, _error_code(error), error.message) from error
