"""``NodeIdentityAssignment``: managed identities on an AKS node pool's scale set (or a VM), as a resource.

No Pulumi provider manages identities on AKS-owned scale sets (docs/azure-rules.md §vmss-no-iac), so this is a
dynamic provider over :mod:`keyvault_csi.node_identity.write_cycle`. It only ever removes what it added itself:
an identity that was already on the node before (the kubelet identity, add-ons, another stack)
is never recorded as ours, and the node's system-assigned identity is turned off on delete only if
this resource turned it on.

Two ways to name the node: ``nodeId`` (a scale set or VM), or a pool by name
(``clusterResourceGroup`` + ``clusterName`` + ``agentPool``, optional ``subscriptionId``): its
scale set is discovered at create, update and read (never at preview, which shows the output
``nodeId`` as unknown), and ``nodeId`` records where the identity was written, so delete removes it
from there. A recreated pool (a new scale set) shows as drift on refresh; the next update moves
the identity there and takes ours off the old scale set if it still exists.

``ownedIdentities``: ids of identities this stack itself created. One of them found on the node is
ours even if no PATCH of this run put it there (a failed operation that ARM applied anyway).

The provider object is pickled into the stack state by dill: it holds no state, client or
credential; everything is built inside each method from the resource's properties and the
environment. dill pickles the class by reference to this module's path,
``keyvault_csi.node_identity.resource.NodeIdentityProvider``: renaming or moving it breaks every
existing stack (tests/node_identity/test_arm_scenarios.py pins it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi.dynamic
from pulumi.runtime.rpc import UNKNOWN

from keyvault_csi.node_identity import client as arm_client
from keyvault_csi.node_identity import discovery
from keyvault_csi.node_identity import write_cycle as arm
from keyvault_csi.rules import arm_ids

NODE_ID = "nodeId"
IDENTITIES = "userAssignedIdentities"
SYSTEM = "systemAssigned"
ENDPOINT = "armEndpoint"
ENVIRONMENT = "environment"
PRINCIPAL_ID = "principalId"
ADDED = "addedUserAssignedIdentities"
SYSTEM_ADDED = "systemAssignedAdded"
OWNED = "ownedIdentities"
SUBSCRIPTION = "subscriptionId"
CLUSTER_GROUP = "clusterResourceGroup"
CLUSTER_NAME = "clusterName"
POOL = "agentPool"
DISCOVERED = "discoveredNodeId"
POOL_KEYS = (SUBSCRIPTION, CLUSTER_GROUP, CLUSTER_NAME, POOL)

# Python attribute <-> Pulumi property (the state keys are camelCase).
_PYTHON_NAMES = {
    "node_id": NODE_ID,
    "user_assigned_identities": IDENTITIES,
    "system_assigned": SYSTEM,
    "arm_endpoint": ENDPOINT,
    "environment": ENVIRONMENT,
    "principal_id": PRINCIPAL_ID,
    "added_user_assigned_identities": ADDED,
    "system_assigned_added": SYSTEM_ADDED,
    "owned_identities": OWNED,
    "subscription_id": SUBSCRIPTION,
    "cluster_resource_group": CLUSTER_GROUP,
    "cluster_name": CLUSTER_NAME,
    "agent_pool": POOL,
    "discovered_node_id": DISCOVERED,
}
_PULUMI_NAMES = {pulumi_name: python_name for python_name, pulumi_name in _PYTHON_NAMES.items()}


class NodeIdentityAssignmentArgs(TypedDict):
    """Inputs of :class:`NodeIdentityAssignment` (keys are the Pulumi property names)."""

    nodeId: NotRequired[pulumi.Input[str]]
    """Full ARM id of the scale set (``.../virtualMachineScaleSets/{name}``) or VM (``.../virtualMachines/{name}``)."""
    clusterResourceGroup: NotRequired[pulumi.Input[str]]
    """Instead of ``nodeId``: the AKS cluster's resource group, with ``clusterName`` and ``agentPool``."""
    clusterName: NotRequired[pulumi.Input[str]]
    agentPool: NotRequired[pulumi.Input[str]]
    """The pool whose scale set (tag ``aks-managed-poolName``) is discovered at deploy time."""
    subscriptionId: NotRequired[pulumi.Input[str]]
    """The cluster's subscription; "" = ARM_SUBSCRIPTION_ID."""
    ownedIdentities: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """Identities this stack created: found on the node, they are ours (see the module docstring)."""
    userAssignedIdentities: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """Resource ids of user-assigned identities to ensure on the node."""
    systemAssigned: NotRequired[pulumi.Input[bool]]
    """Ensure the node's system-assigned identity is on."""
    armEndpoint: NotRequired[pulumi.Input[str]]
    """ARM endpoint override (Azure Stack); "" = from ``environment``."""
    environment: NotRequired[pulumi.Input[str]]
    """``azure-native:environment``: public, usgovernment or china; "" = ARM_ENVIRONMENT or public."""


