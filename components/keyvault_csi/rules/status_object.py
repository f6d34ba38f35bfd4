"""Names Kubernetes and the driver derive from a Pod's: the driver's per-Pod status object, a Deployment's
ReplicaSet and Pods (docs/azure-rules.md §status-object-name).

On every mount the driver creates a ``SecretProviderClassPodStatus`` named ``<pod>-<namespace>-<class>``
(driver pkg/secrets-store/utils.go). It is a custom resource, so its name is a DNS-1123 subdomain of at most
253 characters; a longer one is refused by the API server *after* the files were written, and the mount
fails every time. The three parts are DNS-1123 names already, so joined by ``-`` the characters are valid:
only the length can fail.

A Deployment's Pods are named by Kubernetes: its ReplicaSet is ``<deployment>-<pod-template-hash>`` (the
hash is a 32-bit FNV sum written in at most 10 characters), and each Pod is ``generateName``
``<replicaset>-`` cut to 58 characters plus 5 random ones: at most 63.
"""

from __future__ import annotations

from keyvault_csi.rules.names import DNS_SUBDOMAIN_MAX

MAX_NAME = DNS_SUBDOMAIN_MAX
"""A DNS-1123 subdomain: a custom resource's or a ReplicaSet's name."""
POD_TEMPLATE_HASH = 10
"""At most the characters of ``rand.SafeEncodeString(fmt.Sprint(uint32))`` (Kubernetes controller.ComputeHash)."""
GENERATED_BASE = 58
"""The apiserver cuts a ``generateName`` to this many characters (storage/names MaxGeneratedNameLength)."""
RANDOM_SUFFIX = 5
"""And appends this many random characters."""


def status_name_length(pod_length: int, namespace: str, class_name: str) -> int:
    """Characters of ``<pod>-<namespace>-<class>`` for a Pod name of ``pod_length`` characters."""
    return pod_length + 1 + len(namespace) + 1 + len(class_name)


def deployment_pod_name_length(deployment: str) -> int:
    """The longest name Kubernetes gives a Pod of ``deployment``: ``<deployment>-<hash>-`` cut to 58, plus 5."""
    return min(len(deployment) + 1 + POD_TEMPLATE_HASH + 1, GENERATED_BASE) + RANDOM_SUFFIX


def _status_problem(pod_length: int, pod: str, namespace: str, class_name: str, shorten: str) -> str | None:
    length = status_name_length(pod_length, namespace, class_name)
    if length <= MAX_NAME:
        return None
    return (
        f"the driver names its status object for each mount <pod>-<namespace>-<class>: {pod}, namespace "
        f"{len(namespace)} and class {len(class_name)} characters make {length}; a Kubernetes name holds at most "
        f"{MAX_NAME}, so every mount would fail after writing the files; shorten {shorten}"
    )


def status_name_problem(pod: str, namespace: str, class_name: str, shorten: str) -> str | None:
    """Why the driver cannot create the status object of the Pod ``pod`` mounting ``class_name``, else None.

    ``shorten`` names the keys to shorten, for the message."""
    return _status_problem(len(pod), f"Pod {len(pod)}", namespace, class_name, shorten)


def deployment_name_problems(deployment: str, namespace: str, class_name: str, shorten: str) -> list[str]:
    """Why a ``deployment``'s ReplicaSet or its Pods' status objects cannot be created."""
    found = []
    if len(deployment) + 1 + POD_TEMPLATE_HASH > MAX_NAME:
        found.append(
            f"the Deployment's ReplicaSet is named <deployment>-<pod-template-hash> (up to {POD_TEMPLATE_HASH} "
            f"characters), at most {MAX_NAME}: the deployment name may have at most "
            f"{MAX_NAME - 1 - POD_TEMPLATE_HASH} characters (it has {len(deployment)})"
        )
    pod = deployment_pod_name_length(deployment)
    generated = f"Pods named up to {pod} (<deployment>-<hash>-<5 random>)"
    problem = _status_problem(pod, generated, namespace, class_name, shorten)
    return found + ([problem] if problem else [])
