"""Rules across keys for a workload's Pods: rollout onRotation against the driver, labels the identity sets."""

from __future__ import annotations

from typing import Any

import pytest

from keyvault_csi.model.pod_checks import rollout_warnings
from keyvault_csi.model.validate import validate_settings
from tests.support import assert_run_error, base_settings

W = "keyvault-csi:workloads[0]"
SYNCED = [{"secretName": "db", "data": [{"objectName": "secret1", "key": "password"}]}]


def rotating(identity: str = "kubelet", install: str = "helm", rotation: dict | None = None, **workload: Any):
    """Settings whose workload runs a Deployment, syncs a Secret and asks for ``rollout: onRotation``."""
    settings = base_settings(identity)
    settings["driver"] = {"install": install, **({"rotation": rotation} if rotation is not None else {})}
    (first,) = settings["workloads"]
    first["deployment"] = first.pop("pod")
    first.update({"secretObjects": SYNCED, "rollout": "onRotation", **workload})
    return settings


def test_on_rotation_with_a_rotating_driver_passes() -> None:
    settings = validate_settings(rotating(rotation={"enabled": True}))
    assert settings.workloads[0].rollout_annotations() == {"secret.reloader.stakater.com/reload": "db"}
    assert rollout_warnings(settings) == []


@pytest.mark.parametrize(
    ("settings", "fragments"),
    [
        (
            rotating(rotation={"enabled": True}, secretObjects=[]),
            [f"{W}.rollout: rollout onRotation restarts", "add secretObjects"],
        ),
        (rotating(rotation={"enabled": False}), [f"{W}.rollout:", "the Helm release has rotation off"]),
        (rotating(), [f"{W}.rollout:", "the Helm release has rotation off"]),
        (rotating(install="aksAddon"), [f"{W}.rollout:", "so the add-on's rotation is verified"]),
    ],
    ids=["no-secret-objects", "helm-rotation-off", "helm-rotation-unset", "addon-rotation-unset"],
)
def test_on_rotation_is_refused_where_it_cannot_restart_anything(settings: dict, fragments: list[str]) -> None:
    assert_run_error(settings, fragments)


def test_on_rotation_is_refused_for_a_bare_pod() -> None:
    settings = rotating(rotation={"enabled": True})
    workload = settings["workloads"][0]
    workload["pod"] = workload.pop("deployment")
    assert_run_error(settings, [f"{W}.rollout:", "never a bare Pod", "use deployment instead of pod"])


def test_on_rotation_without_pod_or_deployment_is_for_your_own_controller() -> None:
    settings = rotating(rotation={"enabled": True})
    del settings["workloads"][0]["deployment"]
    workload = validate_settings(settings).workloads[0]
    assert workload.template is None and workload.rollout_annotations()


def test_on_rotation_with_a_driver_nobody_checks_is_a_warning() -> None:
    settings = rotating()
    settings.pop("driver")  # install none: nothing sets or checks rotation
    (warning,) = rollout_warnings(validate_settings(settings))
    assert warning.startswith("workload 'nginx': rollout onRotation: driver.install is none")
    assert "--enable-secret-rotation" in warning


def test_env_from_synced_secrets_under_rotation_is_a_warning_unless_the_pods_restart() -> None:
    settings = rotating(rotation={"enabled": True}, rollout="onChange")
    settings["workloads"][0]["deployment"]["env"] = [{"name": "DB", "secretKeyRef": {"name": "db", "key": "password"}}]
    (warning,) = rollout_warnings(validate_settings(settings))
    assert "environment variables (env/envFrom), which a running Pod never re-reads" in warning
    settings["workloads"][0]["rollout"] = "onRotation"
    assert rollout_warnings(validate_settings(settings)) == []
    settings["workloads"][0].update(rollout="onChange", deployment={"envFrom": [{"secretRef": {"name": "db"}}]})
    assert len(rollout_warnings(validate_settings(settings))) == 1
    settings["driver"] = {"install": "helm"}  # no rotation: the variables are as fresh as the files
    assert rollout_warnings(validate_settings(settings)) == []


def test_workload_identity_label_is_keyvault_csis() -> None:
    settings = base_settings("workload")
    settings["workloads"][0]["pod"]["labels"] = {"azure.workload.identity/use": "false", "team": "payments"}
    assert_run_error(
        settings,
        [
            f"{W}.pod.labels: 'azure.workload.identity/use' is set by keyvault-csi",
            "the workload identity webhook's opt-in",
        ],
    )
    # Other identity types set no such label: it is the user's.
    other = base_settings("kubelet")
    other["workloads"][0]["pod"]["labels"] = {"azure.workload.identity/use": "true"}
    assert_run_error(other, [])
