"""docs/api.md is rendered from the code (tools/api_reference.py): every public name, key and output, never stale."""

from __future__ import annotations

import pytest

from keyvault_csi.model.settings import Settings
from tools import api_reference


def test_the_checked_in_reference_is_what_the_code_renders() -> None:
    current = api_reference.TARGET.read_text()
    assert current == api_reference.render(), f"docs/api.md is out of date; run: {api_reference.COMMAND}"
    assert api_reference.main(["--check"]) == 0


def test_every_public_name_key_and_output_is_listed() -> None:
    import keyvault_csi

    text = api_reference.render()
    for name in keyvault_csi.__all__:
        assert f"| `{name}` |" in text, name
    for name, field in Settings.model_fields.items():
        assert f"| `{name}` | `{field.alias}` |" in text, name
    for output in ("identityClientId", "secretProviderClasses", "volumes", "volumeMounts", "nodePlacement"):
        assert f"| `{output}` |" in text, output
    assert "| `workload` | `IdentityType.WORKLOAD` |" in text
    assert " at 0x" not in text  # nothing that varies from run to run


def test_a_stale_reference_fails_the_check(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "api.md"
    stale.write_text(api_reference.render().replace("| `tenant_id` |", "| `tenantid` |"))
    monkeypatch.setattr(api_reference, "TARGET", stale)
    assert api_reference.main(["--check"]) == 1
    assert api_reference.COMMAND in capsys.readouterr().err
