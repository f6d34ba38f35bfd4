"""The SecretProviderClass parameters as the Azure provider reads them (rules.parameters)."""

from __future__ import annotations

import pytest

from keyvault_csi.rules.objects import KeyVaultObject
from keyvault_csi.rules.parameters import parse_flag, provider_parameters, tenant_problem

GUID = "00000000-0000-0000-0000-000000000001"


def obj(name: str = "a", **fields) -> KeyVaultObject:
    return KeyVaultObject.model_validate({"objectName": name, "objectType": "secret", **fields})


# --- tenant 'adfs' only on Azure Stack Hub ---


def test_adfs_tenant_only_when_every_class_is_azure_stack() -> None:
    assert tenant_problem(GUID, ["", "AzureChinaCloud"]) is None
    assert tenant_problem("adfs", ["AzureStackCloud", "azurestackcloud"]) is None
    problem = tenant_problem("adfs", ["AzureStackCloud", ""])
    assert problem and "every workload needs cloudName AzureStackCloud; got AzurePublicCloud" in problem
    assert "not a tenant ID" in (tenant_problem("ADFS", ["AzureStackCloud"]) or "")
    assert "not a tenant ID" in (tenant_problem("contoso.onmicrosoft.com", [""]) or "")


def test_provider_parameters_take_adfs_with_azure_stack_only() -> None:
    common = {"keyvault_name": "kvname", "tenant_id": "adfs", "objects": [obj()], "user_assigned_identity_id": ""}
    parameters = provider_parameters(
        **common, cloud_name="AzureStackCloud", cloud_env_file_name="/etc/kubernetes/stack.json"
    )
    assert parameters["tenantID"] == "adfs"
    with pytest.raises(ValueError, match="'adfs' is only for Azure Stack Hub"):
        provider_parameters(**common)


# --- use* flags as strconv.ParseBool after TrimSpace ---


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True", " true ", "\ttrue\n"])
def test_parse_flag_true(text: str) -> None:
    assert parse_flag(text) is True


@pytest.mark.parametrize("text", ["", "  ", "0", "f", "F", "FALSE", "false", "False"])
def test_parse_flag_false(text: str) -> None:
    assert parse_flag(text) is False


@pytest.mark.parametrize("text", ["yes", "no", "tRUE", "on", "2", "truee"])
def test_parse_flag_refuses_what_go_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="strconv.ParseBool"):
        parse_flag(text)
