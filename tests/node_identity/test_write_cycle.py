"""Pure rules of keyvault_csi.node_identity.write_cycle: ids, identity types, the PATCH body, settings, credentials.

The PATCH bodies are also applied with the test ARM's merge rules (``arm_server.merge_identity``),
so each case checks the end state ARM would produce, not only the JSON we send.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from keyvault_csi.node_identity import client as arm_client
from keyvault_csi.node_identity import write_cycle as arm
from keyvault_csi.testing.arm_server import merge_identity, user_identity_value
from tests.support import KUBELET, MC_RG, MONITORING, OURS, SUBSCRIPTION, VMSS, identity_id

SYSTEM_PRINCIPAL = "11111111-2222-3333-4444-555555555555"


def aks_scale_set_identity() -> dict[str, Any]:
    """A node pool as AKS leaves it: system-assigned on, two identities owned by others."""
    return {
        "type": "SystemAssigned, UserAssigned",
        "principalId": SYSTEM_PRINCIPAL,
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "userAssignedIdentities": {KUBELET: user_identity_value(KUBELET), MONITORING: user_identity_value(MONITORING)},
    }


def applied(current: dict[str, Any] | None, body: dict[str, Any] | None) -> dict[str, Any] | None:
    """The identity block ARM ends with after this body (the test server's merge rules)."""
    if body is None:
        return current
    merged = merge_identity(current, body["identity"])
    assert not isinstance(merged, str), merged
    return merged


@pytest.mark.parametrize(
    ("system", "users", "expected"),
    [
        (False, 0, "None"),
        (True, 0, "SystemAssigned"),
        (False, 2, "UserAssigned"),
        (True, 1, "SystemAssigned, UserAssigned"),
    ],
)
def test_identity_type_names_the_whole_result(system: bool, users: int, expected: str) -> None:
    assert arm.identity_type(system, users) == expected


def test_add_to_aks_scale_set_keeps_system_and_foreign_identities() -> None:
    current = aks_scale_set_identity()
    body = arm.patch_body(current, add=[OURS])
    assert body == {"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {OURS: {}}}}
    after = applied(current, body)
    assert after["principalId"] == SYSTEM_PRINCIPAL
    assert after["userAssignedIdentities"][KUBELET] == current["userAssignedIdentities"][KUBELET]
    assert after["userAssignedIdentities"][MONITORING] == current["userAssignedIdentities"][MONITORING]
    assert OURS in after["userAssignedIdentities"]


def test_remove_ours_from_aks_scale_set_nulls_only_ours() -> None:
    current = applied(aks_scale_set_identity(), arm.patch_body(aks_scale_set_identity(), add=[OURS]))
    body = arm.patch_body(current, remove=[OURS])
    assert body == {"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {OURS: None}}}
    assert applied(current, body) == aks_scale_set_identity()


def test_removal_echoes_the_spelling_arm_returned() -> None:
    current = {"type": "UserAssigned", "userAssignedIdentities": {KUBELET: {}, OURS.lower(): {}}}
    body = arm.patch_body(current, remove=[OURS.upper()])
    assert body == {"identity": {"type": "UserAssigned", "userAssignedIdentities": {OURS.lower(): None}}}


@pytest.mark.parametrize(("system", "expected_type"), [(True, "SystemAssigned"), (False, "None")])
def test_removing_the_last_user_identity_switches_type_and_sends_no_map(system: bool, expected_type: str) -> None:
    current: dict[str, Any] = {"type": arm.identity_type(system, 1), "userAssignedIdentities": {OURS: {}}}
    if system:
        current["principalId"] = SYSTEM_PRINCIPAL
    body = arm.patch_body(current, remove=[OURS])
    assert body == {"identity": {"type": expected_type}}
    after = applied(current, body)
    assert "userAssignedIdentities" not in after
    assert after.get("principalId") == (SYSTEM_PRINCIPAL if system else None)


def test_identity_already_present_in_other_casing_is_a_no_op() -> None:
    assert arm.patch_body(aks_scale_set_identity(), add=[KUBELET.upper()]) is None


@pytest.mark.parametrize(
    ("kwargs"),
    [{}, {"remove": [OURS]}, {"enable_system": True}, {"add": [MONITORING]}, {"add": [OURS], "remove": [OURS]}],
)
def test_nothing_to_write_returns_none(kwargs: dict[str, Any]) -> None:
    current = aks_scale_set_identity()
    if kwargs.get("add") == [OURS]:
        current["userAssignedIdentities"][OURS] = user_identity_value(OURS)
    assert arm.patch_body(current, **kwargs) is None


def test_turning_system_on_keeps_user_identities_by_omission() -> None:
    current = {"type": "UserAssigned", "userAssignedIdentities": {KUBELET: user_identity_value(KUBELET)}}
    body = arm.patch_body(current, enable_system=True)
    assert body == {"identity": {"type": "SystemAssigned, UserAssigned"}}
    after = applied(current, body)
    assert after["userAssignedIdentities"] == current["userAssignedIdentities"]
    assert after["principalId"]


def test_turning_system_off_keeps_foreign_user_identities() -> None:
    body = arm.patch_body(aks_scale_set_identity(), disable_system=True)
    assert body == {"identity": {"type": "UserAssigned"}}
    foreign = aks_scale_set_identity()["userAssignedIdentities"]
    assert applied(aks_scale_set_identity(), body)["userAssignedIdentities"] == foreign


def test_first_identity_on_a_bare_vm() -> None:
    assert arm.patch_body(None, add=[OURS], enable_system=True) == {
        "identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {OURS: {}}}
    }
    assert arm.patch_body({"type": "None"}, add=[OURS]) == {
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {OURS: {}}}
    }


IDS = [KUBELET, MONITORING, OURS, identity_id("id-other")]


@pytest.mark.parametrize(
    ("system", "present"), list(itertools.product([False, True], [(), (KUBELET,), (KUBELET, OURS), tuple(IDS)]))
)
def test_never_drops_the_system_identity_or_an_identity_not_removed(system: bool, present: tuple[str, ...]) -> None:
    """Exhaustive over add/remove of our two ids: ARM's end state loses only what we asked to remove."""
    current: dict[str, Any] = {"type": arm.identity_type(system, len(present))}
    if system:
        current["principalId"] = SYSTEM_PRINCIPAL
    if present:
        current["userAssignedIdentities"] = {i: user_identity_value(i) for i in present}
    for add, remove in itertools.product([(), (OURS,), (OURS, IDS[3])], [(), (OURS,), (IDS[3],)]):
        after = applied(current, arm.patch_body(current, add=add, remove=remove)) or {}
        kept = {i for i in present if i not in remove or i in add} | set(add)
        assert set(after.get("userAssignedIdentities") or {}) == kept
        assert after.get("principalId") == (SYSTEM_PRINCIPAL if system else None)


def test_node_ids_parse_case_insensitively() -> None:
    shouting = VMSS.replace("Microsoft.Compute/virtualMachineScaleSets", "microsoft.compute/VIRTUALMACHINESCALESETS")
    node = arm.parse_node_id(shouting)
    assert (node.kind, node.name, node.resource_group) == (arm.SCALE_SET, "aks-np1-123-vmss", "MC_rg_aks_westeurope")
    assert node.key == VMSS.casefold()
    vm = arm.parse_node_id(f"{MC_RG.lower()}/providers/Microsoft.Compute/virtualMachines/aks-agent-0")
    assert vm.kind == arm.VIRTUAL_MACHINE


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "aks-np1-123-vmss",
        VMSS + "/virtualMachines/0",
        VMSS.replace(SUBSCRIPTION, "not-a-guid"),
        VMSS.replace("Microsoft.Compute", "Microsoft.ContainerService"),
        OURS,
    ],
)
def test_bad_node_ids_name_the_value_and_the_expected_form(bad: str) -> None:
    with pytest.raises(ValueError) as error:
        arm.parse_node_id(bad)
    assert repr(bad) in str(error.value) and "virtualMachineScaleSets/{name}" in str(error.value)