def _known(value: Any) -> bool:
    """False for a value the engine does not know yet (a preview with a changing dependency)."""
    if isinstance(value, list):
        return all(_known(item) for item in value)
    return not (isinstance(value, str) and value == UNKNOWN)


def _casefolded(ids: Sequence[str] | None) -> set[str]:
    return {value.casefold() for value in ids or ()}


def _settings(props: Mapping[str, Any]) -> arm_client.ArmSettings:
    return arm_client.resolve_settings(props.get(ENDPOINT) or "", props.get(ENVIRONMENT) or "")


def _check_failures(news: Mapping[str, Any]) -> list[pulumi.dynamic.CheckFailure]:
    failures: list[pulumi.dynamic.CheckFailure] = []

    def fail(prop: str, check: Callable[[Any], object], value: Any) -> None:
        if not _known(value):
            return
        try:
            check(value)
        except (ValueError, TypeError) as error:
            failures.append(pulumi.dynamic.CheckFailure(prop, str(error)))

    pool_given = [key for key in (CLUSTER_GROUP, CLUSTER_NAME, POOL) if news.get(key)]
    if news.get(NODE_ID) is not None and pool_given:
        reason = f"give nodeId or clusterResourceGroup + clusterName + agentPool, not both (got {pool_given})"
        failures.append(pulumi.dynamic.CheckFailure(NODE_ID, reason))
    elif pool_given:
        for key in (CLUSTER_GROUP, CLUSTER_NAME, POOL):
            if not news.get(key):
                failures.append(pulumi.dynamic.CheckFailure(key, f"{key} is required with {', '.join(pool_given)}"))
        fail(CLUSTER_GROUP, arm_ids.validate_resource_group, news.get(CLUSTER_GROUP))
        fail(POOL, arm_ids.validate_agent_pool, news.get(POOL))
        if news.get(SUBSCRIPTION):
            fail(SUBSCRIPTION, arm_ids.validate_subscription, news.get(SUBSCRIPTION))
    else:
        fail(NODE_ID, arm.parse_node_id, news.get(NODE_ID))
    for key in (OWNED, IDENTITIES):
        ids = news.get(key)
        if _known(ids) and not isinstance(ids, list):
            failures.append(pulumi.dynamic.CheckFailure(key, f"{ids!r} is not a list of identity resource ids"))
        elif isinstance(ids, list):
            for identity in ids:
                fail(key, arm.validate_identity_id, identity)
    identities = news.get(IDENTITIES)
    if _known(news.get(SYSTEM)) and not isinstance(news.get(SYSTEM), bool):
        failures.append(pulumi.dynamic.CheckFailure(SYSTEM, f"{news.get(SYSTEM)!r} is not a boolean"))
    fail(ENVIRONMENT, arm_client.resolve_cloud, news.get(ENVIRONMENT) or "public")
    if news.get(ENDPOINT):
        fail(ENDPOINT, arm_client.validate_endpoint, news.get(ENDPOINT))
    if identities == [] and news.get(SYSTEM) is False:
        reason = "nothing to assign: give userAssignedIdentities or systemAssigned: true"
        failures.append(pulumi.dynamic.CheckFailure(IDENTITIES, reason))
    return failures


def _differs(old: Any, new: Any) -> bool:
    return not _known(new) or str(old or "").casefold() != str(new or "").casefold()


def _is_pool(props: Mapping[str, Any]) -> bool:
    return bool(props.get(POOL))


def _pool(props: Mapping[str, Any]) -> discovery.PoolRef:
    subscription = props.get(SUBSCRIPTION) or os.environ.get("ARM_SUBSCRIPTION_ID", "")
    if not subscription:
        label = f"agent pool {props.get(POOL)!r} of cluster {props.get(CLUSTER_GROUP)}/{props.get(CLUSTER_NAME)}"
        raise discovery.DiscoveryError(f"{label}: no subscriptionId given and ARM_SUBSCRIPTION_ID is not set")
    return discovery.PoolRef(str(subscription), str(props[CLUSTER_GROUP]), str(props[CLUSTER_NAME]), str(props[POOL]))


def _target(props: Mapping[str, Any]) -> arm.NodeRef:
    """The node to write: ``nodeId``, or the pool's scale set as discovered now."""
    if _is_pool(props):
        return discovery.discover_scale_set(_pool(props), _settings(props))
    return arm.parse_node_id(props[NODE_ID])


