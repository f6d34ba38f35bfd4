"""Evaluate stacks as they are at another git ref, for ``make plan BASE=<ref>`` and the PR comment.

The ref is checked out into a temporary ``git worktree`` (removed afterwards, also on failure) and
evaluated there by a child process running *that ref's own* program, stack files and mock runtime
(its ``tools.review.plan.evaluate_stack``) in a throwaway virtualenv that imports the ref's own
``keyvault_csi`` (:func:`base_environment`). The child hands the recorded
graph back as JSON; it is rendered here, by the current renderer, exactly like the head side. So
a diff shows what the two refs *declare*, never how two versions of the rendering differ, and a
ref that predates ``graph.json`` still gets one. A ref without ``tools/plan.py`` (before the
offline plan existed) cannot be evaluated: that is reported as a :class:`BaseRefError`.

The child starts before the head is evaluated, so both evaluations run at the same time.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from keyvault_csi.testing.mockgraph import Graph, RecordedInvoke, RecordedResource
from tools.review.stackfile import ROOT

# Runs inside the worktree (its own ``tools`` package) and writes {stack: {graph | missing | error}}.
_CHILD = r"""
import dataclasses, json, pathlib, sys
out, stacks = pathlib.Path(sys.argv[1]), sys.argv[2:]
try:
    from tools.review.plan import evaluate_stack
    from tools.review.stackfile import stack_file
except ImportError:
    try:  # refs from before the package layout (tools/plan.py, flat components/)
        from tools.plan import evaluate_stack
        from tools.stackfile import stack_file
    except ImportError as error:
        out.write_text(json.dumps({"error": f"this ref has no offline plan (tools/review/plan.py): {error}"}))
        sys.exit(0)
results = {}
for stack in stacks:
    if not stack_file(stack).exists():
        results[stack] = {"missing": True}
        continue
    try:
        results[stack] = {"graph": dataclasses.asdict(evaluate_stack(stack))}
    except Exception as error:  # a broken stack at the base is reported, not fatal
        results[stack] = {"error": f"{type(error).__name__}: {error}".strip()}
out.write_text(json.dumps(results, default=str))
"""


class BaseRefError(RuntimeError):
    """The ref does not exist or cannot be evaluated at all."""


@dataclasses.dataclass(frozen=True)
class BaseStack:
    """One stack at the base ref: its graph, or why there is none."""

    graph: Graph | None
    missing: bool = False
    error: str | None = None


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its stdout, stripped. Failures raise :class:`BaseRefError` with git's message."""
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BaseRefError(f"git {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def overlay_venv(venv: Path, first: Sequence[Path] = ()) -> Path:
    """A new virtualenv (no pip) that sees ``first``, then this environment's site-packages; its Python.

    The folders are named in a ``.pth`` file, the way ``pip install -e`` installs a package. This
    environment also holds the editable install of this checkout, but a folder named in a ``.pth``
    is not scanned for ``.pth`` files, so that install stays out.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    lines = [*map(str, first), sysconfig.get_paths()["purelib"]]
    (site / "keyvault_csi_overlay.pth").write_text("".join(f"{line}\n" for line in lines))
    return venv / "bin" / "python"


def base_environment(tree: Path, venv: Path) -> Path:
    """A throwaway virtualenv that imports ``keyvault_csi`` from the base ref's ``tree``, the rest from ours."""
    return overlay_venv(venv, [tree / "components"])


def resolve(ref: str, repo: Path = ROOT) -> str:
    """The full commit id ``ref`` names in ``repo``."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except BaseRefError:
        raise BaseRefError(f"unknown git ref {ref!r} in {repo}") from None


class BaseRender:
    """A base-ref evaluation running in the background: create with the stacks, then :meth:`result`."""

    def __init__(self, ref: str, stacks: Sequence[str], repo: Path = ROOT) -> None:
        self.ref, self.stacks, self.repo = ref, list(stacks), repo
        self.commit = resolve(ref, repo)
        self._tmp = Path(tempfile.mkdtemp(prefix="keyvault-csi-base-"))
        self._tree = self._tmp / "tree"
        self._out = self._tmp / "graphs.json"
        self._results: dict[str, BaseStack] | None = None
        self._process: subprocess.Popen[str] | None = None
        try:
            git(repo, "worktree", "add", "--detach", "--quiet", str(self._tree), self.commit)
            python = base_environment(self._tree, self._tmp / "venv")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            env.update(PYTHONDONTWRITEBYTECODE="1")
            self._process = subprocess.Popen(
                [str(python), "-c", _CHILD, str(self._out), *self.stacks],
                cwd=self._tree,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except BaseException:
            self._cleanup()
            raise

    def result(self) -> dict[str, BaseStack]:
        """Wait for the child, remove the worktree, and return each stack's base graph (cached)."""
        if self._results is None:
            assert self._process is not None  # set in __init__ or __init__ raised
            try:
                _, stderr = self._process.communicate()
                if self._process.returncode != 0 or not self._out.exists():
                    tail = "\n".join(stderr.strip().splitlines()[-15:])
                    raise BaseRefError(f"evaluating {self.label} failed:\n{tail}")
                data = json.loads(self._out.read_text())
            finally:
                self._cleanup()
            if isinstance(data.get("error"), str):
                raise BaseRefError(f"{self.label}: {data['error']}")
            self._results = {stack: _base_stack(data.get(stack, {"missing": True})) for stack in self.stacks}
        return self._results

    @property
    def label(self) -> str:
        """``main (0123456789ab)``: the ref as given and the commit it named."""
        return f"{self.ref} ({self.commit[:12]})"

    def close(self) -> None:
        """Stop the child if it is still running and remove the worktree (idempotent)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.communicate()
        self._cleanup()

    def __enter__(self) -> BaseRender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _cleanup(self) -> None:
        if self._tree.exists():
            try:
                git(self.repo, "worktree", "remove", "--force", str(self._tree))
            except BaseRefError:
                shutil.rmtree(self._tree, ignore_errors=True)
                subprocess.run(["git", "-C", str(self.repo), "worktree", "prune"], capture_output=True, check=False)
        shutil.rmtree(self._tmp, ignore_errors=True)


def _base_stack(entry: dict[str, Any]) -> BaseStack:
    if entry.get("missing"):
        return BaseStack(graph=None, missing=True)
    if "error" in entry:
        return BaseStack(graph=None, error=entry["error"])
    return BaseStack(graph=graph_from_json(entry["graph"]))


def graph_from_json(data: dict[str, Any]) -> Graph:
    """Rebuild a :class:`Graph` from ``dataclasses.asdict`` of an older or newer recorder.

    Fields the other ref does not record get empty defaults; fields it has and we do not are dropped.
    """
    nested = {
        "resources": [_record(RecordedResource, r) for r in data.get("resources", [])],
        "invokes": [_record(RecordedInvoke, i) for i in data.get("invokes", [])],
    }
    return _record(Graph, {**data, **nested})


def _record(cls: type, values: dict[str, Any]) -> Any:
    return cls(**{f.name: values[f.name] if f.name in values else _empty(str(f.type)) for f in dataclasses.fields(cls)})


def _empty(annotation: str) -> Any:
    # The recorder's module uses ``from __future__ import annotations``: field types are strings
    # such as "dict[str, list[str]]"; a fresh empty value of the outer type stands in.
    return {"str": "", "bool": False, "list": [], "dict": {}}.get(annotation.split("[", 1)[0].strip())
