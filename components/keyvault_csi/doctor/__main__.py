"""python -m keyvault_csi.doctor: Pod stuck in ContainerCreating? The cause and fix of each secrets-store FailedMount.

Input (one of): ``kubectl get events -A -o json`` on stdin, ``--events FILE``, or ``--kubeconfig PATH``
(``--context NAME``) with the ``kubernetes`` Python client installed. ``--stack STACK`` adds, per
finding, what the stack's offline plan (``make plan STACK=<stack>``) declares and the stack-file key
to change; for a Key Vault 403, the verdict (doctor/verdict.py). ``--outputs FILE`` (the stack's
``pulumi stack output --json``) lets that verdict compare the denied caller with the deployed identity.

Exit codes: 0 no secrets-store mount failure found, 1 some found (printed), 2 usage or input error
(unreadable events, bad JSON, missing plan, missing kubernetes client).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import Finding, diagnose
from .events import InputError, PodEvent, parse_json, read_cluster, read_file, read_stream, read_text
from .verdict import Verdict

EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m keyvault_csi.doctor",
        description="Name the cause and the fix of every secrets-store FailedMount in Kubernetes events.",
        epilog="exit codes: 0 no mount failure found, 1 mount failures found, 2 usage or input error. "
        "Example: kubectl get events -A -o json | python -m keyvault_csi.doctor --stack dev",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--events", metavar="FILE", help="a `kubectl get events -A -o json` file ('-': stdin, the default)"
    )
    source.add_argument(
        "--kubeconfig", metavar="PATH", help="read the events from the cluster (needs the kubernetes client)"
    )
    parser.add_argument("--context", help="kubeconfig context (with --kubeconfig)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of {pod, cause, fix, message}")
    parser.add_argument("--stack", help="cross-check with a stack's offline plan: dev, prod, examples/<name>")
    parser.add_argument(
        "--plan-dir", default="build/plan", help="where `make plan` wrote the plans (default: build/plan)"
    )
    parser.add_argument(
        "--outputs",
        metavar="FILE",
        help="with --stack: `pulumi stack output --json` of the deployed stack, to compare a 403's caller with "
        "its identity (offline the plan only has placeholders)",
    )
    return parser


def _read(args: argparse.Namespace, stdin: TextIO) -> list[PodEvent]:
    if args.kubeconfig:
        return read_cluster(args.kubeconfig, args.context)
    if args.events and args.events != "-":
        return read_file(args.events)
    if stdin.isatty():
        raise InputError(
            "no events: pipe `kubectl get events -A -o json` in, or pass --events FILE or --kubeconfig PATH"
        )
    return read_stream(stdin)


def read_outputs(path: str) -> Mapping[str, Any]:
    """A ``pulumi stack output --json`` document."""
    document = parse_json(read_text(path), path)
    if not isinstance(document, Mapping):
        raise InputError(f"{path}: expected the object `pulumi stack output --json` prints")
    return document


def render_text(findings: Sequence[Finding], hints: Sequence[str | None]) -> str:
    if not findings:
        return "No secrets-store mount failures found.\n"
    lines = []
    for finding, hint in zip(findings, hints, strict=True):
        seen = f" (x{finding.count}, last {finding.last_seen})" if finding.last_seen else f" (x{finding.count})"
        lines.append(f"{finding.pod}: {finding.cause}{seen}")
        if finding.denial is not None:
            lines.append(f"  denied: {finding.denial.describe()}")
        lines.append(f"  fix: {finding.fix}")
        if hint:
            lines.append(f"  {hint}")
    pods = len({f.pod for f in findings})
    lines.append(f"{len(findings)} mount failure cause(s) on {pods} Pod(s).")
    return "\n".join(lines) + "\n"


def render_json(findings: Sequence[Finding], hints: Sequence[str | None], verdicts: Sequence[Verdict | None]) -> str:
    rows = []
    for finding, hint, verdict in zip(findings, hints, verdicts, strict=True):
        row = finding.as_json()
        if hint:
            row["stack"] = hint
        if verdict is not None:
            row["verdict"] = verdict.as_json()
        rows.append(row)
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit_.code or 0)
    for option, needs in (("context", "kubeconfig"), ("outputs", "stack")):
        if getattr(args, option) and not getattr(args, needs):
            print(f"error: --{option} needs --{needs}", file=stderr)
            return EXIT_ERROR
    try:
        findings = diagnose(_read(args, stdin))
        hints: list[str | None] = [None] * len(findings)
        verdicts: list[Verdict | None] = [None] * len(findings)
        if args.stack:
            from .plan import load  # only --stack needs the plan reader

            outputs = read_outputs(args.outputs) if args.outputs else None
            plan = load(args.stack, Path(args.plan_dir), Path.cwd(), outputs)
            hints = [plan.hint(f) for f in findings]
            verdicts = [plan.verdict(f) for f in findings]
    except InputError as error:
        print(f"error: {error}", file=stderr)
        return EXIT_ERROR
    stdout.write(render_json(findings, hints, verdicts) if args.json else render_text(findings, hints))
    return EXIT_FOUND if findings else EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
