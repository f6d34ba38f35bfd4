"""Read Kubernetes events: a ``kubectl get events -A -o json`` document (file or stdin) or the cluster.

Both event APIs are accepted: core/v1 (``involvedObject``, ``message``, ``count``, ``lastTimestamp``)
and events.k8s.io/v1 (``regarding``, ``note``, ``series.count``, ``eventTime``), as a List document,
an EventList, or a bare JSON array.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO


class InputError(Exception):
    """A source the doctor cannot read: reported in one line, exit code 2."""


@dataclass(frozen=True)
class PodEvent:
    """The fields of one event the doctor uses."""

    namespace: str
    pod: str
    reason: str
    message: str
    count: int
    last_seen: str  # RFC 3339; strings of one format compare in time order


def read_text(path: str) -> str:
    """The file's text; InputError naming the file when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None


def parse_json(text: str, source: str) -> Any:
    """The JSON document in ``text``; InputError naming ``source`` and the spot when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{source}: not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def parse_document(text: str, source: str) -> list[PodEvent]:
    """Events of involvedObject kind Pod in a JSON document; ``source`` names it in errors."""
    document = parse_json(text, source)
    if isinstance(document, Mapping):
        items = document.get("items")
        if items is None and document.get("kind") == "Event":
            items = [document]
    else:
        items = document
    if not isinstance(items, list):
        raise InputError(f"{source}: expected a List of events (kubectl get events -A -o json), got no 'items' list")
    return list(pod_events(items))


def pod_events(items: Iterable[Any]) -> Iterable[PodEvent]:
    for item in items:
        if not isinstance(item, Mapping):
            continue
        target = item.get("involvedObject") or item.get("regarding") or {}
        if not isinstance(target, Mapping) or target.get("kind") != "Pod" or not target.get("name"):
            continue
        series, metadata = _mapping(item.get("series")), _mapping(item.get("metadata"))
        count = item.get("count") or item.get("deprecatedCount") or series.get("count") or 1
        last_seen = (
            series.get("lastObservedTime")
            or item.get("lastTimestamp")
            or item.get("eventTime")
            or item.get("firstTimestamp")
            or metadata.get("creationTimestamp")
            or ""
        )
        yield PodEvent(
            namespace=str(target.get("namespace") or metadata.get("namespace") or "default"),
            pod=str(target["name"]),
            reason=str(item.get("reason") or ""),
            message=str(item.get("message") or item.get("note") or ""),
            count=int(count) if isinstance(count, int | str) and str(count).isdigit() else 1,
            last_seen=str(last_seen),
        )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def read_file(path: str) -> list[PodEvent]:
    return parse_document(read_text(path), path)


def read_stream(stream: TextIO, name: str = "<stdin>") -> list[PodEvent]:
    return parse_document(stream.read(), name)


def read_cluster(kubeconfig: str, context: str | None) -> list[PodEvent]:
    """Pod events of every namespace through the ``kubernetes`` client (imported only here)."""
    try:
        client = importlib.import_module("kubernetes.client")
        config = importlib.import_module("kubernetes.config")
    except ImportError:
        raise InputError(
            "--kubeconfig needs the kubernetes Python client (pip install kubernetes); without it pipe "
            "`kubectl get events -A -o json` into the doctor or pass --events FILE"
        ) from None
    try:
        api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
        events = client.CoreV1Api(api_client).list_event_for_all_namespaces(field_selector="involvedObject.kind=Pod")
        document = api_client.sanitize_for_serialization(events)
    except Exception as error:  # any client failure (config, auth, network) is one line for the user
        raise InputError(f"cannot read events with {kubeconfig}: {type(error).__name__}: {error}") from None
    return list(pod_events(document.get("items") or []))
