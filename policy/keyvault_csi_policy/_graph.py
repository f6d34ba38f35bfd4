"""Dependency paths between the resources a stack policy sees."""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import PolicyResource


class DependencyGraph:
    """What each resource waits for, directly or through any path.

    A dependency on a component waits for everything beneath it, as in the engine; components are
    the resources without a provider.
    """

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self._resources = list(resources)
        self._children: dict[str, list[PolicyResource]] = {}
        for resource in self._resources:
            if resource.parent is not None:
                self._children.setdefault(resource.parent.urn, []).append(resource)
        self._cache: dict[str, frozenset[str]] = {}

    def waits_for(self, resource: PolicyResource, target: PolicyResource) -> bool:
        return target.urn in self._reachable(resource)

    def connected(self, a: PolicyResource, b: PolicyResource) -> bool:
        """True if one of the two waits for the other."""
        return self.waits_for(a, b) or self.waits_for(b, a)

    def _reachable(self, resource: PolicyResource) -> frozenset[str]:
        if resource.urn in self._cache:
            return self._cache[resource.urn]
        seen: dict[str, PolicyResource] = {}
        todo = list(_direct(resource))
        while todo:
            current = todo.pop()
            if current.urn in seen:
                continue
            seen[current.urn] = current
            todo.extend(_direct(current))
            if current.provider is None:
                todo.extend(self._children.get(current.urn, []))
        self._cache[resource.urn] = frozenset(seen)
        return self._cache[resource.urn]


def _direct(resource: PolicyResource) -> list[PolicyResource]:
    deps = list(resource.dependencies)
    for prop_deps in resource.property_dependencies.values():
        deps.extend(prop_deps)
    return deps