def test_identity_ids() -> None:
    assert arm.validate_identity_id(KUBELET) == KUBELET
    with pytest.raises(ValueError, match="userAssignedIdentities/{name}"):
        arm.validate_identity_id(VMSS)


def test_normalize_sorts_and_dedupes_case_insensitively() -> None:
    normalized = arm.normalize_identity_ids([OURS, MONITORING, OURS.upper(), KUBELET])
    assert normalized == sorted([OURS, MONITORING, KUBELET], key=str.casefold)


@pytest.mark.parametrize(
    ("environment", "endpoint", "scope"),
    [
        ("", "https://management.azure.com", "https://management.azure.com/.default"),
        # US Government's ARM audience is management.core.usgovcloudapi.net, not the endpoint's host.
        ("usgovernment", "https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net/.default"),
        ("China", "https://management.chinacloudapi.cn", "https://management.chinacloudapi.cn/.default"),
    ],
)
def test_clouds(environment: str, endpoint: str, scope: str) -> None:
    settings = arm_client.resolve_settings("", environment, env={})
    assert settings.endpoint == endpoint
    assert settings.credential_scope == scope
    assert settings.static_token is None


def test_cloud_endpoints_and_scopes_are_the_sdks_own() -> None:
    from azure.core import AzureClouds
    from azure.mgmt.core.tools import get_arm_endpoints

    usgov = get_arm_endpoints(AzureClouds.AZURE_US_GOVERNMENT)
    assert arm_client.clouds()["usgovernment"].scope == usgov["credential_scopes"][0]
    assert arm_client.clouds()["usgovernment"].arm_endpoint + "/" == usgov["resource_manager"]