class NodeIdentityProvider(pulumi.dynamic.ResourceProvider):
    """CRUD of one resource's identities on one node; see the module docstring for ownership rules."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        """Validate ids (naming the bad value and the expected form); sort and dedupe identities."""
        inputs = dict(news)
        inputs.setdefault(IDENTITIES, [])
        inputs.setdefault(SYSTEM, False)
        inputs.setdefault(ENDPOINT, "")
        inputs.setdefault(ENVIRONMENT, "")
        inputs.setdefault(OWNED, [])
        identities = inputs[IDENTITIES]
        if _known(identities) and isinstance(identities, list) and all(isinstance(i, str) for i in identities):
            inputs[IDENTITIES] = arm.normalize_identity_ids(identities)
        return pulumi.dynamic.CheckResult(inputs, _check_failures(inputs))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        """Replace when the node (or the pool) changes; any other input change is an in-place update.

        A pool's scale set that changed since the write (seen by ``read``) is an in-place update.
        """
        if _is_pool(news) or _is_pool(olds):
            moved = [key for key in POOL_KEYS if _differs(olds.get(key), news.get(key))]
            if moved:
                return pulumi.dynamic.DiffResult(changes=True, replaces=moved, delete_before_replace=False)
            if _differs(olds.get(DISCOVERED) or olds.get(NODE_ID), olds.get(NODE_ID)):
                return pulumi.dynamic.DiffResult(changes=True)
        else:
            node_new = news.get(NODE_ID)
            if _differs(olds.get(NODE_ID), node_new):
                return pulumi.dynamic.DiffResult(changes=True, replaces=[NODE_ID], delete_before_replace=False)
        if not all(_known(news.get(key)) for key in (IDENTITIES, SYSTEM, ENDPOINT, ENVIRONMENT)):
            return pulumi.dynamic.DiffResult(changes=True)
        changed = (
            _casefolded(olds.get(IDENTITIES)) != _casefolded(news.get(IDENTITIES))
            or bool(olds.get(SYSTEM)) != bool(news.get(SYSTEM))
            or (olds.get(ENDPOINT) or "") != (news.get(ENDPOINT) or "")
            or (olds.get(ENVIRONMENT) or "") != (news.get(ENVIRONMENT) or "")
        )
        return pulumi.dynamic.DiffResult(changes=changed)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        """Add the missing identities; those already on the node are not recorded as ours."""
        outs = self._apply(props, _target(props), previous_added=[], previous_system_added=False, remove=[])
        # Unique per resource: several resources may target one node.
        return pulumi.dynamic.CreateResult(f"{outs[NODE_ID]}#identity-{uuid.uuid4().hex[:12]}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        """Converge on the new list; an identity dropped from it is removed only if we added it."""
        wanted = _casefolded(news.get(IDENTITIES))
        previous_added = list(olds.get(ADDED) or [])
        previous_system = bool(olds.get(SYSTEM_ADDED))
        target = _target(news)
        written = arm.parse_node_id(olds[NODE_ID]) if olds.get(NODE_ID) else target
        if written.key != target.key:
            # The pool got a new scale set: put ours there, then take ours off the old one if it is still there.
            outs = self._apply(news, target, [], False, [])
            if previous_added or previous_system:
                try:
                    arm.change_node_identity(
                        written, _settings(news), remove=previous_added, disable_system=previous_system
                    )
                except arm.NodeNotFound:
                    pass
            return pulumi.dynamic.UpdateResult(outs)
        dropped = [identity for identity in previous_added if identity.casefold() not in wanted]
        outs = self._apply(news, target, previous_added, previous_system, dropped)
        return pulumi.dynamic.UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        """What is on the node now: an identity removed out of band shows as drift on refresh."""
        node_id = props.get(NODE_ID) or id_.split("#", 1)[0]  # `pulumi import` passes only the id
        settings = _settings(props)
        written = arm.parse_node_id(node_id)
        current = arm.get_node_identity(written, settings)
        owned = _casefolded(props.get(OWNED))
        carried = [i for i in props.get(ADDED) or [] if current is not None and current.has(i)]
        outs = {
            **{key: props[key] for key in (*POOL_KEYS, OWNED) if key in props},
            NODE_ID: node_id,
            ADDED: carried,
            SYSTEM_ADDED: bool(props.get(SYSTEM_ADDED)) and current is not None and current.system,
            ENDPOINT: props.get(ENDPOINT) or "",
            ENVIRONMENT: props.get(ENVIRONMENT) or "",
        }
        same_node = True
        if _is_pool(props):
            # Re-discover: a recreated pool has a new scale set; what counts is what is on that one.
            discovered = discovery.discover_scale_set(_pool(props), settings)
            outs[DISCOVERED] = discovered.id
            if discovered.key != written.key:
                same_node, current = False, arm.get_node_identity(discovered, settings)
        elif current is None:
            return pulumi.dynamic.ReadResult("", {})  # the node is gone, so is this resource
        present = [i for i in props.get(IDENTITIES) or [] if current is not None and current.has(i)]
        ours_by_origin = [i for i in present if i.casefold() in owned] if same_node else []
        outs.update(
            {
                PRINCIPAL_ID: current.principal_id if current else "",
                IDENTITIES: present,
                SYSTEM: bool(props.get(SYSTEM)) and current is not None and current.system,
                ADDED: arm.normalize_identity_ids([*carried, *ours_by_origin]),
            }
        )
        return pulumi.dynamic.ReadResult(id_, outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Remove what this resource added; everything else on the node stays. A gone node is fine."""
        added = list(props.get(ADDED) or [])
        system_added = bool(props.get(SYSTEM_ADDED))
        if not added and not system_added:
            return
        try:
            arm.change_node_identity(
                arm.parse_node_id(props[NODE_ID]), _settings(props), remove=added, disable_system=system_added
            )
        except arm.NodeNotFound:
            return

    @staticmethod
    def _apply(
        props: Mapping[str, Any],
        node: arm.NodeRef,
        previous_added: Sequence[str],
        previous_system_added: bool,
        remove: Sequence[str],
    ) -> dict[str, Any]:
        """One converging write; returns the outputs, with ownership carried over from ``previous_*``."""
        identities = list(props.get(IDENTITIES) or [])
        system = bool(props.get(SYSTEM))
        change = arm.change_node_identity(
            node,
            _settings(props),
            add=identities,
            remove=remove,
            enable_system=system,
            disable_system=previous_system_added and not system,
        )
        wanted = _casefolded(identities)
        still_ours = [i for i in previous_added if i.casefold() in wanted and change.after.has(i)]
        owned = _casefolded(props.get(OWNED))
        # This stack created it, so it is ours wherever it shows up (a failed but applied operation).
        created_here = [i for i in identities if i.casefold() in owned and change.after.has(i)]
        added = arm.normalize_identity_ids([*still_ours, *change.added, *created_here])
        pool = {key: props[key] for key in POOL_KEYS if key in props}
        return {
            **pool,
            **({DISCOVERED: node.id} if _is_pool(props) else {}),
            OWNED: list(props.get(OWNED) or []),
            NODE_ID: node.id if _is_pool(props) else props[NODE_ID],
            PRINCIPAL_ID: change.after.principal_id,
            IDENTITIES: identities,
            SYSTEM: system,
            ADDED: added,
            SYSTEM_ADDED: change.system_added or (previous_system_added and system and change.after.system),
            ENDPOINT: props.get(ENDPOINT) or "",
            ENVIRONMENT: props.get(ENVIRONMENT) or "",
        }


