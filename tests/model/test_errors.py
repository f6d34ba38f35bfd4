"""Config errors a newcomer hits, as the stack file reaches the program: say what to write instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.choices import IdentityType, PermissionModel
from tests.support import TENANT, assert_run_error, base_settings
from tools.review.plan import main as plan_main

DEV = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.dev.yaml"


def _plan_with(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str) -> tuple[int, str]:
    text = DEV.read_text()
    assert old in text
    stack = tmp_path / "Pulumi.scratch.yaml"
    stack.write_text(text.replace(old, new, 1))
    code = plan_main(["--stack", str(stack), "--out", str(tmp_path / "plan")])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


def test_unquoted_file_permission_says_to_quote_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # PyYAML (YAML 1.1) and go-yaml v3 (the Pulumi CLI) read an unquoted 0444 as octal 292.
    code, err = _plan_with(tmp_path, capsys, 'filePermission: "0444"', "filePermission: 0444")
    assert code == 1
    assert (
        "keyvault-csi:workloads[1].objects[0].filePermission: got the number 292; YAML reads an unquoted mode as a "
        'number (0444 becomes 292), quote it: filePermission: "0444"'
    ) in err


def test_a_number_that_could_be_either_spelling_offers_both() -> None:
    settings = base_settings()
    settings["workloads"][0]["objects"][0]["filePermission"] = 420
    assert_run_error(settings, ['quote it: filePermission: "0644" (or "420" if you wrote 420)'])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  keyvault-csi:workloads:\n",
            "  keyvault-csi:workloads:\n    -\n",
            "keyvault-csi:workloads[0]: is empty (null); expected a mapping with name, objects",
        ),
        (
            "        - {objectName: db-password, objectType: secret}\n",
            "        -\n",
            "keyvault-csi:workloads[0].objects[0]: is empty (null); expected a mapping with objectName, objectType",
        ),
    ],
    ids=["workload", "object"],
)
def test_an_empty_list_item_names_no_internal_class(
    old: str, new: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _plan_with(tmp_path, capsys, old, new)
    assert code == 1 and expected in err
    assert "Settings" not in err and "KeyVaultObject" not in err and "instance of" not in err


def test_a_secure_value_make_plan_cannot_decrypt_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _plan_with(
        tmp_path,
        capsys,
        "keyvault-csi:tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47",
        "keyvault-csi:tenantId:\n    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB",
    )
    assert code == 1
    assert "keyvault-csi:tenantId: is a `secure:` value, which make plan cannot decrypt offline" in err
    assert "allowed: a GUID" in err and "set this key in plain text" in err and "v1:AAAA" not in err


def test_a_secure_value_that_any_text_may_hold_still_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _plan_with(tmp_path, capsys, "owner: platform-team", "owner: {secure: v1:AAAA:BBBB}")
    assert code == 0


# --- Python's spelling --------------------------------------------------------------------------


def python_spelled() -> dict[str, Any]:
    """base_settings in Python's spelling (keys of free-form maps as they are)."""
    return {
        "tenant_id": TENANT,
        "key_vault": {
            "name": "kvname",
            "resource_group": "rg-secrets",
            "permission_model": PermissionModel.ACCESS_POLICY,
        },
        "identity": {"type": IdentityType.KUBELET, "cluster": {"resource_group": "rg-aks", "name": "aks"}},
        "tags": {"cost_center": "platform"},
        "workloads": [
            {
                "name": "nginx",
                "objects": [{"object_name": "secret1", "object_type": "secret"}],
                "pod": {"image": "nginx", "node_selector": {"disk_type": "ssd"}},
            }
        ],
    }


def test_pythons_spelling_means_what_the_stack_files_does() -> None:
    snake = validate_settings(python_spelled())
    camel = base_settings("kubelet")
    camel["tags"] = {"cost_center": "platform"}
    camel["workloads"][0] = {
        "name": "nginx",
        "objects": [{"objectName": "secret1", "objectType": "secret"}],
        "pod": {"image": "nginx", "nodeSelector": {"disk_type": "ssd"}},
    }
    assert snake == validate_settings(camel)
    assert snake.tags == {"cost_center": "platform"}  # a map's own keys are never respelt
    assert snake.workloads[0].pod is not None and snake.workloads[0].pod.node_selector == {"disk_type": "ssd"}


def test_messages_use_the_callers_spelling() -> None:
    settings = python_spelled()
    settings["tenant_id"] = "nope"
    settings["key_vault"]["resource_grup"] = "rg"
    settings["workloads"][0]["objects"][0]["object_type"] = "Secret"
    with pytest.raises(pulumi.RunError) as caught:
        validate_settings(settings)
    message = str(caught.value)
    assert "  - tenant_id: 'nope' is not a tenant ID" in message
    assert "  - key_vault.resource_grup: unknown key 'resource_grup'; did you mean 'resource_group'?" in message
    assert "  - workloads[0].objects[0].object_type: 'Secret' is not allowed; use one of: secret, key, cert" in message


def test_a_key_given_in_both_spellings_is_refused() -> None:
    settings = python_spelled()
    settings["tenantId"] = TENANT
    with pytest.raises(pulumi.RunError, match=r"tenant_id: given twice, as 'tenantId' and as 'tenant_id'; keep one"):
        validate_settings(settings)


def test_exported_models_take_pythons_names() -> None:
    from keyvault_csi import KeyVaultObject, SecretObject

    assert KeyVaultObject(object_name="db", object_type="secret") == KeyVaultObject(
        objectName="db", objectType="secret"
    )
    assert SecretObject(secret_name="s", data=[{"object_name": "db", "key": "k"}]).manifest()["data"] == [
        {"objectName": "db", "key": "k"}
    ]
