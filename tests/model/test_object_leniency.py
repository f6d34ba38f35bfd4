"""workloads[].objects[] accept what the Azure provider accepts, and render it in the canonical spelling."""

from __future__ import annotations

from typing import Any

import pytest

from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.objects import parse_objects
from keyvault_csi.rules.parameters import provider_parameters
from tests.support import TENANT, assert_run_error, base_settings

VERSION = "0123456789abcdef0123456789abcdef"


def with_object(**fields: Any) -> dict[str, Any]:
    settings = base_settings()
    settings["workloads"][0]["objects"] = [{"objectName": "db", "objectType": "secret", **fields}]
    return settings


def rendered(**fields: Any) -> dict[str, Any]:
    """The object as the class's objects parameter writes it."""
    (obj,) = validate_settings(with_object(**fields), prefix="keyvault-csi:").workloads[0].objects
    text = provider_parameters(keyvault_name="kvname", tenant_id=TENANT, objects=[obj], user_assigned_identity_id="")
    (written,) = parse_objects(text["objects"])
    return written


@pytest.mark.parametrize(
    ("fields", "written"),
    [
        ({"objectFormat": "PFX", "objectEncoding": "Base64"}, {"objectFormat": "pfx", "objectEncoding": "base64"}),
        ({"objectEncoding": "HEX"}, {"objectEncoding": "hex"}),
        ({"objectAlias": "", "objectFormat": "", "objectEncoding": "", "filePermission": ""}, {}),
        ({"filePermission": "00644"}, {"filePermission": "00644"}),
        (
            {"objectVersion": "latest", "objectVersionHistory": 3},
            {"objectVersion": "latest", "objectVersionHistory": 3},
        ),
    ],
)
def test_provider_spellings_are_accepted_and_rendered_canonically(
    fields: dict[str, Any], written: dict[str, Any]
) -> None:
    assert rendered(**fields) == {"objectName": "db", "objectType": "secret", "objectVersion": "", **written}


@pytest.mark.parametrize(
    ("fields", "fragments"),
    [
        ({"objectType": "Secret"}, ["workloads[0].objects[0].objectType", "'Secret'", "use one of: secret, key, cert"]),
        ({"objectFormat": "der"}, ["workloads[0].objects[0].objectFormat", "'der'", "use one of: pem, pfx"]),
        ({"objectEncoding": "utf8"}, ["workloads[0].objects[0].objectEncoding", "'utf8'", "utf-8, hex, base64"]),
        ({"filePermission": "1644"}, ["workloads[0].objects[0].filePermission", "'1644'", "octal string"]),
        ({"objectVersion": "latest"}, ["workloads[0].objects[0]", "'latest'", "objectVersionHistory above 1"]),
        ({"objectVersion": "latest", "objectVersionHistory": 1}, ["'latest'", "32 hexadecimal characters"]),
        ({"objectFormat": "PFX", "objectType": "cert"}, ["workloads[0].objects[0]", "pfx needs objectType 'secret'"]),
    ],
)
def test_what_the_provider_refuses_or_ignores_names_the_key_and_what_is_allowed(
    fields: dict[str, Any], fragments: list[str]
) -> None:
    assert_run_error(with_object(**fields), ["keyvault-csi:", *fragments])


def test_a_pinned_version_is_unchanged() -> None:
    assert rendered(objectVersion=VERSION)["objectVersion"] == VERSION