class NodeIdentityAssignment(pulumi.dynamic.Resource, name="NodeIdentityAssignment"):
    """User-assigned (and optionally the system-assigned) identities on one AKS scale set or VM."""

    node_id: pulumi.Output[str]
    """Where the identities are: the given ``nodeId``, or the scale set discovered for ``agentPool``."""
    principal_id: pulumi.Output[str]
    """The node's system-assigned principal id ("" if it has none)."""
    user_assigned_identities: pulumi.Output[list[str]]
    system_assigned: pulumi.Output[bool]
    added_user_assigned_identities: pulumi.Output[list[str]]
    """What this resource added and will remove on delete."""
    system_assigned_added: pulumi.Output[bool]
    """True if this resource turned the system-assigned identity on (delete turns it off)."""

    def __init__(self, name: str, args: NodeIdentityAssignmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "node_id": args.get("nodeId"),
            "cluster_resource_group": args.get("clusterResourceGroup"),
            "cluster_name": args.get("clusterName"),
            "agent_pool": args.get("agentPool"),
            "subscription_id": args.get("subscriptionId"),
            "owned_identities": args.get("ownedIdentities", []),
            "discovered_node_id": None,
            "user_assigned_identities": args.get("userAssignedIdentities", []),
            "system_assigned": args.get("systemAssigned", False),
            "arm_endpoint": args.get("armEndpoint", ""),
            "environment": args.get("environment", ""),
            "principal_id": None,
            "added_user_assigned_identities": None,
            "system_assigned_added": None,
        }
        super().__init__(NodeIdentityProvider(), name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _PYTHON_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _PULUMI_NAMES.get(prop, prop)
