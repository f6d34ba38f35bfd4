"""keyvault-csi guardrails: the CrossGuard policies, usable by ``policy/__main__.py`` and by tests."""

from __future__ import annotations

from pulumi_policy import Policy

from . import keyvault_access, node_identity, pods, rotation, secret_provider_class

PACK_NAME = "keyvault-csi-guardrails"

POLICIES: list[Policy] = [
    secret_provider_class.POLICY,
    secret_provider_class.ADVISORY_POLICY,
    keyvault_access.ACCESS_POLICY_POLICY,
    keyvault_access.ROLE_ASSIGNMENT_POLICY,
    keyvault_access.ORDERED_WRITES_POLICY,
    keyvault_access.LIST_NEEDS_HISTORY_POLICY,
    pods.READ_ONLY_POLICY,
    pods.CLASS_IN_NAMESPACE_POLICY,
    node_identity.POLICY,
    rotation.POLICY,
]

__all__ = ["PACK_NAME", "POLICIES"]
