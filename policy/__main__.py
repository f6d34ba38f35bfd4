"""Entry point the Pulumi CLI runs for ``pulumi preview --policy-pack policy``.

The CLI starts this file from ``policy/`` with ``policy/venv`` (see PulumiPolicy.yaml), so
``keyvault_csi_policy`` is importable as a top-level package. ``PolicyPack`` serves the policies
over gRPC until the CLI stops it. Its version is PulumiPolicy.yaml's: pulumi-policy's PolicyPack takes
none, and the CLI prefers the file's (kept equal to pyproject.toml's by tests/policy/test_pack.py).
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from keyvault_csi_policy import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
