"""Test helpers: :class:`KeyVaultCsiMocks` for unit tests of programs that embed keyvault-csi,
``mockgraph`` (the project's recording mock engine) and ``arm_server`` (a local HTTPS ARM).

``KeyVaultCsiMocks`` is imported on first use, so ``keyvault_csi.testing.arm_server`` loads no Pulumi.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["KeyVaultCsiMocks"]


def __getattr__(name: str) -> Any:
    if name != "KeyVaultCsiMocks":
        raise AttributeError(f"module 'keyvault_csi.testing' has no attribute {name!r}")
    return importlib.import_module("keyvault_csi.testing.mocks").KeyVaultCsiMocks


if TYPE_CHECKING:
    from keyvault_csi.testing.mocks import KeyVaultCsiMocks
