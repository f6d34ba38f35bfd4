"""--stack on a Key Vault 403: every verdict against real offline plans (tests/doctor/corpus/plan, from make plan)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from keyvault_csi.doctor import Finding, diagnose
from keyvault_csi.doctor.events import PodEvent
from keyvault_csi.doctor.plan import StackPlan, load
from keyvault_csi.doctor.verdict import (
    ACCESS_POLICY,
    RBAC,
    PlannedGrant,
    Verdict,
    hand_check,
    planned_grants,
    substitutions,
)
from tests.support import ROOT

CORPUS_DIR = Path(__file__).parent / "corpus"
CALLER, CALLER_OID = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
DEPLOYED, DEPLOYED_OID = "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"

# Composed like the corpus's composed entries: the driver's and provider's wrapper around the Key Vault bodies
# quoted there (piyushsachdeva/Terraform_AKS#2, SparebankenVest/azure-key-vault-to-kubernetes#203), with this
# test's caller, vault and object.
WRAPPER = (
    'MountVolume.SetUp failed for volume "secrets-store-inline" : rpc error: code = Unknown desc = failed to mount '
    "secrets store objects for pod {pod}, err: rpc error: code = Unknown desc = failed to mount objects, error: "
    "failed to get objectType:{type}, objectName:{name}, objectVersion:: keyvault.BaseClient#Get: Failure responding "
    "to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 "
    'Code="Forbidden" '
)
RBAC_BODY = (
    'Message="Caller is not authorized to perform action on resource.\\r\\nIf role assignments, deny assignments or '
    "role definitions were changed recently, please observe propagation time.\\r\\nCaller: appid={appid};oid={oid};"
    "iss=https://sts.windows.net/00000000-0000-0000-0000-000000000000/\\r\\nAction: "
    "'Microsoft.KeyVault/vaults/{family}/{action}'\\r\\nResource: '/subscriptions/x/resourcegroups/rg/providers/"
    "microsoft.keyvault/vaults/{vault}/{family}/{name}'\\r\\nAssignment: (not found)\\r\\nVault: {vault};"
    'location=westeurope\\r\\n" InnerError={{"code":"ForbiddenByRbac"}}'
)
ACCESS_POLICY_BODY = (
    "Message=\"The user, group or application 'appid={appid};oid={oid};iss=https://sts.windows.net/x/' does not "
    "have {family} {verb} permission on key vault '{vault};location=westeurope'.\""
)
ACTIONS = {"secrets": "getSecret/action", "keys": "read", "certificates": "read"}
TYPES = {"secrets": "secret", "keys": "key", "certificates": "cert"}


def refusal(
    model: str,
    pod: str,
    name: str,
    vault: str,
    family: str = "secrets",
    verb: str = "get",
    appid: str = CALLER,
    oid: str = CALLER_OID,
) -> Finding:
    """The finding for one Key Vault 403 on ``pod`` (namespace/name)."""
    body = RBAC_BODY if model == RBAC else ACCESS_POLICY_BODY
    action = "readMetadata/action" if verb == "list" else ACTIONS[family]
    message = WRAPPER.format(pod=pod, type=TYPES[family], name=name) + body.format(
        appid=appid, oid=oid, family=family, action=action, vault=vault, name=name, verb=verb
    )
    namespace, _, pod_name = pod.partition("/")
    (finding,) = diagnose([PodEvent(namespace, pod_name, "FailedMount", message, 1, "t")])
    return finding


def plan(stack: str, outputs: Mapping[str, Any] | None = None) -> StackPlan:
    return load(f"examples/{stack}", CORPUS_DIR / "plan", CORPUS_DIR, outputs)


def judged(stack: str, finding: Finding, outputs: Mapping[str, Any] | None = None) -> Verdict:
    found = plan(stack, outputs).verdict(finding)
    assert found is not None
    return found


USER_MSI = "default/nginx-secrets-store-inline-user-msi"  # stack user-assigned-msi: access policies, secret1 + key1
ADDON = "shop/storefront-secrets-store-inline"  # stack aks-addon: rbac, db-password
DEPLOYED_USER_MSI = {"identityClientId": DEPLOYED, "principalIds": {"identity": DEPLOYED_OID}}


def test_rbac_refusal_on_an_access_policy_stack_is_a_model_mismatch() -> None:
    verdict = judged("user-assigned-msi", refusal(RBAC, USER_MSI, "secret1", "kvname"))
    assert verdict == Verdict(
        "model-mismatch",
        "unverified",
        "model-mismatch: the vault uses Azure RBAC (ForbiddenByRbac), the stack writes access policies, which an "
        "RBAC vault ignores for data access (keyvault-csi:keyVault.permissionModel: accessPolicy): set it to rbac "
        "(or auto, which reads the vault) and run `pulumi up`",
    )


def test_access_policy_refusal_on_an_rbac_stack_is_a_model_mismatch() -> None:
    verdict = judged("aks-addon", refusal(ACCESS_POLICY, ADDON, "db-password", "kv-shop"))
    assert verdict.id == "model-mismatch"
    assert "the stack writes role assignments, which an access-policy vault ignores" in verdict.text


def test_a_caller_other_than_the_deployed_identity_is_the_wrong_identity() -> None:
    verdict = judged("user-assigned-msi", refusal(ACCESS_POLICY, USER_MSI, "secret1", "kvname"), DEPLOYED_USER_MSI)
    assert verdict == Verdict(
        "wrong-identity",
        "differs",
        f"wrong-identity: the provider signed in as appid {CALLER} (oid {CALLER_OID}), the planned class names "
        f"userAssignedIdentityID {DEPLOYED}: the live class is not the planned one (re-apply the stack: `pulumi up`) "
        "or, if that identity is the one to use, make it keyvault-csi:identity so the stack grants it",
    )


@pytest.mark.parametrize(
    ("family", "verb", "vault", "why"),
    [
        (
            "certificates",
            "get",
            "kvname",
            "the stack grants keys get, secrets get on kvname, but cert 'obj' needs certificates get; it is not among "
            "the planned objects of keyvault-csi:workloads[0]: declare it there",
        ),
        (
            "secrets",
            "list",
            "kvname",
            "the stack grants keys get, secrets get on kvname, but secret 'secret1' is read with its versions "
            "(objectVersionHistory > 1), which needs secrets list; it is keyvault-csi:workloads[0].objects[0]",
        ),
        (
            "secrets",
            "get",
            "kv-other",
            "the Pod read vault kv-other, the stack grants on kvname: the live class is not the planned one "
            "(its keyvaultName comes from keyvault-csi:keyVault.name) - re-apply the stack",
        ),
    ],
)
def test_the_right_identity_without_a_grant_for_the_object_is_grant_missing(
    family: str, verb: str, vault: str, why: str
) -> None:
    name = "secret1" if family == "secrets" else "obj"
    finding = refusal(ACCESS_POLICY, USER_MSI, name, vault, family, verb, appid=DEPLOYED)
    verdict = judged("user-assigned-msi", finding, DEPLOYED_USER_MSI)
    assert (verdict.id, verdict.identity) == ("grant-missing", "same")
    assert verdict.text.startswith(f"grant-missing: {why}")


def test_the_oid_decides_when_only_the_principal_is_known() -> None:
    principal_only = {"principalIds": {"identity": DEPLOYED_OID}}
    verdict = judged("user-assigned-msi", refusal(ACCESS_POLICY, USER_MSI, "secret1", "kvname"), principal_only)
    assert (verdict.id, verdict.identity) == ("wrong-identity", "differs")
    assert verdict.text.startswith(
        f"wrong-identity: the provider signed in as oid {CALLER_OID} (appid {CALLER}), the stack grants the "
        f"principal {DEPLOYED_OID}: the live class is not the planned one"
    )


def test_a_role_includes_listing_versions() -> None:
    # kubelet-identity is auto: planned offline with access policies (secrets get, no list), an RBAC vault at deploy.
    kubelet = "default/nginx-secrets-store-inline"
    verdict = judged("kubelet-identity", refusal(RBAC, kubelet, "secret1", "kvname", verb="list"))
    assert verdict.id == "rbac-propagation"


def test_rbac_with_everything_matching_is_propagation() -> None:
    deployed = {"identityClientId": DEPLOYED, "principalIds": {"identity": DEPLOYED_OID}}
    verdict = judged("aks-addon", refusal(RBAC, ADDON, "db-password", "kv-shop", appid=DEPLOYED), deployed)
    assert verdict == Verdict(
        "rbac-propagation",
        "same",
        "rbac-propagation: the stack assigns Key Vault Secrets User on kv-shop to the stack's identity and the vault "
        "uses Azure RBAC (model matches, object kind granted): role assignments take up to 10 minutes to apply (the "
        "403 says 'please observe propagation time') - wait and retry, kubelet retries the mount by itself; refused "
        "longer: the assignment is not live, check `az role assignment list --assignee <oid> --all -o table` and run "
        "`pulumi up`",
    )


def test_access_policies_with_everything_matching_is_a_grant_not_applied() -> None:
    finding = refusal(ACCESS_POLICY, USER_MSI, "key1", "kvname", "keys", appid=DEPLOYED, oid=DEPLOYED_OID)
    verdict = judged("user-assigned-msi", finding, DEPLOYED_USER_MSI)
    assert (verdict.id, verdict.identity) == ("grant-not-applied", "same")
    assert verdict.text.startswith("grant-not-applied: the stack writes keys get, secrets get on kvname")
    assert f"properties.accessPolicies[?objectId=='{DEPLOYED_OID}']" in verdict.text


@pytest.mark.parametrize(
    ("stack", "pod", "vault", "placeholder", "command"),
    [
        (
            "user-assigned-msi",
            USER_MSI,
            "kvname",
            "<id-app.clientId>",
            "compare the appid with `az identity show -g rg-identities -n id-app --query clientId -o tsv`",
        ),
        (
            "kubelet-identity",
            "default/nginx-secrets-store-inline",
            "kvname",
            "<aks-agentpool.clientId>",
            "compare the appid with `az aks show -g rg-aks -n aks --query identityProfile.kubeletidentity.clientId "
            "-o tsv`",
        ),
        (
            "aks-addon",
            ADDON,
            "kv-shop",
            "<azurekeyvaultsecretsprovider-aks.clientId>",
            "compare the appid with `az aks show -g rg-aks -n aks --query "
            "addonProfiles.azureKeyvaultSecretsProvider.identity.clientId -o tsv`",
        ),
    ],
)
def test_offline_the_identity_is_unverified_and_the_hand_check_is_named(
    stack: str, pod: str, vault: str, placeholder: str, command: str
) -> None:
    model = ACCESS_POLICY if stack == "user-assigned-msi" else RBAC
    verdict = judged(stack, refusal(model, pod, "x", vault))
    assert verdict.identity == "unverified"
    assert (
        f" - if the caller is the stack's identity: the plan names the stack's identity {placeholder} (Azure assigns "
        f"it at deploy); {command}, or run `pulumi stack output --json --stack {stack} > outputs.json` and the doctor "
        "again with --outputs outputs.json; if it is not, it is the wrong identity (the live class names another one)"
    ) in verdict.text


def test_auto_follows_the_vault_so_an_rbac_refusal_is_read_in_rbac_terms() -> None:
    # kubelet-identity leaves permissionModel to auto: the offline plan wrote access policies.
    verdict = judged("kubelet-identity", refusal(RBAC, "default/nginx-secrets-store-inline", "secret1", "kvname"))
    assert verdict.id == "rbac-propagation"
    assert verdict.text.startswith("rbac-propagation: the stack assigns Key Vault Secrets User on kvname")
    assert "; permissionModel auto read the vault's model at deploy (planned offline as accessPolicy)" in verdict.text


def test_node_identities_are_compared_by_object_id() -> None:
    pod = "default/nginx-secrets-store-inline-system-msi"
    principals = {
        "vmss-mc_rg_aks_westeurope-aks-nodepool1-12345678-vmss": DEPLOYED_OID,
        "vm-rg-k8s-k8s-agent-0": CALLER_OID,
    }
    deployed = {"identityClientId": "", "principalIds": principals}
    same = judged("system-assigned-msi", refusal(ACCESS_POLICY, pod, "secret1", "kvname", oid=DEPLOYED_OID), deployed)
    other = "55555555-5555-4555-8555-555555555555"
    differs = judged("system-assigned-msi", refusal(ACCESS_POLICY, pod, "secret1", "kvname", oid=other), deployed)
    assert (same.id, same.identity) == ("grant-not-applied", "same")
    assert differs == Verdict(
        "wrong-identity",
        "differs",
        f"wrong-identity: the provider signed in as oid {other} (appid {CALLER}), the stack grants the node identities "
        f"{CALLER_OID}, {DEPLOYED_OID}: the Pod ran on a node whose identity the stack does not grant: add its pool "
        "to keyvault-csi:nodes",
    )
    offline = judged("system-assigned-msi", refusal(ACCESS_POLICY, pod, "secret1", "kvname"))
    assert (
        "compare the oid with `az vmss show -g MC_rg_aks_westeurope -n aks-nodepool1-12345678-vmss --query "
        "identity.principalId -o tsv` / `az vm show -g rg-k8s -n k8s-agent-0 --query identity.principalId -o tsv`"
    ) in offline.text


def test_a_redacted_caller_cannot_be_compared() -> None:
    verdict = judged("user-assigned-msi", refusal(ACCESS_POLICY, USER_MSI, "secret1", "kvname", appid="xxx", oid="yyy"))
    assert verdict.identity == "unverified"
    assert "if the caller is the stack's identity: the message carries appid xxx (redacted or cut)" in verdict.text


def test_a_403_that_names_no_model_says_how_to_read_the_vaults() -> None:
    message = f'failed to mount secrets store objects for pod {USER_MSI}. Status=403 Code="Forbidden"'
    (finding,) = diagnose([PodEvent("default", USER_MSI.split("/")[1], "FailedMount", message, 1, "t")])
    assert finding.cause == "permission-denied"
    assert plan("user-assigned-msi").verdict(finding) == Verdict(
        "model-unknown",
        "unverified",
        "model-unknown: the message does not say which model refused it; the stack's "
        "keyvault-csi:keyVault.permissionModel is 'accessPolicy': compare with `az keyvault show -n kvname --query "
        "properties.enableRbacAuthorization -o tsv` (true = rbac, false = accessPolicy) and set it to match (or auto, "
        "which reads the vault)",
    )


def test_the_firewall_gets_a_hint_not_a_verdict() -> None:
    message = WRAPPER.format(pod=USER_MSI, type="secret", name="secret1") + (
        'Message="Client address is not authorized and caller is not a trusted service.\\r\\nClient address: '
        f"20.50.1.2\\r\\nCaller: appid={CALLER};oid={CALLER_OID};iss=https://sts.windows.net/x/\\r\\nVault: kvname;"
        'location=westeurope" InnerError={"code":"ForbiddenByFirewall"}'
    )
    (finding,) = diagnose([PodEvent("default", USER_MSI.split("/")[1], "FailedMount", message, 1, "t")])
    stack = plan("user-assigned-msi")
    assert stack.verdict(finding) is None
    assert stack.hint(finding) == (
        "stack user-assigned-msi: vault kvname (the planned class reads 'kvname': keyvault-csi:keyVault.name) refuses "
        "client address 20.50.1.2 by its network rules, which keyvault-csi does not manage: "
        "`az keyvault network-rule add -n kvname --ip-address <egress IP>` or a private endpoint"
    )


def test_a_pod_the_stack_does_not_declare_gets_no_verdict() -> None:
    finding = refusal(RBAC, "default/someone-else", "secret1", "kvname")
    assert plan("user-assigned-msi").verdict(finding) is None


@pytest.mark.parametrize(
    ("identity", "nodes", "expected"),
    [
        (
            {"type": "userAssigned", "resourceId": "/subscriptions/s/resourceGroups/rg/providers/x/id"},
            None,
            "compare the appid with `az identity show --ids /subscriptions/s/resourceGroups/rg/providers/x/id "
            "--query clientId -o tsv`",
        ),
        (
            {"type": "workload", "name": "id-shop", "resource_group": "rg-id", "cluster": {}},
            None,
            "compare the appid with `az identity show -g rg-id -n id-shop --query clientId -o tsv`",
        ),
        (
            {"type": "systemAssigned"},
            {"scale_sets": [{"resource_group": "MC_x", "name": "aks-pool-1-vmss"}]},
            "compare the oid with `az vmss show -g MC_x -n aks-pool-1-vmss --query identity.principalId -o tsv`",
        ),
        (
            {"type": "systemAssigned"},
            {"cluster": {"resourceGroup": "rg", "name": "aks"}, "agentPools": ["pool1"]},
            "compare the oid with `az vmss show -g <node resource group> -n <scale set> --query identity.principalId "
            "-o tsv`",
        ),
    ],
)
def test_hand_check_per_identity_type(identity: dict[str, Any], nodes: dict[str, Any] | None, expected: str) -> None:
    config = {"keyvault-csi:identity": identity, "keyvault-csi:nodes": nodes}
    assert hand_check(config, "dev") == (
        f"{expected}, or run `pulumi stack output --json --stack dev > outputs.json` and the doctor again with "
        "--outputs outputs.json"
    )


def test_planned_grants_read_access_policies_and_role_assignments() -> None:
    def grants(stack: str) -> list[PlannedGrant]:
        graph = json.loads((CORPUS_DIR / "plan" / stack / "graph.json").read_text(encoding="utf-8"))
        return planned_grants(graph["resources"])

    assert grants("user-assigned-msi") == [
        PlannedGrant(
            ACCESS_POLICY,
            "kvname",
            "<id-app.principalId>",
            frozenset({"keys", "secrets"}),
            frozenset(),
            "keys get, secrets get",
        )
    ]
    assert grants("aks-addon") == [
        PlannedGrant(
            RBAC,
            "kv-shop",
            "<azurekeyvaultsecretsprovider-aks.objectId>",
            frozenset({"secrets"}),
            frozenset({"secrets"}),
            "Key Vault Secrets User",
        )
    ]


def test_substitutions_pair_placeholders_with_the_deployed_values() -> None:
    planned = {
        "identityClientId": "<id-app.clientId>",
        "principalIds": {"identity": "<id-app.principalId>"},
        "pods": [],
    }
    assert substitutions(planned, {**DEPLOYED_USER_MSI, "pods": ["default/x"]}) == {
        "<id-app.clientId>": DEPLOYED,
        "<id-app.principalId>": DEPLOYED_OID,
    }
    assert substitutions(planned, {}) == {}


SHOP_STOREFRONT = "shop/storefront-secrets-store-inline"  # examples/several-vaults: kv-platform-shared rbac, kv-shop ap


def test_with_several_vaults_the_refusing_vaults_own_model_decides() -> None:
    """Each vault of keyVaults has its own model: the 403's vault is judged against that one."""
    several = load("examples/several-vaults", ROOT / "tests" / "golden", ROOT)
    mismatch = several.verdict(refusal(RBAC, SHOP_STOREFRONT, "db-password", "kv-shop"))
    assert mismatch is not None and mismatch.id == "model-mismatch"
    assert "(keyvault-csi:keyVaults.shop.permissionModel: accessPolicy): set it to rbac" in mismatch.text
    matching = several.verdict(refusal(RBAC, SHOP_STOREFRONT, "telemetry-key", "kv-platform-shared"))
    assert matching is not None and matching.id != "model-mismatch"
