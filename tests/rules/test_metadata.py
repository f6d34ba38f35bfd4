"""Label and annotation keys and values, as the API server checks them (apimachinery's rules)."""

from __future__ import annotations

import pytest

from keyvault_csi.rules.metadata import (
    ANNOTATIONS_MAX_BYTES,
    annotations_problem,
    label_value_problem,
    labels_problem,
    qualified_name_problem,
    reserved_keys_problem,
)
from keyvault_csi.rules.secret_sync import SecretObject


@pytest.mark.parametrize("key", ["app", "team.name", "a_b-c", "example.com/team", "k8s.io/x", "A1", "x" * 63])
def test_qualified_names_kubernetes_accepts(key: str) -> None:
    assert qualified_name_problem(key) is None


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("", "is not a valid key"),
        ("-app", "is not a valid key"),
        ("app_", "is not a valid key"),
        ("x" * 64, "is not a valid key"),
        ("example.com/", "is not a valid key"),
        ("/team", "invalid prefix ''"),
        ("Example.com/team", "invalid prefix 'Example.com'"),
        ("exa_mple.com/team", "invalid prefix"),
        ("a/b/c", "invalid prefix 'a/b'"),
    ],
)
def test_qualified_names_kubernetes_refuses(key: str, fragment: str) -> None:
    problem = qualified_name_problem(key)
    assert problem is not None and fragment in problem and repr(key) in problem


@pytest.mark.parametrize(("value", "ok"), [("", True), ("v1.2_x-y", True), ("-v", False), ("v" * 64, False)])
def test_label_values(value: str, ok: bool) -> None:
    assert (label_value_problem(value) is None) is ok


def test_labels_report_every_bad_key_and_value() -> None:
    problem = labels_problem({"ok": "fine", "bad key": "x", "team": "-x"})
    assert problem is not None
    assert "label 'bad key' is not a valid key" in problem and "label value '-x' is not valid" in problem
    assert labels_problem({"app.kubernetes.io/component": "api"}) is None


def test_annotation_keys_are_checked_lower_cased_and_their_size_is_limited() -> None:
    # ValidateAnnotations lower-cases a key before IsQualifiedName: a label could not use this key.
    assert annotations_problem({"Example.com/Owner": "any value, even spaces"}) is None
    assert labels_problem({"Example.com/Owner": "x"}) is not None
    problem = annotations_problem({"example_com/owner": "x"})
    assert problem is not None and problem.startswith("annotation 'example_com/owner' has an invalid prefix")
    big = {"a": "x" * (ANNOTATIONS_MAX_BYTES - 1)}
    assert annotations_problem(big) is None
    too_big = annotations_problem({"a": "x" * ANNOTATIONS_MAX_BYTES})
    assert too_big is not None and f"at most {ANNOTATIONS_MAX_BYTES}" in too_big


def test_reserved_keys_name_our_value() -> None:
    problem = reserved_keys_problem({"app": "x", "owner": "y"}, {"owner": "keyvault-csi"}, "on everything")
    assert problem == "'owner' is set by keyvault-csi (owner: 'keyvault-csi', on everything); use another key"
    assert reserved_keys_problem({"app": "x"}, {"owner": "keyvault-csi"}, "on everything") is None


def test_synced_secrets_use_the_same_rules() -> None:
    base = {"secretName": "s", "data": [{"objectName": "db", "key": "k"}]}
    SecretObject.model_validate(base | {"annotations": {"Example.com/owner": "x"}})
    with pytest.raises(ValueError, match="label value '-x' is not valid"):
        SecretObject.model_validate(base | {"labels": {"team": "-x"}})
