"""One definition of ARM ids (rules.arm_ids): the settings model and the node-identity provider agree."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from keyvault_csi.node_identity import write_cycle
from keyvault_csi.node_identity.resource import NodeIdentityProvider
from keyvault_csi.rules import arm_ids
from keyvault_csi.rules.names import IdentityResourceId, parse_identity_resource_id
from tests.support import KUBELET, OURS, SUBSCRIPTION, VMSS, identity_id

IDS = [
    OURS,
    KUBELET,  # AKS spells the segment "resourcegroups"
    OURS.replace("Microsoft.ManagedIdentity", "microsoft.managedidentity"),
    identity_id("ab"),  # too short: identity names are 3-128
    identity_id("-id"),  # must start alphanumeric
    identity_id("id.app"),  # no dots in identity names
    identity_id("x" * 129),
    OURS.replace(SUBSCRIPTION, "not-a-guid"),
    OURS + "/extra/child",
    OURS + "/",
    VMSS,
    "id-app",
    "",
]


@pytest.mark.parametrize("value", IDS)
def test_settings_and_provider_accept_the_same_identity_ids(value: str) -> None:
    def accepted_by_settings() -> bool:
        try:
            TypeAdapter(IdentityResourceId).validate_python(value)
        except ValidationError:
            return False
        return True

    def accepted_by_provider() -> bool:
        try:
            write_cycle.validate_identity_id(value)
        except ValueError:
            return False
        return True

    def accepted_by_parser() -> bool:
        try:
            arm_ids.parse_identity_id(value)
        except ValueError:
            return False
        return True

    check = NodeIdentityProvider().check({}, {"nodeId": VMSS, "userAssignedIdentities": [value]})
    accepted_by_check = not [f for f in check.failures if f.property == "userAssignedIdentities"]
    assert accepted_by_settings() == accepted_by_provider() == accepted_by_check == accepted_by_parser()


def test_the_sdk_parses_and_builds_ids() -> None:
    node = arm_ids.parse_node_id(VMSS.replace("virtualMachineScaleSets", "VIRTUALMACHINESCALESETS"))
    assert (node.type, node.name) == (arm_ids.SCALE_SET, "aks-np1-123-vmss")
    assert (
        node.id == VMSS == arm_ids.node_id(SUBSCRIPTION, "MC_rg_aks_westeurope", arm_ids.SCALE_SET, "aks-np1-123-vmss")
    )
    assert parse_identity_resource_id(OURS) == (SUBSCRIPTION, "rg-identities", "id-app")
    assert arm_ids.identity_id(SUBSCRIPTION, "rg-identities", "id-app") == OURS
    with pytest.raises(ValueError, match="'nope' is not a user-assigned identity resource id"):
        parse_identity_resource_id("nope")


@pytest.mark.parametrize(("pool", "ok"), [("nodepool1", True), ("a", True), ("np" + "1" * 10, True),
                                          ("np" + "1" * 11, False), ("1pool", False), ("NodePool", False),
                                          ("node-pool", False), ("", False)])  # fmt: skip
def test_agent_pool_names(pool: str, ok: bool) -> None:
    if ok:
        assert arm_ids.validate_agent_pool(pool) == pool
    else:
        with pytest.raises(ValueError, match="1-12 lowercase letters and digits, starting with a letter"):
            arm_ids.validate_agent_pool(pool)


def test_vault_access_policy_and_role_definition_ids_have_the_forms_azure_uses() -> None:
    """Built by azure.mgmt.core.tools like every other id: a role assignment's scope, the id azure-native
    gives an AccessPolicy (pulumi-azure-native custom_keyvault_accesspolicy.go), a role definition seen
    from a subscription (docs/azure-rules.md §ids)."""
    vault = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-app"
    assert arm_ids.vault_id(SUBSCRIPTION, "rg-kv", "kv-app") == vault
    assert arm_ids.access_policy_id(SUBSCRIPTION, "rg-kv", "kv-app", "oid-1") == f"{vault}/accessPolicy/oid-1"
    assert arm_ids.role_definition_id(SUBSCRIPTION, "4633458b-17de-408a-b874-0445c86b69e6") == (
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/"
        "4633458b-17de-408a-b874-0445c86b69e6"
    )


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_part_is_refused_not_dropped(missing: str | None) -> None:
    """azure.mgmt.core.tools.resource_id leaves a None part out, giving a parent's id (a vault for its
    access-policy entry); our builders refuse instead."""
    with pytest.raises(ValueError, match="an ARM id needs name"):
        arm_ids.vault_id(SUBSCRIPTION, "rg-kv", missing)  # type: ignore[arg-type]  # what an Output may resolve to
    with pytest.raises(ValueError, match="child_name_1"):
        arm_ids.access_policy_id(SUBSCRIPTION, "rg-kv", "kv-app", missing)  # type: ignore[arg-type]  # likewise
    with pytest.raises(ValueError, match="resource_group"):
        arm_ids.node_id(SUBSCRIPTION, missing, arm_ids.SCALE_SET, "vmss")  # type: ignore[arg-type]  # likewise


def test_aks_managed_scale_sets_are_read_from_the_path_alone() -> None:
    """The plan's caveat and the policy pack share this reading; offline ids carry a placeholder subscription."""
    offline = "/subscriptions/<subscriptionId>/resourceGroups/MC_rg_aks_westeurope/providers/"
    assert arm_ids.aks_managed_scale_set(offline + "Microsoft.Compute/virtualMachineScaleSets/aks-np1-vmss") == (
        "MC_rg_aks_westeurope",
        "aks-np1-vmss",
    )
    assert arm_ids.aks_managed_scale_set(VMSS.lower()) == ("mc_rg_aks_westeurope", "aks-np1-123-vmss")
    for other in (VMSS.replace("MC_rg_aks_westeurope", "rg-nodes"), offline + "Microsoft.Compute/virtualMachines/vm0"):
        assert arm_ids.aks_managed_scale_set(other) is None
    assert arm_ids.aks_managed_scale_set(None) is None
