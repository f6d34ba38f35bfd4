"""Outputs in the settings of an embedded component: which keys take them, and how they are checked.

A key whose field is marked ``InputOf(rule)`` (:mod:`keyvault_csi.rules.inputs`) takes a
``pulumi.Output``: the same rule checks the value when it resolves, and a bad value fails the
preview/up with the settings' own message format. Every other key decides the shape of the graph
(which resources exist, their names, file names, counts) and must be a plain value: an Output
there is refused up front, with the reason. Rules of this file: ``docs/embedding.md``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any

import pulumi
from pydantic import ValidationError

from keyvault_csi.rules.inputs import InputOf, input_capable
from keyvault_csi.rules.model import as_mapping, repeats
from keyvault_csi.rules.names import (
    ClusterName,
    Guid,
    IdentityName,
    IdentityResourceId,
    KeyVaultName,
    ResourceGroupName,
    TenantId,
)

# Why a key must be plain, by its last segment (the rest: _SHAPE).
_WHY_PLAIN = {
    "type": "it decides which resources are declared",
    "permissionModel": "it decides whether access policies or role assignments are declared",
    "objectType": "it decides the permissions and roles that are granted",
    "objectAlias": "it is the file name, checked for collisions before anything is declared",
    "name": "it names Kubernetes objects or Pulumi resources",
    "namespace": "it names Kubernetes objects and Pulumi resources",
    "secretProviderClass": "it names the SecretProviderClass and its Pulumi resource",
    "serviceAccount": "it names the ServiceAccount and its federated credential",
}
_SHAPE = "it shapes the graph (which resources are declared, their names and counts)"


class PendingOutput:
    """Where the caller gave an Output: the key path, and the Output to check once it resolves."""

    def __init__(self, output: pulumi.Output[Any], loc: tuple[Any, ...], prefix: str, describe: Describe) -> None:
        self.output, self.loc, self.prefix, self._describe = output, loc, prefix, describe
        self.path = key_path(loc, prefix)

    def defer(self, check: Callable[[Any], Any]) -> pulumi.Output[Any]:
        def resolved(value: Any, secret: bool) -> Any:
            try:
                return check(value)
            except ValidationError as error:
                problems = [
                    self._describe({**e, "loc": (*self.loc, *e["loc"])}, self.prefix)
                    for e in error.errors(include_url=False)
                ]
                if secret:  # a secret's value never reaches the preview output, even when it is wrong
                    problems = [f"{p.replace(repr(value), '<secret>')} (value not shown: secret)" for p in problems]
                raise pulumi.RunError(render_problems(problems)) from None

        # Output.all keeps the value's dependencies and its secretness.
        is_secret: Awaitable[bool] = self.output.is_secret()
        secret: pulumi.Output[bool] = pulumi.Output.from_input(is_secret)
        return pulumi.Output.all(self.output, secret).apply(lambda v: resolved(v[0], bool(v[1])))

    def __str__(self) -> str:  # in cross-checks: distinct per key, never equal to a plain value
        return f"<computed {self.path}>"


Describe = Callable[[Mapping[str, Any], str], str]


def defer_outputs(
    raw: Mapping[str, Any], prefix: str, field_at: Callable[[list[Any]], Any], describe: Describe
) -> tuple[dict[str, Any], list[str], set[tuple[Any, ...]]]:
    """``raw`` with each Output of an input-capable key replaced by a :class:`PendingOutput`.

    Returns the new mapping, a problem for each Output at a key that must be plain, and the
    locations of those (their pydantic "not a string" errors would only repeat the problem).
    """
    problems: list[str] = []
    refused: set[tuple[Any, ...]] = set()

    def walk(value: Any, loc: tuple[Any, ...]) -> Any:
        if isinstance(value, pulumi.Output):
            field = field_at(list(loc))
            if field is not None and input_capable(field):
                return PendingOutput(value, loc, prefix, describe)
            last = next((str(p) for p in reversed(loc) if not isinstance(p, int)), "")
            problems.append(
                f"{key_path(loc, prefix)}: must be a plain value, not an Output: {_WHY_PLAIN.get(last, _SHAPE)}, "
                "so it must be known before anything is declared"
            )
            refused.add(loc)
            return value
        if isinstance(value, Mapping):
            return {k: walk(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*loc, i)) for i, v in enumerate(value)]
        return value

    return walk(dict(raw), ()), problems, refused


def computed_problems(raw: Mapping[str, Any], prefix: str) -> list[str]:
    """Rules for keys given as Outputs: what they leave unknown must then be given as plain values."""
    problems: list[str] = []
    vault = as_mapping(raw.get("keyVault"))
    computed = [key for key in ("name", "resourceGroup") if isinstance(vault.get(key), PendingOutput)]
    if computed and vault.get("permissionModel", "auto") == "auto":
        problems.append(
            f"{prefix}keyVault.permissionModel: 'auto' reads the vault before anything is declared, but "
            f"{' and '.join(f'keyVault.{k}' for k in computed)} {'is an Output' if len(computed) == 1 else 'are Outputs'}; "
            "set permissionModel to accessPolicy or "
            "rbac (the choice decides which resources exist)"
        )
    nodes = as_mapping(raw.get("nodes"))
    for key in ("scaleSets", "virtualMachines"):
        refs = _list(nodes.get(key))
        names = [
            str(ref.get("name")).lower()
            for ref in refs
            if isinstance(ref, Mapping) and isinstance(ref.get("resourceGroup"), PendingOutput)
        ]
        for name, _ in repeats(names):
            problems.append(
                f"{prefix}nodes.{key}: {name!r} is listed more than once with a resourceGroup that is an Output; "
                "the node's resource is then named by its name alone, so names must be distinct"
            )
    workloads = _list(raw.get("workloads"))
    for i, workload in enumerate(workloads):
        if not isinstance(workload, Mapping):
            continue
        label = f"workload {workload.get('name')!r}"
        if "name" in computed and not workload.get("secretProviderClass"):
            problems.append(
                f"{prefix}workloads[{i}].secretProviderClass: required ({label}) because keyVault.name is an Output: "
                "the default class name azure-<vault>-<workload> needs the vault's name before anything is declared"
            )
        objects = _list(workload.get("objects"))
        for j, obj in enumerate(objects):
            if (
                isinstance(obj, Mapping)
                and isinstance(obj.get("objectName"), PendingOutput)
                and not obj.get("objectAlias")
            ):
                problems.append(
                    f"{prefix}workloads[{i}].objects[{j}].objectAlias: required ({label}) because objectName is an "
                    "Output: the file name must be known to check that no two objects write the same file"
                )
    return problems


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def key_path(loc: Sequence[Any], prefix: str) -> str:
    """``keyvault-csi:workloads[0].objects[1].objectName``: a pydantic location as the user writes it."""
    if not loc:
        return prefix.rstrip(":") or "settings"
    text = prefix + str(loc[0])
    for part in loc[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def render_problems(problems: list[str]) -> str:
    """The one message for every settings problem at once, each once, in first-seen order."""
    unique = list(dict.fromkeys(problems))
    lines = "\n".join(f"  - {p}" for p in unique)
    return f"invalid keyvault-csi settings ({len(unique)} problem{'s' * (len(unique) > 1)}):\n{lines}"


# The input-capable string keys: one annotation each (a value, or an Output checked when it resolves).
Input = str | pulumi.Output[str]
GuidInput = Annotated[Input, InputOf(Guid)]
TenantIdInput = Annotated[Input, InputOf(TenantId)]
ResourceGroupInput = Annotated[Input, InputOf(ResourceGroupName)]
KeyVaultNameInput = Annotated[Input, InputOf(KeyVaultName)]
IdentityNameInput = Annotated[Input, InputOf(IdentityName)]
IdentityResourceIdInput = Annotated[Input, InputOf(IdentityResourceId)]
ClusterNameInput = Annotated[Input, InputOf(ClusterName)]
