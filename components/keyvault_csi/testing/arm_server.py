"""A local Azure Resource Manager over HTTPS for the node-identity scenarios.

Serves just enough of ARM for ``azure-mgmt-compute`` to talk to it unmodified: GET/PATCH of
``Microsoft.Compute/virtualMachineScaleSets/{name}`` and ``virtualMachines/{name}`` plus the
``Azure-AsyncOperation`` status endpoint. It applies ARM's identity merge rules (docs/azure-rules.md §vmss-identity-merge, §identity-type, §lro)
strictly, so a client sending a wrong ``type`` loses identities here exactly as it would on Azure:

* a key left out of ``userAssignedIdentities`` is kept, ``null`` removes it;
* ``type`` describes the whole result: without ``UserAssigned`` every user identity is dropped,
  without ``SystemAssigned`` the system identity (and its principal) is dropped;
* user identities sent with a type lacking ``UserAssigned`` -> 400 ``InvalidParameter``;
* ``null`` for an identity the node does not carry -> 400 ``InvalidParameter``. Real ARM's answer
  here is not documented; we chose the strict one so that a client removing what it never saw
  (a stale GET) fails loudly instead of passing by luck;
* ``type`` containing ``UserAssigned`` with no identity left -> 400 (ARM refuses an empty set).

A PATCH answers 200 with the prospective resource and an ``Azure-AsyncOperation`` header; the
resource itself changes (and gets a new ``etag``) only when the operation completes, after
``operation_seconds``. While it runs, another PATCH to the node gets 409 ``OperationNotAllowed``.
Every request needs ``Authorization: Bearer <token>`` (401 otherwise).
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
from urllib.parse import urlsplit

import trustme

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TOKEN = "local-arm-test-token"
LOST = 0  # status of a request whose answer the server drops

_NODE_PATH = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/"
    r"(?:virtualMachineScaleSets|virtualMachines)/[^/]+",
    re.IGNORECASE,
)
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
    operations: dict[str, Operation] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)  # node key -> queue
    failing_operations: dict[str, str] = field(default_factory=dict)  # node key -> error code
    lost_answers: set[str] = field(default_factory=set)  # node keys whose next PATCH answer is dropped
    log: list[LoggedRequest] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (method, node key)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeArm:
    """The server plus helpers to seed nodes, inject faults and read counters."""

    def __init__(self, tmp_dir: Path, latency: float = 0.0, operation_seconds: float = 0.05):
        self.latency = latency  # seconds added to every request
        self.operation_seconds = operation_seconds  # how long an async operation stays InProgress
        self._interleaved: Callable[[], None] | None = None
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

    def add_node(self, node_id: str, *, system: bool = False, user: tuple[str, ...] = ()) -> dict[str, Any]:
        """Create a scale set or VM carrying the given identities (foreign ones, as AKS would)."""
        resource: dict[str, Any] = {
            "id": node_id,
            "name": node_id.rsplit("/", 1)[-1],
            "location": "westeurope",
            "etag": '"1"',
            "properties": {"provisioningState": "Succeeded"},
        }
        identity: dict[str, Any] = {"type": _TYPE_NAMES[(system, bool(user))]}
        if system:
            identity.update(principalId=str(uuid.uuid4()), tenantId=TENANT_ID)
        if user:
            identity["userAssignedIdentities"] = {i: user_identity_value(i) for i in user}
        resource["identity"] = identity
        with self.state.lock:
            self.state.nodes[node_id.casefold()] = resource
        return copy.deepcopy(resource)

    def node(self, node_id: str) -> dict[str, Any]:
        with self.state.lock:
            self._settle()
            return copy.deepcopy(self.state.nodes[node_id.casefold()])

    def set_identity(self, node_id: str, identity: dict[str, Any]) -> None:
        """An out-of-band writer (AKS upgrade, another tool) replaces the node's identity block."""
        with self.state.lock:
            resource = self.state.nodes[node_id.casefold()]
            resource["identity"] = copy.deepcopy(identity)
            resource["etag"] = _next_etag(resource["etag"])

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

    def lose_next_patch_answer(self, node_id: str) -> None:
        """Apply the next PATCH but hang up instead of answering (a reset connection)."""
        with self.state.lock:
            self.state.lost_answers.add(node_id.casefold())

    def fail_next_operation(self, node_id: str, code: str) -> None:
        with self.state.lock:
            self.state.failing_operations[node_id.casefold()] = code

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
            if op.fail_code:
                op.status = "Failed"
                continue
            op.status = "Succeeded"
            resource = self.state.nodes.get(op.node_key)
            if resource is not None and op.result is not None:
                resource["identity"] = op.result
                resource["etag"] = _next_etag(resource["etag"])

    def _running(self, node_key: str) -> bool:
        return any(op.node_key == node_key and op.status == "InProgress" for op in self.state.operations.values())

    def handle(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {}, _error("AuthenticationFailed", "Authentication failed: missing or wrong bearer token.")
        op_match = _OPERATION_PATH.fullmatch(path)
        if method == "GET" and op_match:
            with self.state.lock:
                return self._operation_status(op_match["op"])
        if not _NODE_PATH.fullmatch(path) or method not in {"GET", "PATCH"}:
            return 404, {}, _error("NotFound", f"{method} {path} is not served by this test ARM")
        key = path.casefold()
        writer, self._interleaved = (self._interleaved, None) if method == "PATCH" else (None, self._interleaved)
        if writer is not None:
            writer()
        with self.state.lock:
            self.state.counts[(method, key)] += 1
            self._settle()
            queue = self.state.faults.get(key, [])
            fault = next((f for f in queue if f.method == method), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    queue.remove(fault)
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return fault.status, extra, _error(fault.code, f"injected {fault.code}")
            resource = self.state.nodes.get(key)
            if resource is None:
                return 404, {}, _error("ResourceNotFound", f"The Resource '{path}' was not found.")
            if method == "GET":
                return 200, {}, copy.deepcopy(resource)
            return self._patch(key, resource, headers, body)

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
        if if_match not in (None, "*", resource["etag"]):
            return 412, {}, _error("PreconditionFailed", f"If-Match {if_match} does not match etag {resource['etag']}.")
        if self._running(key):
            message = f"Operation 'Update' is not allowed on '{resource['name']}' since an operation is in progress."
            return 409, {}, _error("OperationNotAllowed", message)
        if not isinstance(body, dict) or "identity" not in body:
            return 400, {}, _error("InvalidRequestContent", "this test ARM only accepts identity updates")
        merged = merge_identity(resource.get("identity"), body["identity"])
        if isinstance(merged, str):
            return 400, {}, _error("InvalidParameter", merged)
        op_id = str(uuid.uuid4())
        fail_code = self.state.failing_operations.pop(key, None)
        self.state.operations[op_id] = Operation(key, merged, time.monotonic() + self.operation_seconds, fail_code)
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
        return "type UserAssigned needs at least one user-assigned identity"
    merged: dict[str, Any] = {"type": _TYPE_NAMES[(system, bool(users))]}
    if system:
        had_system = "systemassigned" in str(current.get("type", "")).casefold()
        merged["principalId"] = current["principalId"] if had_system else str(uuid.uuid4())
        merged["tenantId"] = TENANT_ID
    if users:
        merged["userAssignedIdentities"] = users
    return merged


def _next_etag(etag: str) -> str:
    return f'"{int(etag.strip(chr(34))) + 1}"'


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
            path = urlsplit(self.path).path
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, payload = arm.handle(self.command, path, headers, body)
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
