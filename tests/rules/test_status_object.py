"""The driver's per-Pod status object and a Deployment's generated names must fit a Kubernetes name."""

from __future__ import annotations

from keyvault_csi.rules.status_object import (
    MAX_NAME,
    deployment_name_problems,
    deployment_pod_name_length,
    status_name_length,
    status_name_problem,
)


def test_the_status_name_is_pod_namespace_class_joined_by_dashes() -> None:
    pod, namespace, class_name = "web", "shop", "azure-kv-web"
    assert status_name_length(len(pod), namespace, class_name) == len(f"{pod}-{namespace}-{class_name}")


def test_a_bare_pod_fits_up_to_253_characters() -> None:
    namespace, class_name = "n" * 63, "c" * 100
    fitting = "p" * (MAX_NAME - 2 - 63 - 100)
    assert status_name_problem(fitting, namespace, class_name, "pod.name") is None
    problem = status_name_problem(fitting + "p", namespace, class_name, "pod.name or namespace")
    assert problem is not None
    assert "<pod>-<namespace>-<class>: Pod 89, namespace 63 and class 100 characters make 254" in problem
    assert "at most 253, so every mount would fail after writing the files; shorten pod.name or namespace" in problem


def test_kubernetes_names_a_deployments_pods_up_to_63_characters() -> None:
    # <deployment>-<hash of at most 10>-, cut to 58, then 5 random characters.
    assert deployment_pod_name_length("web") == len("web") + 1 + 10 + 1 + 5
    assert deployment_pod_name_length("d" * 46) == 63
    assert deployment_pod_name_length("d" * 200) == 63


def test_deployment_pods_status_objects_are_checked_at_their_longest_name() -> None:
    namespace = "n" * 63
    fits = "c" * (MAX_NAME - 63 - 2 - 63)
    assert deployment_name_problems("d" * 100, namespace, fits, "secretProviderClass") == []
    (problem,) = deployment_name_problems("d" * 100, namespace, fits + "c", "secretProviderClass")
    assert "Pods named up to 63 (<deployment>-<hash>-<5 random>), namespace 63 and class 126 characters make 254" in (
        problem
    )
    # A short Deployment name gives short Pod names: the same class fits.
    assert deployment_name_problems("web", namespace, fits + "c", "secretProviderClass") == []


def test_a_deployment_name_leaves_room_for_its_replica_set_hash() -> None:
    assert deployment_name_problems("d" * 242, "ns", "c", "x") == []
    (problem,) = deployment_name_problems("d" * 243, "ns", "c", "x")
    assert "may have at most 242 characters (it has 243)" in problem