def test_static_token_needs_an_endpoint_override() -> None:
    env = {arm_client.TOKEN_ENV: "t", arm_client.CA_BUNDLE_ENV: "/ca.pem"}
    assert arm_client.resolve_settings("", "", env).static_token is None
    local = arm_client.resolve_settings("", "", {**env, arm_client.ENDPOINT_ENV: "https://127.0.0.1:8443/"})
    assert (local.endpoint, local.static_token, local.ca_bundle) == ("https://127.0.0.1:8443", "t", "/ca.pem")
    assert arm_client.resolve_settings("https://arm.local", "", env).credential_scope == "https://arm.local/.default"


def test_plain_http_endpoints_and_unknown_clouds_are_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        arm_client.resolve_settings("http://127.0.0.1:8080", "", {})
    with pytest.raises(ValueError, match="german"):
        arm_client.resolve_settings("", "german", {})


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"ARM_CLIENT_ID": "c", "ARM_CLIENT_SECRET": "s", "ARM_TENANT_ID": "t"}, "client-secret"),
        ({"ARM_CLIENT_ID": "c", "ARM_TENANT_ID": "t", "ARM_USE_OIDC": "true"}, "oidc"),
        ({"ARM_USE_MSI": "true", "ARM_CLIENT_ID": "c"}, "msi"),
        ({"AZURE_CLIENT_ID": "c"}, "default"),
        ({}, "default"),
    ],
)
def test_credential_follows_the_azure_native_environment(env: dict[str, str], kind: str) -> None:
    assert arm_client.credential_kind(env) == kind
    assert arm_client.credential_kind(env, static_token="x") == "static"


def test_oidc_without_client_and_tenant_is_a_clear_error() -> None:
    settings = arm_client.resolve_settings("", "", {})
    with pytest.raises(ValueError, match="ARM_TENANT_ID and ARM_CLIENT_ID"):
        arm_client.credential_for(settings, env={"ARM_USE_OIDC": "true"})


def test_cloud_authorities_are_azure_identitys_own() -> None:
    from azure.identity import AzureAuthorityHosts

    assert {name: cloud.authority for name, cloud in arm_client.clouds().items()} == {
        "public": AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
        "usgovernment": AzureAuthorityHosts.AZURE_GOVERNMENT,
        "china": AzureAuthorityHosts.AZURE_CHINA,
    }
