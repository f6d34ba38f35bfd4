"""A local Azure Resource Manager over HTTPS for the node-identity scenarios.

Serves just enough of ARM for ``azure-mgmt-compute`` to talk to it unmodified: GET/PATCH of
``Microsoft.Compute/virtualMachineScaleSets/{name}`` and ``virtualMachines/{name}`` plus the
``Azure-AsyncOperation`` status endpoint. It applies ARM's identity merge rules
(docs/azure-rules.md §vmss-identity-merge, §identity-type, §lro) strictly, so a client sending a
wrong ``type`` loses identities here exactly as it would on Azure:

* a key left out of ``userAssignedIdentities`` is kept, ``null`` removes it;
* ``type`` describes the whole result: without ``UserAssigned`` every user identity is dropped,
  without ``SystemAssigned`` the system identity (and its principal) is dropped;
* user identities sent with a type lacking ``UserAssigned`` -> 400 ``InvalidParameter``;
* ``null`` for an identity the node does not carry -> 400 ``InvalidParameter``. Real ARM's answer
  here is not documented; we chose the strict one so that a client removing what it never saw
  (a stale GET) fails loudly instead of passing by luck;
* ``type`` containing ``UserAssigned`` with no identity left -> 400 (ARM refuses an empty set).

A PATCH answers 200 with the prospective resource and an ``Azure-AsyncOperation`` header. While
the operation runs (``operation_seconds``) a GET of the node shows the requested identity with
``provisioningState: Updating``, as ARM does; another PATCH gets 409 ``OperationNotAllowed``. On
completion the etag changes and the state becomes ``Succeeded``, or ``Failed`` (the identity
reverted, unless the failure is injected as ``applied``: ARM sometimes applies a failed update).

Also served, for pool discovery: GET of a managed cluster (``add_cluster``) and the scale-set list
of a resource group, ``page_size`` per page with ``nextLink`` (the SDK follows it).

Faults (``Fault``) are queued per node or for the operation status URL (``inject_poll``); status
``LOST`` hangs up without an answer. Every request needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import copy
import json
import re
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import trustme

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TOKEN = "local-arm-test-token"
LOST = 0  # status of a request whose answer the server drops

_NODE_PATH = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/"
    r"(?:virtualMachineScaleSets|virtualMachines)/[^/]+",
    re.IGNORECASE,
)
_CLUSTER_PATH = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ContainerService/managedClusters/[^/]+",
    re.IGNORECASE,
)
_LIST_PATH = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/virtualMachineScaleSets",
    re.IGNORECASE,
)
POLL = "operations"  # fault queue key for the Azure-AsyncOperation status URL
_OPERATION_PATH = re.compile(
    r"/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/operations/(?P<op>[^/]+)", re.IGNORECASE
)
_IDENTITY_ID = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/[^/]+",
    re.IGNORECASE,
)
_TYPE_NAMES = {
    (False, False): "None",
    (True, False): "SystemAssigned",
    (False, True): "UserAssigned",
    (True, True): "SystemAssigned, UserAssigned",
}
_TYPES = {name.casefold(): flags for flags, name in _TYPE_NAMES.items()}


def _guid(*parts: str) -> str:
    """A stable GUID per identity, so tests can assert that a foreign identity is untouched."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts).casefold()))


def user_identity_value(identity_id: str) -> dict[str, str]:
    """The ``{principalId, clientId}`` pair ARM returns for a user-assigned identity."""
    return {"principalId": _guid(identity_id, "principal"), "clientId": _guid(identity_id, "client")}


@dataclass
class Fault:
    """A canned error answer for the next ``times`` matching requests."""

    method: str
    status: int
    code: str
    times: int = 1
    retry_after: str | None = None


@dataclass
class Operation:
    """An async operation started by a PATCH: applies ``result`` to the node when it completes."""

    node_key: str
    result: dict[str, Any] | None
    deadline: float
    fail_code: str | None = None
    applied_on_failure: bool = False
    status: str = "InProgress"


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int
    if_match: str | None
    body: Any


