"""Advisory: an identity put on a scale set that AKS manages.

See the support caveat, docs/azure-rules.md §aks-support-caveat.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from keyvault_csi.rules.arm_ids import aks_managed_scale_set

from ._props import known_str, plain

NODE_IDENTITY = "pulumi-python:dynamic:NodeIdentityAssignment"


def _validate(args: ResourceValidationArgs, report_violation) -> None:
    if args.resource_type != NODE_IDENTITY:
        return
    props = plain(args.props)
    found = aks_managed_scale_set(known_str(props.get("nodeId")))
    pool = known_str(props.get("agentPool"))
    if pool and not found:  # an agent pool by name: its scale set is AKS-managed by definition
        found = (f"of agent pool {known_str(props.get('clusterName'))}", pool)
    if found:
        report_violation(
            f"identity assignment to the AKS-managed scale set {found[0]}/{found[1]}: AKS support discourages IaaS "
            "changes to agent nodes and some upgrades drop added identities (run `pulumi up --refresh` after "
            "upgrades); fix: use a route AKS supports: the kubelet identity (identity.type: kubelet), the Key "
            "Vault add-on identity (addonProfiles.azureKeyvaultSecretsProvider.identity) or workload identity",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="aks-managed-scale-set-identity",
    description=(
        "Advisory: putting an identity on an AKS-managed scale set (MC_ resource group) is outside AKS support."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.ADVISORY,
)
