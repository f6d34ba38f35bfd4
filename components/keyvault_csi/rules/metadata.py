"""Kubernetes object metadata: label and annotation keys and values (docs/azure-rules.md §kubernetes-metadata).

The API server's rules (apimachinery ``IsQualifiedName``, ``IsValidLabelValue``,
``ValidateAnnotations``), so a bad key fails at preview with its key path instead of as an
``Invalid`` answer at ``pulumi up``. One definition serves the Pods' and Deployments' labels and
annotations and the synced Secrets' (``secretObjects[].labels``, ``.annotations``), which the
driver writes into a Secret the API server checks by the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from keyvault_csi.rules.names import DNS_SUBDOMAIN, DNS_SUBDOMAIN_MAX, refusing

_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
NAME_ALLOWED = "at most 63 of letters, digits, '-', '_' and '.', starting and ending alphanumeric"
# The sum of every annotation's key and value, in bytes (apimachinery TotalAnnotationSizeLimitB).
ANNOTATIONS_MAX_BYTES = 256 * 1024


def qualified_name_problem(name: str) -> str | None:
    """Kubernetes' rule for label keys (and, lower-cased, annotation keys): ``[prefix/]name``."""
    prefix, slash, short = name.rpartition("/")
    if slash and (not prefix or len(prefix) > DNS_SUBDOMAIN_MAX or not DNS_SUBDOMAIN.match(prefix)):
        return f"{name!r} has an invalid prefix {prefix!r}; allowed: a DNS-1123 subdomain such as example.com"
    if not short or len(short) > 63 or not _NAME.match(short):
        return f"{name!r} is not a valid key; allowed: [prefix/]name, name {NAME_ALLOWED}"
    return None


def label_value_problem(value: str) -> str | None:
    """Kubernetes' rule for label values (also a toleration's value with operator Equal): empty or a name."""
    if value and (len(value) > 63 or not _NAME.match(value)):
        return f"{value!r} is not valid; allowed: empty or {NAME_ALLOWED}"
    return None


def labels_problem(labels: Mapping[str, str]) -> str | None:
    """Every key and value of ``labels`` the API server refuses, or None."""
    problems = []
    for key, value in labels.items():
        problem = qualified_name_problem(key)
        if problem:
            problems.append(f"label {problem}")
        problem = label_value_problem(value)
        if problem:
            problems.append(f"label value {problem}")
    return "; ".join(problems) or None


def annotations_problem(annotations: Mapping[str, str]) -> str | None:
    """Every annotation key the API server refuses (keys are checked lower-cased), and the size limit; or None."""
    problems = []
    for key in annotations:
        problem = qualified_name_problem(key.lower())
        if problem:
            problems.append(f"annotation {problem.replace(repr(key.lower()), repr(key), 1)}")
    size = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if size > ANNOTATIONS_MAX_BYTES:
        problems.append(
            f"annotations take {size} bytes; the API server allows at most {ANNOTATIONS_MAX_BYTES} (keys and values)"
        )
    return "; ".join(problems) or None


def reserved_keys_problem(given: Mapping[str, str], reserved: Mapping[str, str], what: str) -> str | None:
    """Keys of ``given`` that keyvault-csi sets itself (``reserved``: key → its value), refused: ours must hold."""
    taken = sorted(key for key in given if key in reserved)
    if not taken:
        return None
    ours = ", ".join(f"{key}: {reserved[key]!r}" for key in taken)
    return f"{', '.join(map(repr, taken))} is set by keyvault-csi ({ours}, {what}); use another key"


Labels = Annotated[dict[str, str], refusing(labels_problem)]
Annotations = Annotated[dict[str, str], refusing(annotations_problem)]
