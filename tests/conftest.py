"""Fixtures every test package shares (helpers that are not fixtures live in ``tests/support.py``)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.support import CRD_PATH


@pytest.fixture(scope="session")
def v1_schema() -> dict[str, Any]:
    """The v1 ``openAPIV3Schema`` of the published SecretProviderClass CRD (vendored)."""
    crd = yaml.safe_load(CRD_PATH.read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema
