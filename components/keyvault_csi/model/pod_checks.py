"""Rules that span keys for the Pods a workload runs: its rollout against the driver, labels the identity sets.

Run with :mod:`keyvault_csi.model.checks` once every single key is valid; :func:`rollout_warnings`
names what only the cluster knows (the driver of ``install: none``) for a preview warning.
"""

from __future__ import annotations

from keyvault_csi.model.errors import Problem
from keyvault_csi.model.settings import Settings
from keyvault_csi.rules.choices import DriverInstall, IdentityType, RolloutPolicy
from keyvault_csi.rules.metadata import reserved_keys_problem
from keyvault_csi.rules.rollout import (
    ENV_NOT_ROTATED,
    ROTATION_NEEDS_SYNC,
    ROTATION_NOT_FOR_POD,
    ROTATION_UNKNOWN,
    driver_rotation_problem,
)
from keyvault_csi.rules.workload_identity import POD_LABELS


def _rotates(settings: Settings) -> bool | None:
    """Whether the driver rotates: as set (helm) or verified (aksAddon); None when nothing sets or checks it."""
    if settings.driver.install == DriverInstall.NONE:
        return None
    return settings.driver.rotation_enabled()


def problems(settings: Settings) -> list[Problem]:
    """``rollout: onRotation`` without synced Secrets, on a bare Pod or with a driver that does not rotate;
    Pod labels that workload identity sets itself."""
    found: list[Problem] = []
    rotates = _rotates(settings)
    for i, workload in enumerate(settings.workloads):
        at = ("workloads", i, "rollout")
        if workload.rollout == RolloutPolicy.ON_ROTATION:
            if not workload.secret_objects:
                found.append(Problem(at, ROTATION_NEEDS_SYNC))
            if workload.pod is not None:
                found.append(Problem(at, ROTATION_NOT_FOR_POD))
            driver = driver_rotation_problem(settings.driver.install, rotates)
            if driver:
                found.append(Problem(at, driver))
        if settings.identity.type != IdentityType.WORKLOAD:
            continue
        for key, template in (("pod", workload.pod), ("deployment", workload.deployment)):
            taken = reserved_keys_problem(
                template.labels if template else {}, POD_LABELS, "the workload identity webhook's opt-in"
            )
            if taken:
                found.append(Problem(("workloads", i, key, "labels"), taken))
    return found


def rollout_warnings(settings: Settings) -> list[str]:
    """What the preview warns about: onRotation with a driver nobody sets or checks, and env from synced
    Secrets that rotation changes under a Pod that never re-reads them."""
    rotates = _rotates(settings)
    found: list[str] = []
    for workload in settings.workloads:
        where = f"workload {workload.name!r}: "
        if workload.rollout == RolloutPolicy.ON_ROTATION and rotates is None:
            found.append(where + ROTATION_UNKNOWN)
        template = workload.template
        reads_env = template is not None and (
            any(e.secret_key_ref is not None for e in template.env) or bool(template.env_from)
        )
        if rotates and reads_env and workload.rollout != RolloutPolicy.ON_ROTATION:
            found.append(where + ENV_NOT_ROTATED)
    return found
