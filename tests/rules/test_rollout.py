"""When Pods are replaced: the objects' digest, Stakater Reloader's annotation, the driver's rotation."""

from __future__ import annotations

import re

import pytest

from keyvault_csi.rules.rollout import RELOADER_SECRET_ANNOTATION, driver_rotation_problem, reloader_annotations


def test_reloader_annotation_names_each_secret_once_sorted() -> None:
    assert reloader_annotations(["tls", "db", "tls"]) == {RELOADER_SECRET_ANNOTATION: "db,tls"}
    assert RELOADER_SECRET_ANNOTATION == "secret.reloader.stakater.com/reload"
    assert reloader_annotations([]) == {}


def test_each_entry_matches_only_its_own_secret_as_reloader_reads_it() -> None:
    # Reloader splits the value on ',' and matches each entry as the anchored regular expression ^entry$.
    (value,) = reloader_annotations(["db.creds", "api-keys"]).values()
    entries = [re.compile(f"^{entry.strip()}$") for entry in value.split(",")]

    def reloads(secret: str) -> bool:
        return any(entry.match(secret) for entry in entries)

    assert reloads("db.creds") and reloads("api-keys")
    assert not reloads("dbxcreds") and not reloads("db-creds") and not reloads("api-keys-old")


@pytest.mark.parametrize(
    ("install", "enabled", "fragment"),
    [
        ("helm", None, "the Helm release has rotation off"),
        ("helm", False, "the Helm release has rotation off"),
        ("aksAddon", None, "so the add-on's rotation is verified"),
        ("aksAddon", False, "so the add-on's rotation is verified"),
        ("helm", True, None),
        ("aksAddon", True, None),
        ("none", None, None),  # not known: a warning, not an error
    ],
)
def test_on_rotation_needs_a_rotating_driver(install: str, enabled: bool | None, fragment: str | None) -> None:
    problem = driver_rotation_problem(install, enabled)
    if fragment is None:
        assert problem is None
    else:
        assert problem is not None and fragment in problem and "driver.rotation: {enabled: true}" in problem
