"""The Pod fields a user shapes beyond the hardened defaults: tolerations, container ports, image pull secrets.

Each in Kubernetes' own shape and checked by the API server's rules (``validateTolerations``,
``validateContainerPorts``, apimachinery ``IsValidPortName``; docs/azure-rules.md §pod-fields), so a
mistake fails at preview with its key path rather than as an ``Invalid`` Pod at ``pulumi up``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field, StrictInt, model_validator

from keyvault_csi.rules.choices import PortProtocol, TaintEffect, TolerationOperator
from keyvault_csi.rules.metadata import label_value_problem, qualified_name_problem
from keyvault_csi.rules.model import Strict, repeated, repeats
from keyvault_csi.rules.names import DnsSubdomain, refusing

PORT_MAX = 65535
_PORT_NAME = re.compile(r"^[-a-z0-9]+$")


class Toleration(Strict):
    """A Kubernetes Toleration: lets the Pod run on nodes with a matching taint (such as a dedicated pool's)."""

    key: str = ""
    """The taint key ([prefix/]name); empty with operator Exists tolerates every taint."""
    operator: TolerationOperator = TolerationOperator.EQUAL
    """Equal (the default: the taint's value must equal value) or Exists (any value)."""
    value: str = ""
    """The taint value to match (operator Equal; empty with Exists)."""
    effect: TaintEffect | None = None
    """The effect tolerated: NoSchedule, PreferNoSchedule or NoExecute; unset tolerates every effect."""
    toleration_seconds: StrictInt | None = Field(default=None, ge=0)
    """NoExecute only: seconds the Pod stays on a node after the taint appears; unset stays for good."""

    @model_validator(mode="after")
    def _kubernetes_rules(self) -> Toleration:
        problems = []
        if self.key:
            problem = qualified_name_problem(self.key)
            if problem:
                problems.append(f"key {problem}")
        elif self.operator != TolerationOperator.EXISTS:
            problems.append(
                "an empty key needs operator Exists (which tolerates every taint); set key, or operator: Exists"
            )
        if self.operator == TolerationOperator.EXISTS and self.value:
            problems.append(f"operator Exists matches any value; drop value {self.value!r}")
        elif self.operator == TolerationOperator.EQUAL:
            problem = label_value_problem(self.value)
            if problem:
                problems.append(f"value {problem}")
        if self.toleration_seconds is not None and self.effect != TaintEffect.NO_EXECUTE:
            problems.append("tolerationSeconds applies only to effect NoExecute; set effect: NoExecute or drop it")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def manifest(self) -> dict[str, Any]:
        """The toleration in Kubernetes' spelling, without the fields left at their defaults."""
        entry: dict[str, Any] = {"operator": str(self.operator)}
        if self.key:
            entry["key"] = self.key
        if self.value:
            entry["value"] = self.value
        if self.effect is not None:
            entry["effect"] = str(self.effect)
        if self.toleration_seconds is not None:
            entry["tolerationSeconds"] = self.toleration_seconds
        return entry


def port_name_problem(name: str) -> str | None:
    """Kubernetes' IANA_SVC_NAME rule for a port's name, or None."""
    if (
        len(name) > 15
        or not _PORT_NAME.match(name)
        or not re.search("[a-z]", name)
        or "--" in name
        or name.startswith("-")
        or name.endswith("-")
    ):
        return (
            f"{name!r} is not a port name; allowed: at most 15 of a-z, 0-9 and '-', at least one letter, "
            "no '--', not starting or ending with '-' (such as http or metrics)"
        )
    return None


class ContainerPort(Strict):
    """A port the container listens on (Kubernetes' ContainerPort, without hostPort)."""

    container_port: StrictInt = Field(ge=1, le=PORT_MAX)
    """Port number, 1-65535."""
    name: str | None = None
    """Name Services can refer to (IANA_SVC_NAME: at most 15 of a-z, 0-9, '-'), unique in the container."""
    protocol: PortProtocol = PortProtocol.TCP
    """TCP (the default), UDP or SCTP."""

    @model_validator(mode="after")
    def _name(self) -> ContainerPort:
        problem = port_name_problem(self.name) if self.name is not None else None
        if problem:
            raise ValueError(f"name {problem}")
        return self

    def manifest(self) -> dict[str, Any]:
        """The port in Kubernetes' spelling."""
        entry: dict[str, Any] = {"containerPort": self.container_port, "protocol": str(self.protocol)}
        if self.name is not None:
            entry["name"] = self.name
        return entry


def ports_problem(ports: Sequence[ContainerPort]) -> str | None:
    """Ports of one container the API server refuses (a name twice) or warns about (a port twice), or None."""
    problems = [
        f"ports: name {name!r} is used by ports {indexes}; names are unique in a container (the API server refuses it)"
        for name, indexes in repeated((p.name, i) for i, p in enumerate(ports) if p.name is not None)
    ]
    problems += [
        f"ports: {port}/{protocol} is listed by ports {indexes}; list each port once"
        for (port, protocol), indexes in repeated(((p.container_port, str(p.protocol)), i) for i, p in enumerate(ports))
    ]
    return "; ".join(problems) or None


def image_pull_secrets_problem(names: Sequence[str]) -> str | None:
    """Secrets named twice in ``imagePullSecrets``, or None."""
    twice = [f"{name!r} is listed {count} times" for name, count in repeats(names)]
    return f"imagePullSecrets: {', '.join(twice)}; list each Secret once" if twice else None


ContainerPorts = Annotated[list[ContainerPort], refusing(ports_problem)]
ImagePullSecrets = Annotated[list[DnsSubdomain], refusing(image_pull_secrets_problem)]
