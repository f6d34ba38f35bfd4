"""``make plan`` says what it assumed offline and leaves nothing stale behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT
from tools.review.plan import main as plan_main

ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def _plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = plan_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_auto_permission_model_says_it_assumed_access_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _plan(capsys, "--stack", "examples/kubelet-identity", "--out", str(tmp_path))
    assert code == 0
    assert "offline, assumed vault kvname uses access policies" in out and "ASSUME_RBAC=1 (--assume-rbac)" in out
    assert ACCESS_POLICY in out and ROLE_ASSIGNMENT not in out


@pytest.mark.parametrize("how", ["flag", "env"])
def test_assume_rbac_plans_the_vault_as_rbac(
    how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--stack", "examples/kubelet-identity", "--out", str(tmp_path)]
    if how == "flag":
        args.append("--assume-rbac")
    else:
        monkeypatch.setenv("ASSUME_RBAC", "1")
    code, out, _ = _plan(capsys, *args)
    assert code == 0
    assert "assumed vault kvname uses Azure RBAC" in out
    assert ROLE_ASSIGNMENT in out and ACCESS_POLICY not in out


def test_an_explicit_permission_model_prints_no_assumption(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _plan(capsys, "--stack", "dev", "--out", str(tmp_path))
    assert code == 0 and "permissionModel auto" not in out


def test_manifests_with_placeholders_say_so_at_their_top(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _plan(capsys, "--stack", "examples/user-assigned-msi", "--out", str(tmp_path))[0] == 0
    folder = tmp_path / "user-assigned-msi"
    spc = (folder / "secretproviderclass-default-azure-kvname-user-msi.yaml").read_text()
    pod = (folder / "pod-default-nginx-secrets-store-inline-user-msi.yaml").read_text()
    assert spc.startswith("# Planned offline: <id-app.clientId> is a placeholder for a value only Azure knows;\n")
    assert yaml.safe_load(spc)["spec"]["parameters"]["userAssignedIdentityID"] == "<id-app.clientId>"
    assert not pod.startswith("#") and "<" not in pod  # nothing to resolve: no note


def test_a_failed_plan_removes_the_stale_plan_of_that_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = tmp_path / "Pulumi.scratch.yaml"
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", stack)
    out = tmp_path / "plan"
    (out / "other").mkdir(parents=True)
    assert _plan(capsys, "--stack", str(stack), "--out", str(out))[0] == 0
    assert any((out / "scratch").glob("*.yaml"))

    stack.write_text(stack.read_text().replace("72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso"))
    code, _, err = _plan(capsys, "--stack", str(stack), "--out", str(out))
    assert code == 1 and "keyvault-csi:tenantId: 'contoso' is not a tenant ID" in err
    assert not (out / "scratch").exists() and (out / "other").is_dir()  # only that stack's folder

    assert _plan(capsys, "--stack", str(stack), "--out", str(out))[0] == 1  # again: nothing to remove, no error
    stack.write_text("config: [\n")
    (out / "scratch").mkdir()
    assert _plan(capsys, "--stack", str(stack), "--out", str(out))[0] == 2
    assert not (out / "scratch").exists()


@pytest.mark.parametrize("value", ["0", "no", "false", ""])
def test_assume_rbac_off_values_plan_access_policies(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One reading of ASSUME_RBAC (the plan tool's; make passes it through): "no" means no."""
    monkeypatch.setenv("ASSUME_RBAC", value)
    code, out, _ = _plan(capsys, "--stack", "examples/kubelet-identity", "--out", str(tmp_path))
    assert code == 0 and "assumed vault kvname uses access policies" in out


@pytest.mark.parametrize(
    ("stack", "named"),
    [
        ("prod", "aks-system-27182818-vmss, akswin-16180339-vmss"),
        ("examples/agent-pools", "pool nodepool1, pool nodepool2"),
        ("examples/user-assigned-msi", "aks-nodepool1-12345678-vmss"),
        ("examples/kubelet-identity", None),
        ("examples/workload-identity", None),
    ],
)
def test_a_write_to_an_aks_managed_scale_set_prints_the_support_caveat(
    stack: str, named: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _plan(capsys, "--stack", stack, "--out", str(tmp_path))
    assert code == 0
    if named is None:
        assert "AKS support:" not in out
    else:
        assert f"AKS support: this plan writes an identity onto AKS-managed scale sets ({named})" in out
        assert "prefer identity type workload, kubelet or aksAddon" in out
