"""FailedMount doctor: name the cause and the fix of every secrets-store mount failure in a cluster's events.

``python -m keyvault_csi.doctor`` (see ``__main__``) reads events; :func:`diagnose` turns them into
one :class:`Finding` per Pod and cause.

Which events count: involvedObject kind Pod, reason ``FailedMount`` (kubelet) or
``FailedToCreateSecret`` (the driver's secret sync), whose message mentions the secrets-store
driver, a SecretProviderClass or a Key Vault, or matches a non-broad catalogue pattern. Other
FailedMount events (a missing configmap, a PVC that times out, other CSI drivers) are ignored: they
are not secrets-store mounts and the doctor has nothing to say about them. A secrets-store mount
failure that matches no pattern is reported with cause ``unknown``.

kubelet's summary line (``Unable to attach or mount volumes: unmounted volumes=[...]: timed out
waiting for the condition``) carries no cause; it is dropped when the same Pod has a diagnosed
event, and reported as ``unknown`` only when it is all there is (the detailed event has expired).

Duplicates (events repeat, and kubelet aggregates them) collapse to one finding per (Pod, cause):
the newest message is kept and the counts are summed. Findings are sorted by Pod, then cause.

A Key Vault 403 (``rbac-denied``, ``access-policy-denied``, ``permission-denied``, ``vault-firewall``)
also carries what its body says (:class:`~keyvault_csi.doctor.denial.Denial`): the denied caller's
appid and oid, the vault, the object and the action, read from the newest message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .catalogue import UNKNOWN, classify, fix_for, is_kubelet_summary, is_secrets_store
from .denial import Denial, read_denial
from .events import PodEvent

__all__ = ["MOUNT_REASONS", "Finding", "diagnose"]

# FailedMount: kubelet's mount failure; FailedToCreateSecret: the driver's secretproviderclasspodstatus
# controller (kubernetes-sigs/secrets-store-csi-driver controllers/secretproviderclasspodstatus_controller.go).
MOUNT_REASONS = frozenset({"FailedMount", "FailedToCreateSecret"})


@dataclass(frozen=True)
class Finding:
    """One cause of one Pod's failing secrets-store mount."""

    namespace: str
    name: str
    cause: str
    fix: str
    message: str
    count: int
    last_seen: str
    denial: Denial | None = None  # what a Key Vault 403's body says

    @property
    def pod(self) -> str:
        return f"{self.namespace}/{self.name}"

    def as_json(self) -> dict[str, object]:
        row: dict[str, object] = {"pod": self.pod, "cause": self.cause, "fix": self.fix, "message": self.message}
        if self.denial is not None:
            row["denial"] = self.denial.as_json()
        return row


def diagnose(events: Iterable[PodEvent]) -> list[Finding]:
    """Findings for the secrets-store mount failures among ``events``, sorted by Pod then cause."""
    groups: dict[tuple[str, str, str], list[PodEvent]] = {}
    summaries: dict[tuple[str, str], list[PodEvent]] = {}
    for event in events:
        if event.reason not in MOUNT_REASONS or not is_secrets_store(event.message):
            continue
        cause = classify(event.message)
        if cause == UNKNOWN and is_kubelet_summary(event.message):
            summaries.setdefault((event.namespace, event.pod), []).append(event)
            continue
        groups.setdefault((event.namespace, event.pod, cause), []).append(event)
    diagnosed = {(namespace, pod) for namespace, pod, _ in groups}
    for (namespace, pod), pending in summaries.items():
        if (namespace, pod) not in diagnosed:
            groups.setdefault((namespace, pod, UNKNOWN), []).extend(pending)
    findings = []
    for (namespace, pod, cause), grouped in groups.items():
        # Newest first; the message breaks ties so the choice does not depend on input order.
        newest = max(grouped, key=lambda e: (e.last_seen, e.message))
        findings.append(
            Finding(
                namespace=namespace,
                name=pod,
                cause=cause,
                fix=fix_for(cause),
                message=newest.message,
                count=sum(e.count for e in grouped),
                last_seen=newest.last_seen,
                denial=read_denial(newest.message, cause),
            )
        )
    return sorted(findings, key=lambda f: (f.namespace, f.name, f.cause))
