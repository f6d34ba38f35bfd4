"""Tolerations, container ports and image pull secrets, with the API server's rules."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from keyvault_csi.rules.pod_fields import (
    ContainerPort,
    Toleration,
    image_pull_secrets_problem,
    port_name_problem,
    ports_problem,
)


@pytest.mark.parametrize(
    ("given", "manifest"),
    [
        (
            {"key": "dedicated", "value": "secrets", "effect": "NoSchedule"},
            {"key": "dedicated", "operator": "Equal", "value": "secrets", "effect": "NoSchedule"},
        ),
        (
            {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists"},
            {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists"},
        ),
        ({"operator": "Exists"}, {"operator": "Exists"}),  # every taint
        (
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 30,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 30,
            },
        ),
        (
            {"key": "k", "toleration_seconds": 0, "effect": "NoExecute"},
            {"key": "k", "operator": "Equal", "effect": "NoExecute", "tolerationSeconds": 0},
        ),
    ],
)
def test_tolerations_kubernetes_accepts(given: dict[str, Any], manifest: dict[str, Any]) -> None:
    assert Toleration.model_validate(given).manifest() == manifest


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({}, "an empty key needs operator Exists"),
        ({"value": "x"}, "an empty key needs operator Exists"),
        ({"key": "k", "operator": "Exists", "value": "x"}, "operator Exists matches any value; drop value 'x'"),
        ({"key": "k", "value": "not a label value"}, "value 'not a label value' is not valid"),
        ({"key": "bad key"}, "key 'bad key' is not a valid key"),
        ({"key": "k", "tolerationSeconds": 30}, "tolerationSeconds applies only to effect NoExecute"),
        ({"key": "k", "effect": "NoSchedule", "tolerationSeconds": 30}, "applies only to effect NoExecute"),
        ({"key": "k", "operator": "Lt"}, "Input should be 'Equal' or 'Exists'"),
        ({"key": "k", "effect": "NoExecution"}, "Input should be 'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
        ({"key": "k", "effect": "NoExecute", "tolerationSeconds": -1}, "greater than or equal to 0"),
    ],
)
def test_tolerations_kubernetes_refuses(given: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Toleration.model_validate(given)


@pytest.mark.parametrize("name", ["http", "metrics", "h2c", "web-8080", "a" * 15])
def test_port_names_kubernetes_accepts(name: str) -> None:
    assert port_name_problem(name) is None


@pytest.mark.parametrize("name", ["", "HTTP", "8080", "-http", "http-", "my--port", "a" * 16, "my_port"])
def test_port_names_kubernetes_refuses(name: str) -> None:
    problem = port_name_problem(name)
    assert problem is not None and repr(name) in problem and "at least one letter" in problem


def test_container_ports() -> None:
    assert ContainerPort.model_validate({"containerPort": 8080}).manifest() == {
        "containerPort": 8080,
        "protocol": "TCP",
    }
    assert ContainerPort.model_validate({"container_port": 53, "protocol": "UDP", "name": "dns"}).manifest() == {
        "containerPort": 53,
        "protocol": "UDP",
        "name": "dns",
    }
    for bad in (0, 65536):
        with pytest.raises(ValidationError, match="container_port|containerPort"):
            ContainerPort.model_validate({"containerPort": bad})
    with pytest.raises(ValidationError, match="name 'HTTP' is not a port name"):
        ContainerPort.model_validate({"containerPort": 80, "name": "HTTP"})
    with pytest.raises(ValidationError, match="Input should be 'TCP', 'UDP' or 'SCTP'"):
        ContainerPort.model_validate({"containerPort": 80, "protocol": "tcp"})


def test_ports_of_one_container_are_unique() -> None:
    ports = [
        ContainerPort.model_validate(p)
        for p in (
            {"containerPort": 8080, "name": "http"},
            {"containerPort": 8081, "name": "http"},
            {"containerPort": 8080},
            {"containerPort": 8080, "protocol": "UDP"},
        )
    ]
    assert ports_problem(ports) == (
        "ports: name 'http' is used by ports [0, 1]; names are unique in a container (the API server refuses it); "
        "ports: 8080/TCP is listed by ports [0, 2]; list each port once"
    )
    assert ports_problem(ports[1:2] + ports[3:]) is None


def test_image_pull_secrets_are_listed_once() -> None:
    assert image_pull_secrets_problem(["acr", "ghcr", "acr"]) == (
        "imagePullSecrets: 'acr' is listed 2 times; list each Secret once"
    )
    assert image_pull_secrets_problem(["acr", "ghcr"]) is None
