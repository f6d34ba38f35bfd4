"""Run the pack without the Pulumi CLI, over a graph recorded by ``keyvault_csi.testing.mockgraph``.

Builds the same ``ResourceValidationArgs`` / ``StackValidationArgs`` the analyzer builds: inputs for
resource policies, outputs for stack policies, properties behind the analyzer's unknown-checking
proxy, secrets unwrapped, parents and dependencies as resource objects. Duck-typed on the recorded
resources, so the pack does not depend on ``tools``.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from . import POLICIES


class Recorded(Protocol):
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    protect: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str
    message: str
    urn: str | None


def _options(resource: Recorded) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent or None,
    )


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _unwrap_secrets(value: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """The analyzer hands secrets over as their values: undo mockgraph's ``{"value": ...}`` at each path."""
    value = copy.deepcopy(value)
    for path in sorted(paths, key=len, reverse=True):
        parts = [int(index) if index else key for key, index in _PATH_PART.findall(path)]
        if not parts:
            continue
        parent: Any = value
        for part in parts[:-1]:
            parent = parent[part]
        if isinstance(parent[parts[-1]], Mapping) and set(parent[parts[-1]]) == {"value"}:
            parent[parts[-1]] = parent[parts[-1]]["value"]
    return value


def _props(resource: Recorded, outputs: bool) -> Any:
    raw = resource.outputs if outputs else resource.inputs
    paths = getattr(resource, "secret_outputs" if outputs else "secret_inputs", [])
    return unknown_checking_proxy(_unwrap_secrets(raw, paths))


def _provider(resource: Recorded, by_urn: Mapping[str, Recorded]) -> PolicyProviderResource | None:
    if not resource.custom:
        return None
    # A provider reference is "<provider urn>::<provider id>".
    provider = by_urn.get(resource.provider.rsplit("::", 1)[0])
    if provider is None:
        # A default provider the program did not declare (dynamic resources): known by type only.
        return PolicyProviderResource("pulumi:providers:default", {}, resource.provider, "default")
    return PolicyProviderResource(provider.type, _props(provider, outputs=False), provider.urn, provider.name)


def resource_args(
    resource: Recorded, by_urn: Mapping[str, Recorded], config: Mapping[str, Any] | None = None
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource.type,
        _props(resource, outputs=False),
        resource.urn,
        resource.name,
        _options(resource),
        _provider(resource, by_urn),
        config,
    )


def stack_args(resources: Sequence[Recorded], config: Mapping[str, Any] | None = None) -> StackValidationArgs:
    by_urn = {r.urn: r for r in resources}
    built = {
        r.urn: PolicyResource(
            r.type, _props(r, outputs=True), r.urn, r.name, _options(r), _provider(r, by_urn), None, [], {}
        )
        for r in resources
    }
    for r in resources:
        policy_resource = built[r.urn]
        policy_resource.parent = built.get(r.parent)
        policy_resource.dependencies = [built[u] for u in r.dependencies if u in built]
        policy_resource.property_dependencies = {
            k: [built[u] for u in v if u in built] for k, v in r.property_dependencies.items()
        }
    return StackValidationArgs([built[r.urn] for r in resources], config)


def run(
    resources: Sequence[Recorded],
    policies: Sequence[Policy] = POLICIES,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Violation]:
    """Every violation the pack reports for the recorded resources, in policy order."""
    config = config or {}
    by_urn = {r.urn: r for r in resources}
    found: list[Violation] = []
    for policy in policies:
        level = (policy.enforcement_level or EnforcementLevel.MANDATORY).value
        if isinstance(policy, ResourceValidationPolicy):
            for resource in resources:
                # As in the engine, a resource policy's violation belongs to the resource it ran on.
                def report(
                    message: str,
                    urn: str | None = None,
                    _urn: str = resource.urn,
                    _name: str = policy.name,
                    _level: str = level,
                ) -> None:
                    found.append(Violation(_name, _level, message, _urn))

                policy.validate(resource_args(resource, by_urn, config.get(policy.name)), report)
        elif isinstance(policy, StackValidationPolicy):

            def report_stack(
                message: str, urn: str | None = None, _name: str = policy.name, _level: str = level
            ) -> None:
                found.append(Violation(_name, _level, message, urn))

            policy.validate(stack_args(resources, config.get(policy.name)), report_stack)
    return found
