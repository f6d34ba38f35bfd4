"""The repository's own rules, loaded by file path so the pack needs only pydantic and PyYAML.

``components/objects.py`` (the provider's object fields) and ``components/naming.py`` (Azure name
rules) are the single source of those rules. Importing them as ``components.objects`` would run
``components/__init__.py``, which imports pulumi-azure-native, pulumi-kubernetes and the Azure SDK:
seconds of start-up and a heavy virtualenv for a policy pack. Both files import only the standard
library, pydantic and PyYAML, so they are executed here as stand-alone modules. This works the same
from the repository (tests) and from ``pulumi preview --policy-pack policy``, whose working
directory is ``policy/``: the path is found from this file, not from the current directory.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPOSITORY = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    module_name = f"keyvault_csi_policy._components_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = REPOSITORY / "components" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"keyvault-csi policy pack: cannot load {path}; run the pack from the keyvault-csi repository")
    module = importlib.util.module_from_spec(spec)
    # Registered before running: pydantic resolves the models' annotations through sys.modules.
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


objects = _load("objects")
naming = _load("naming")

KeyVaultObject = objects.KeyVaultObject
parse_objects = objects.parse_objects
KEY_VAULT_NAME = naming.KEY_VAULT_NAME