@dataclass
class ArmState:
    """Everything the server knows; guarded by ``lock``."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)  # node key -> queue
    failing_operations: dict[str, tuple[str, bool]] = field(default_factory=dict)  # node key -> (code, applied)
    lost_answers: set[str] = field(default_factory=set)  # node keys whose next PATCH answer is dropped
    log: list[LoggedRequest] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (method, node key)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeArm:
    """The server plus helpers to seed nodes, inject faults and read counters."""

    def __init__(self, tmp_dir: Path, latency: float = 0.0, operation_seconds: float = 0.05, page_size: int = 2):
        self.latency = latency  # seconds added to every request
        self.operation_seconds = operation_seconds  # how long an async operation stays InProgress
        self.page_size = page_size  # scale sets per page of a list answer
        self._interleaved: Callable[[], None] | None = None
        self._after_get: Callable[[], None] | None = None
        self._after_get_key: str | None = None
        self.state = ArmState()
        ca = trustme.CA()
        self.ca_bundle = str(tmp_dir / "arm-ca.pem")
        ca.cert_pem.write_to_path(self.ca_bundle)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        # Handshake in the handler thread, not in the accept loop.
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.url = f"https://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FakeArm:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- seeding and inspection -------------------------------------------------------------

    def add_node(
        self,
        node_id: str,
        *,
        system: bool = False,
        user: tuple[str, ...] = (),
        etag: bool = True,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a scale set or VM carrying the given identities (foreign ones, as AKS would).

        ``etag=False``: a node whose GET carries no etag (the PATCH then cannot be conditional).
        """
        resource: dict[str, Any] = {
            "id": node_id,
            "name": node_id.rsplit("/", 1)[-1],
            "location": "westeurope",
            "tags": dict(tags or {}),
            "properties": {"provisioningState": "Succeeded"},
        }
        if etag:
            resource["etag"] = '"1"'
        identity: dict[str, Any] = {"type": _TYPE_NAMES[(system, bool(user))]}
        if system:
            identity.update(principalId=str(uuid.uuid4()), tenantId=TENANT_ID)
        if user:
            identity["userAssignedIdentities"] = {i: user_identity_value(i) for i in user}
        resource["identity"] = identity
        with self.state.lock:
            self.state.nodes[node_id.casefold()] = resource
        return copy.deepcopy(resource)

    def add_cluster(
        self,
        cluster_id: str,
        node_resource_group: str,
        pools: dict[str, str] | None = None,
    ) -> None:
        """A managed cluster: ``pools`` maps agent pool name -> type (VirtualMachineScaleSets, AvailabilitySet)."""
        profiles = [{"name": name, "type": kind, "mode": "User"} for name, kind in (pools or {}).items()]
        resource = {
            "id": cluster_id,
            "name": cluster_id.rsplit("/", 1)[-1],
            "location": "westeurope",
            "properties": {"nodeResourceGroup": node_resource_group, "agentPoolProfiles": profiles},
        }
        with self.state.lock:
            self.state.clusters[cluster_id.casefold()] = resource

    def remove_node(self, node_id: str) -> None:
        with self.state.lock:
            self.state.nodes.pop(node_id.casefold(), None)

    def node(self, node_id: str) -> dict[str, Any]:
        """The node as stored (committed identity; a running operation's result not yet applied)."""
        with self.state.lock:
            self._settle()
            return copy.deepcopy(self.state.nodes[node_id.casefold()])

    def set_identity(self, node_id: str, identity: dict[str, Any]) -> None:
        """An out-of-band writer (AKS upgrade, another tool) replaces the node's identity block."""
        with self.state.lock:
            resource = self.state.nodes[node_id.casefold()]
            resource["identity"] = copy.deepcopy(identity)
            _bump_etag(resource)

    def count(self, method: str, node_id: str) -> int:
        with self.state.lock:
            return self.state.counts[(method, node_id.casefold())]

    def polls(self) -> int:
        with self.state.lock:
            return sum(1 for entry in self.state.log if _OPERATION_PATH.fullmatch(entry.path))

    def patches(self, node_id: str | None = None) -> list[LoggedRequest]:
        with self.state.lock:
            return [
                entry
                for entry in self.state.log
                if entry.method == "PATCH" and (node_id is None or entry.path.casefold() == node_id.casefold())
            ]

    def reset_counters(self) -> None:
        with self.state.lock:
            self.state.counts.clear()
            self.state.log.clear()

    def inject(self, node_id: str, fault: Fault) -> None:
        with self.state.lock:
            self.state.faults.setdefault(node_id.casefold(), []).append(fault)

    def inject_poll(self, fault: Fault) -> None:
        """A fault on the next ``times`` GETs of any Azure-AsyncOperation status URL."""
        self.inject(POLL, fault)

    def after_next_get(self, node_id: str, writer: Callable[[], None]) -> None:
        """Run ``writer`` once, right after the next GET of the node is answered."""
        self._after_get, self._after_get_key = writer, node_id.casefold()

    def lose_next_patch_answer(self, node_id: str) -> None:
        """Apply the next PATCH but hang up instead of answering (a reset connection)."""
        with self.state.lock:
            self.state.lost_answers.add(node_id.casefold())

    def fail_next_operation(self, node_id: str, code: str, *, applied: bool = False) -> None:
        """The next PATCH's operation ends Failed; ``applied``: ARM kept the new identity anyway."""
        with self.state.lock:
            self.state.failing_operations[node_id.casefold()] = (code, applied)

    def interleave(self, writer: Callable[[], None]) -> None:
        """Run ``writer`` once when the next PATCH arrives, before its If-Match check: another
        writer slipping in between a client's GET and its PATCH."""
        self._interleaved = writer

    def busy(self, node_id: str, seconds: float) -> None:
        """Another writer's operation runs on the node for ``seconds``: PATCHes get 409 meanwhile."""
        with self.state.lock:
            self.state.operations[str(uuid.uuid4())] = Operation(node_id.casefold(), None, time.monotonic() + seconds)

    # --- request handling (called from handler threads) --------------------------------------

    def _settle(self) -> None:
        """Complete every operation past its deadline: apply the result, bump the etag."""
        now = time.monotonic()
        for op in self.state.operations.values():
            if op.status != "InProgress" or now < op.deadline:
                continue
            op.status = "Failed" if op.fail_code else "Succeeded"
            resource = self.state.nodes.get(op.node_key)
            if resource is None:
                continue
            resource["properties"]["provisioningState"] = op.status
            if op.result is not None and (not op.fail_code or op.applied_on_failure):
                resource["identity"] = op.result
                _bump_etag(resource)

    def _running(self, node_key: str) -> bool:
        return any(op.node_key == node_key and op.status == "InProgress" for op in self.state.operations.values())

    def _view(self, key: str, resource: dict[str, Any]) -> dict[str, Any]:
        """What a GET returns: during an operation, its result with provisioningState Updating."""
        view = copy.deepcopy(resource)
        for op in self.state.operations.values():
            if op.node_key == key and op.status == "InProgress":
                view["properties"]["provisioningState"] = "Updating"
                if op.result is not None:
                    view["identity"] = copy.deepcopy(op.result)
        return view

    def _take_fault(self, key: str, method: str) -> Fault | None:
        queue = self.state.faults.get(key, [])
        fault = next((f for f in queue if f.method == method), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                queue.remove(fault)
        return fault

    def _list(self, sub: str, group: str, skip: int) -> tuple[int, dict[str, str], Any]:
        prefix = f"/subscriptions/{sub}/resourcegroups/{group}/providers/microsoft.compute/virtualmachinescalesets/"
        sets = [self._view(k, r) for k, r in sorted(self.state.nodes.items()) if k.startswith(prefix.casefold())]
        page: dict[str, Any] = {"value": sets[skip : skip + self.page_size]}
        if skip + self.page_size < len(sets):
            page["nextLink"] = (
                f"{self.url}/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Compute"
                f"/virtualMachineScaleSets?api-version=2026-04-01&$skiptoken={skip + self.page_size}"
            )
        return 200, {}, page

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: Any, query: str = ""
    ) -> tuple[int, dict[str, str], Any]:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {}, _error("AuthenticationFailed", "Authentication failed: missing or wrong bearer token.")
        op_match = _OPERATION_PATH.fullmatch(path)
        if method == "GET" and op_match:
            with self.state.lock:
                fault = self._take_fault(POLL, "GET")
                if fault is not None:
                    return _fault_answer(fault)
                return self._operation_status(op_match["op"])
        if method == "GET" and _CLUSTER_PATH.fullmatch(path):
            with self.state.lock:
                self.state.counts[("GET", path.casefold())] += 1
                cluster = self.state.clusters.get(path.casefold())
                if cluster is None:
                    return 404, {}, _error("ResourceNotFound", f"The Resource '{path}' was not found.")
                return 200, {}, copy.deepcopy(cluster)
        list_match = _LIST_PATH.fullmatch(path)
        if method == "GET" and list_match:
            skip = int(dict(parse_qsl(query)).get("$skiptoken", "0"))
            with self.state.lock:
                self.state.counts[("LIST", list_match["rg"].casefold())] += 1
                self._settle()
                return self._list(list_match["sub"], list_match["rg"], skip)
        if not _NODE_PATH.fullmatch(path) or method not in {"GET", "PATCH"}:
            return 404, {}, _error("NotFound", f"{method} {path} is not served by this test ARM")
        key = path.casefold()
        writer, self._interleaved = (self._interleaved, None) if method == "PATCH" else (None, self._interleaved)
        if writer is not None:
            writer()
        with self.state.lock:
            self.state.counts[(method, key)] += 1
            self._settle()
            fault = self._take_fault(key, method)
            if fault is not None:
                return _fault_answer(fault)
            resource = self.state.nodes.get(key)
            if resource is None:
                return 404, {}, _error("ResourceNotFound", f"The Resource '{path}' was not found.")
            if method == "PATCH":
                return self._patch(key, resource, headers, body)
            answer = self._view(key, resource)
        hook = self._after_get if self._after_get_key == key else None
        if hook is not None:
            self._after_get = None
            hook()  # after the answer was built: a writer between this GET and the client's next step
        return 200, {}, answer

    def _operation_status(self, op_id: str) -> tuple[int, dict[str, str], Any]:
        self._settle()
        op = self.state.operations.get(op_id)
        if op is None:
            return 404, {}, _error("NotFound", f"operation {op_id} not found")
        payload: dict[str, Any] = {"name": op_id, "status": op.status}
        if op.status == "Failed":
            payload["error"] = {"code": op.fail_code, "message": f"The identity update failed: {op.fail_code}"}
        return 200, {}, payload

    def _patch(
        self, key: str, resource: dict[str, Any], headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if_match = headers.get("if-match")
        if if_match not in (None, "*", resource.get("etag")):
            message = f"If-Match {if_match} does not match etag {resource.get('etag')}."
            return 412, {}, _error("PreconditionFailed", message)
        if self._running(key):
            message = f"Operation 'Update' is not allowed on '{resource['name']}' since an operation is in progress."
            return 409, {}, _error("OperationNotAllowed", message)
        if not isinstance(body, dict) or "identity" not in body:
            return 400, {}, _error("InvalidRequestContent", "this test ARM only accepts identity updates")
        merged = merge_identity(resource.get("identity"), body["identity"])
        if isinstance(merged, str):
            code = "InvalidIdentityValues" if merged == EMPTY_USER_SET else "InvalidParameter"
            return 400, {}, _error(code, merged)
        op_id = str(uuid.uuid4())
        fail_code, applied = self.state.failing_operations.pop(key, (None, False))
        deadline = time.monotonic() + self.operation_seconds
        self.state.operations[op_id] = Operation(key, merged, deadline, fail_code, applied)
        sub = key.split("/")[2]
        location = resource["location"]
        status_url = (
            f"{self.url}/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}"
            f"/operations/{op_id}?api-version=2026-04-01"
        )
        if key in self.state.lost_answers:
            self.state.lost_answers.discard(key)
            return LOST, {}, None
        answer = copy.deepcopy(resource)
        answer["identity"] = merged
        answer["properties"]["provisioningState"] = "Updating"
        return 200, {"Azure-AsyncOperation": status_url}, answer


def merge_identity(current: dict[str, Any] | None, patch: Any) -> dict[str, Any] | str:
    """ARM's PATCH semantics for ``identity``: the merged block, or the 400 message for a bad request."""
    if not isinstance(patch, dict) or not isinstance(patch.get("type"), str):
        return "identity.type is required"
    wanted = _TYPES.get(", ".join(part.strip() for part in patch["type"].split(",")).casefold())
    if wanted is None:
        return f"identity.type {patch['type']!r} is not one of {', '.join(_TYPE_NAMES.values())}"
    system, user_allowed = wanted
    changes = patch.get("userAssignedIdentities") or {}
    if changes and not user_allowed:
        return f"userAssignedIdentities may only be given with a type containing UserAssigned, not {patch['type']!r}"
    current = current or {}
    users = {k: v for k, v in (current.get("userAssignedIdentities") or {}).items()} if user_allowed else {}
    for identity_id, value in changes.items():
        existing = next((k for k in users if k.casefold() == identity_id.casefold()), None)
        if value is None:
            if existing is None:
                return f"cannot remove {identity_id}: it is not assigned to the resource"
            del users[existing]
        elif existing is None:
            if not _IDENTITY_ID.fullmatch(identity_id):
                return f"{identity_id!r} is not a user-assigned identity resource id"
            users[identity_id] = user_identity_value(identity_id)
    if user_allowed and not users:
        return EMPTY_USER_SET
    merged: dict[str, Any] = {"type": _TYPE_NAMES[(system, bool(users))]}
    if system:
        had_system = "systemassigned" in str(current.get("type", "")).casefold()
        merged["principalId"] = current["principalId"] if had_system else str(uuid.uuid4())
        merged["tenantId"] = TENANT_ID
    if users:
        merged["userAssignedIdentities"] = users
    return merged


EMPTY_USER_SET = "type UserAssigned needs at least one user-assigned identity"


def _bump_etag(resource: dict[str, Any]) -> None:
    if "etag" in resource:  # a node created without etag never gets one
        resource["etag"] = f'"{int(resource["etag"].strip(chr(34))) + 1}"'


def _fault_answer(fault: Fault) -> tuple[int, dict[str, str], Any]:
    extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
    return fault.status, extra, (None if fault.status == LOST else _error(fault.code, f"injected {fault.code}"))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Parallel clients open many connections at once; the default backlog of 5 drops SYNs (1 s retry).
    request_queue_size = 128


def _handler_for(arm: FakeArm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects
        disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid the 40 ms delayed-ACK stall

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            if arm.latency:
                time.sleep(arm.latency)
            url = urlsplit(self.path)
            path = url.path
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, payload = arm.handle(self.command, path, headers, body, url.query)
            with arm.state.lock:
                arm.state.log.append(LoggedRequest(self.command, path, status, headers.get("if-match"), body))
            if status == LOST:
                self.close_connection = True
                return
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-ms-request-id", str(uuid.uuid4()))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the request log is in arm.state
            return

    return Handler
