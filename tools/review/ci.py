"""Small decisions the GitHub workflows make, as tested Python instead of untested shell.

Standard library only: the steps run with the runner's ``python3`` before any virtualenv exists.

* ``python3 -m tools.review.ci stacks`` → ``stacks=["dev","prod"]`` (the preview / drift matrix);
* ``python3 -m tools.review.ci credentials --on-missing notice|error`` → ``configured=true|false``: are the
  Azure ids and the state backend configured, and may this run use them (``RESTRICTED_PR`` is not
  ``true``: not a pull request from a fork or Dependabot)? When not, a ``::notice::`` skips the
  Pulumi steps (previews, drift) or an ``::error::`` fails the job (a deployment must never be
  skipped silently);
* ``python3 -m tools.review.ci policy-packs`` → ``packs=policy`` when ``policy/PulumiPolicy.yaml`` exists,
  else ``packs=``.

Each appends its ``key=value`` outputs to the file named by ``$GITHUB_OUTPUT`` (and prints them);
annotations go to stdout, where the runner picks them up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "AZURE_CLIENT_ID": "client id of the Entra app / managed identity with federated credentials",
    "AZURE_TENANT_ID": "Entra tenant id",
    "AZURE_SUBSCRIPTION_ID": "subscription the stacks deploy to",
    "PULUMI_BACKEND_URL": "self-managed state backend, e.g. azblob://state?storage_account=<account>",
}


def stack_names_in(folder: Path) -> list[str]:
    """The stack names of the ``Pulumi.<stack>.yaml`` files in ``folder``, sorted."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in folder.glob("Pulumi.*.yaml"))


def stack_names(root: Path = ROOT) -> list[str]:
    """Stacks with a ``stacks/Pulumi.<stack>.yaml``, sorted."""
    return stack_names_in(root / "stacks")


def credentials(env: Mapping[str, str], on_missing: str) -> tuple[bool, str | None]:
    """(configured, annotation): may this run reach Azure, and if not, the message saying why."""
    level = "error" if on_missing == "error" else "notice"
    if env.get("RESTRICTED_PR", "").lower() == "true":
        return False, (
            f"::{level} title=Pulumi skipped::pull request from a fork or Dependabot: GitHub gives it no secrets "
            "and no OIDC token, so there is no cloud preview; the offline plan diff covers it"
        )
    missing = [name for name in REQUIRED if not env.get(name, "").strip()]
    if missing:
        wanted = "; ".join(f"{name} ({REQUIRED[name]})" for name in missing)
        return (
            False,
            f"::{level} title=Pulumi skipped::not configured, set repository or environment variables: {wanted}",
        )
    return True, None


def policy_pack(root: Path = ROOT) -> str:
    """The local policy pack to run with previews (``policy`` when ``policy/`` is one), or ""."""
    return "policy" if (root / "policy" / "PulumiPolicy.yaml").is_file() else ""


def emit(outputs: Mapping[str, str], env: Mapping[str, str]) -> None:
    """Step outputs: appended to ``$GITHUB_OUTPUT`` when set, printed either way (single-line values)."""
    lines = "".join(f"{key}={value}\n" for key, value in outputs.items())
    if env.get("GITHUB_OUTPUT"):
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(lines)
    print(lines, end="")


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("stacks")
    check = commands.add_parser("credentials")
    check.add_argument("--on-missing", choices=["notice", "error"], default="notice")
    commands.add_parser("policy-packs")
    args = parser.parse_args(argv)
    env = os.environ if env is None else env
    if args.command == "stacks":
        emit({"stacks": json.dumps(stack_names(), separators=(",", ":"))}, env)
        return 0
    if args.command == "policy-packs":
        emit({"packs": policy_pack()}, env)
        return 0
    configured, annotation = credentials(env, args.on_missing)
    emit({"configured": "true" if configured else "false"}, env)
    if annotation:
        print(annotation)
    return 1 if annotation and args.on_missing == "error" else 0


if __name__ == "__main__":
    sys.exit(main())
