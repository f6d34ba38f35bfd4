"""The review tooling: plan files (goldens), graph.json, the Mermaid picture, plan diffs and the PR comment.

Goldens live in ``tests/golden/<example>/`` (manifests + graph.json + graph.mmd, exactly what
``make plan STACK=examples/<example>`` writes). After an intended change to what a stack renders,
regenerate them and review the golden diff like any other change::

    KEYVAULT_CSI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_review.py

The two-ref tests build a throwaway git repository from this working tree with a change to the dev
stack committed, and run the real CLIs (``tools.review.plan --base``, ``tools.review.comment``) against it: a
temporary worktree and a child evaluation per run.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import NODE_IDENTITY as DYNAMIC
from tests.support import ROOT, base_settings, run_program, stack_graph
from tools.review.base_ref import BaseRefError, BaseRender, graph_from_json
from tools.review.comment import MARKER, comment_body, fitting_comment
from tools.review.comment import main as review_main
from tools.review.plan import main as plan_main
from tools.review.plan_compare import StackComparison
from tools.review.plan_diff import NO_CHANGES, compare, format_text
from tools.review.plan_files import GRAPH_JSON, GRAPH_MERMAID, RenderedPlan, render_plan, write_plan
from tools.review.plan_graph import SECRET
from tools.review.stackfile import available_stacks, stack_label

GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = [stack for stack in available_stacks() if stack.startswith("examples/")]
UPDATE_GOLDEN = os.environ.get("KEYVAULT_CSI_UPDATE_GOLDEN") == "1"


def plan_of(stack: str) -> RenderedPlan:
    return render_plan(stack_graph(stack), stack_label(stack))


# --- Mermaid: a strict reader of the subset tools/review/plan_mermaid.py writes ----------------------

MERMAID_KEYWORDS = {
    "end",
    "subgraph",
    "graph",
    "flowchart",
    "style",
    "classdef",
    "class",
    "click",
    "linkstyle",
    "call",
    "href",
    "default",
}
_ID = r"[A-Za-z][A-Za-z0-9_]*"
_LABEL = r'"[^"]*"'
_PATTERNS = {
    "subgraph": re.compile(rf"^subgraph ({_ID}) \[{_LABEL}\]$"),
    "node": re.compile(rf"^({_ID})(?:\[{_LABEL}\]|\{{\{{{_LABEL}\}}\}}|\[\({_LABEL}\)\])$"),
    "edge": re.compile(rf"^({_ID}) (?:-->|-\.->\|{_LABEL}\|) ({_ID})$"),
    "classdef": re.compile(rf"^classDef ({_ID}) [a-z-]+:[^ ]+(?: [^ ]+)*$"),
    "class": re.compile(rf"^class ({_ID}(?:,{_ID})*) ({_ID})$"),
}


@dataclasses.dataclass
class Flowchart:
    nodes: dict[str, str]  # id -> the line declaring it
    subgraphs: list[str]
    edges: list[tuple[str, str, str]]  # (source, target, line)


def parse_mermaid(text: str) -> Flowchart:
    """Parse a flowchart; AssertionError on anything Mermaid would reject or that we do not write."""
    statements = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("%%")]
    assert statements and statements[0] == "flowchart LR", statements[:1]
    chart, open_subgraphs, class_defs = Flowchart({}, [], []), [], set()
    declared: set[str] = set()

    def declare(node_id: str, line: str) -> None:
        assert node_id.lower() not in MERMAID_KEYWORDS, f"reserved word as id: {line}"
        assert node_id not in declared, f"declared twice: {node_id}"
        declared.add(node_id)

    for line in statements[1:]:
        if line == "end":
            assert open_subgraphs, "end without subgraph"
            open_subgraphs.pop()
        elif match := _PATTERNS["subgraph"].match(line):
            declare(match[1], line)
            chart.subgraphs.append(match[1])
            open_subgraphs.append(match[1])
        elif match := _PATTERNS["edge"].match(line):
            chart.edges.append((match[1], match[2], line))
        elif match := _PATTERNS["classdef"].match(line):
            class_defs.add(match[1])
        elif match := _PATTERNS["class"].match(line):
            assert match[2] in class_defs, f"class before classDef: {line}"
            assert set(match[1].split(",")) <= declared, f"class on an undeclared id: {line}"
        elif match := _PATTERNS["node"].match(line):
            declare(match[1], line)
            chart.nodes[match[1]] = line
        else:
            raise AssertionError(f"not a statement we write: {line!r}")
    assert not open_subgraphs, f"subgraphs never closed: {open_subgraphs}"
    for source, target, line in chart.edges:
        assert {source, target} <= declared, f"arrow between undeclared ids: {line}"
    return chart


def test_mermaid_reader_rejects_what_mermaid_rejects() -> None:
    good = 'flowchart LR\n  subgraph c_a ["A"]\n    r_x["x"]\n  end\n  r_y["y"]\n  r_x --> r_y\n'
    parse_mermaid(good)
    broken = {
        "unclosed subgraph": good.replace("  end\n", ""),
        "arrow to an undeclared id": good + "  r_x --> r_z\n",
        "unquoted label": good.replace('r_y["y"]', "r_y[y (1)]"),
        "quote inside a label": good.replace('r_y["y"]', 'r_y["a"b"]'),
        "keyword as id": good.replace("r_y", "end"),
        "id with a dash": good.replace("r_y", "r-y"),
    }
    for problem, text in broken.items():
        with pytest.raises(AssertionError):
            parse_mermaid(text)
            pytest.fail(problem)


# --- goldens -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_plans() -> dict[str, RenderedPlan]:
    return {stack: plan_of(stack) for stack in EXAMPLES}


@pytest.mark.parametrize("stack", EXAMPLES)
def test_plan_files_match_the_goldens(stack: str, example_plans: dict[str, RenderedPlan]) -> None:
    plan = example_plans[stack]
    folder = GOLDEN / plan.stack
    if UPDATE_GOLDEN:
        write_plan(plan, folder)
    assert folder.is_dir(), f"no golden for {stack}: run with KEYVAULT_CSI_UPDATE_GOLDEN=1 and review the files"
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}
    assert sorted(on_disk) == sorted(plan.files())
    for name, text in plan.files().items():
        assert text == on_disk[name], (
            f"{folder.name}/{name} differs from the plan (KEYVAULT_CSI_UPDATE_GOLDEN=1 to accept)"
        )


def test_plans_are_byte_identical_on_re_evaluation(example_plans: dict[str, RenderedPlan]) -> None:
    stack = "examples/system-assigned-msi"
    assert plan_of(stack).files() == example_plans[stack].files()


def test_written_plan_folder_holds_manifests_and_both_graph_files(tmp_path: Path) -> None:
    plan = plan_of("dev")
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "stale-from-last-plan.yaml").write_text("kind: Pod\n")
    written = write_plan(plan, tmp_path / "dev")
    names = sorted(p.name for p in written)
    assert names == sorted(p.name for p in (tmp_path / "dev").iterdir())
    assert GRAPH_JSON in names and GRAPH_MERMAID in names and "stale-from-last-plan.yaml" not in names
    assert sorted(n for n in names if n.endswith(".yaml")) == sorted(plan.manifests)
    assert json.loads((tmp_path / "dev" / GRAPH_JSON).read_text()) == plan.graph


# --- graph.json ----------------------------------------------------------------------------------


def test_graph_json_has_parents_dependencies_inputs_and_the_external_targets() -> None:
    graph = plan_of("dev").graph
    by_urn = {r["urn"]: r for r in graph["resources"]}
    assert list(by_urn) == sorted(by_urn) and graph["stack"] == "dev"
    for resource in graph["resources"]:
        assert resource["parent"] is None or by_urn[resource["parent"]]["kind"] == "component"
        assert set(resource["dependencies"]) <= set(by_urn)
    (pod,) = [r for r in graph["resources"] if r["type"] == "kubernetes:core/v1:Pod"]
    assert {by_urn[d]["type"].rsplit(":", 1)[-1] for d in pod["dependencies"]} == {
        "AccessPolicy",
        "FederatedIdentityCredential",
        "SecretProviderClass",
        "ServiceAccount",
    }
    assert pod["inputs"]["metadata"]["namespace"] == "shop" and pod["provider"].endswith("::kubernetes")
    targets = {t["kind"]: t for t in graph["targets"]}
    assert "scaleSet" not in targets  # workload identity: nothing on the nodes
    assert targets["keyVault"]["name"] == "kv-shop-dev"
    assert [w["action"] for w in targets["keyVault"]["writers"]] == ["grants keys get, secrets get"]
    scale_sets = [t for t in plan_of("prod").graph["targets"] if t["kind"] == "scaleSet"]
    assert sorted(t["name"] for t in scale_sets) == ["aks-system-27182818-vmss", "akswin-16180339-vmss"]
    assert all([w["action"] for w in t["writers"]] == ["assigns identity"] for t in scale_sets)


def test_rbac_grants_and_system_identities_name_their_target_and_what_they_write() -> None:
    prod = {t["key"]: t for t in plan_of("prod").graph["targets"]}
    vault = prod["keyvault:rg-shop-prod-secrets/kv-shop-prod"]
    assert sorted(w["action"] for w in vault["writers"]) == [
        "grants Key Vault Reader",
        "grants Key Vault Secrets User",
    ]
    system = plan_of("examples/system-assigned-msi").graph["targets"]
    assert sorted(t["kind"] for t in system) == ["keyVault", "scaleSet", "virtualMachine"]
    assert {w["action"] for t in system if t["kind"] != "keyVault" for w in t["writers"]} == {"enables system identity"}


def test_secrets_and_the_pickled_provider_never_reach_graph_json() -> None:
    plan = plan_of("prod")
    text = plan.graph_json()
    providers = {r["name"]: r for r in plan.graph["resources"] if r["kind"] == "provider"}
    assert providers["kubernetes"]["inputs"]["kubeconfig"] == SECRET
    assert "kubeconfig>" not in text  # the mock kubeconfig placeholder itself stays hidden
    node, _ = [r for r in plan.graph["resources"] if r["type"] == DYNAMIC]
    assert re.fullmatch(r"<dynamic provider sha256:[0-9a-f]{12}>", node["inputs"]["__provider"])
    assert "gASV" not in text  # no dill pickle (base64 of protocol 4+ starts so)


def test_secret_stack_outputs_are_masked() -> None:
    graph = stack_graph("dev")
    graph.secret_stack_outputs = ["identityClientId"]
    outputs = render_plan(graph, "dev").graph["outputs"]
    assert outputs["identityClientId"] == SECRET and outputs["pods"] == {
        "storefront": "storefront-secrets-store-inline"
    }


# --- graph.mmd -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod", *EXAMPLES])
def test_mermaid_parses_and_draws_every_resource_dependency_and_target(stack: str) -> None:
    plan = plan_of(stack)
    chart = parse_mermaid(plan.mermaid())
    resources = plan.graph["resources"]
    assert len(chart.subgraphs) == 2 + sum(1 for r in resources if r["kind"] == "component")  # + providers, targets
    assert len(chart.nodes) == len(plan.graph["targets"]) + sum(1 for r in resources if r["kind"] != "component")
    arrows = {(s, t) for s, t, line in chart.edges if "-->" in line}
    dependencies = {(d, r["urn"]) for r in resources if r["kind"] != "provider" for d in r["dependencies"]}
    assert len(arrows) == len(dependencies)
    writes = [line for _, _, line in chart.edges if "-.->" in line]
    assert len(writes) == sum(len(t["writers"]) for t in plan.graph["targets"])
    shapes = [line for line in chart.nodes.values() if line.startswith("t_")]
    assert sum("[(" in line for line in shapes) == sum(t["kind"] == "keyVault" for t in plan.graph["targets"])
    assert sum("{{" in line for line in shapes) == sum(t["kind"] != "keyVault" for t in plan.graph["targets"])


def test_mermaid_escapes_label_markup_and_keeps_ids_unique() -> None:
    from tools.review.plan_mermaid import label, node_ids

    assert label('a "b" <c> & d') == '"a #quot;b#quot; #lt;c#gt; #amp; d"'
    twins = [
        {"urn": "urn:a::x$k:m:T::n.1", "type": "k:m:T", "name": "n.1", "kind": "resource"},
        {"urn": "urn:a::y$k:m:T::n-1", "type": "k:m:T", "name": "n-1", "kind": "resource"},
    ]
    ids = node_ids(twins)
    assert len(set(ids.values())) == 2 and all(re.fullmatch(r"r_T_n_1_[0-9a-f]{6}", i) for i in ids.values())


# --- diffs (in process) --------------------------------------------------------------------------


def settings_plan(settings: dict, stack: str = "test") -> RenderedPlan:
    return render_plan(run_program(settings), stack)


@pytest.fixture(scope="module")
def base_plan() -> RenderedPlan:
    return settings_plan(base_settings("userAssigned"))


def test_same_plan_diffs_empty_and_says_no_changes(base_plan: RenderedPlan) -> None:
    again = settings_plan(base_settings("userAssigned"))
    diff = compare(base_plan, again)
    assert diff.empty and diff.manifest_diff == "" and diff.resources == ()
    assert diff.unchanged == len(again.graph["resources"])
    assert format_text(diff, base_label="a", head_label="b").splitlines()[-1] == NO_CHANGES


def test_changed_object_shows_in_the_manifest_diff_and_as_property_changes(base_plan: RenderedPlan) -> None:
    settings = base_settings("userAssigned")
    settings["workloads"][0]["objects"][0]["objectVersionHistory"] = 2
    diff = compare(base_plan, settings_plan(settings))
    assert [(c.action, c.type.rsplit(":", 1)[-1]) for c in diff.resources] == [
        ("update", "AccessPolicy"),
        ("update", "SecretProviderClass"),
    ]
    policy = {p.path: (p.old, p.new) for p in diff.resources[0].properties}
    assert policy == {"policy.permissions.secrets": (["get"], ["get", "list"])}
    assert "+          objectVersionHistory: 2" in diff.manifest_diff.splitlines()
    text = format_text(diff, base_label="a", head_label="b")
    assert '~ policy.permissions.secrets: ["get"] → ["get", "list"]' in text
    assert "spec.parameters.objects: multi-line text changed (see the manifest diff)" in text
    assert text.splitlines()[-1] == "0 to create, 2 to update, 0 to delete; 1 manifests changed."


def test_protect_and_dependency_changes_are_listed(base_plan: RenderedPlan) -> None:
    settings = copy.deepcopy(base_settings("userAssigned"))
    settings["protect"] = True
    diff = compare(base_plan, settings_plan(settings))
    protected = [c for c in diff.resources if any(p.path == "(protect)" for p in c.properties)]
    assert {c.type.rsplit(":", 1)[-1] for c in protected} == {"UserAssignedIdentity", "AccessPolicy"}
    assert diff.manifest_diff == ""
    assert not diff.empty  # a protect flip is a change even with identical manifests


def test_added_workload_is_created_and_removed_one_deleted(base_plan: RenderedPlan) -> None:
    settings = base_settings("userAssigned")
    settings["workloads"].append(
        {
            "name": "worker",
            "namespace": "jobs",
            "objects": [{"objectName": "cert1", "objectType": "cert"}],
            "pod": {"image": "busybox"},
        }
    )
    head = settings_plan(settings)
    grown = compare(base_plan, head)
    created = {c.type.rsplit(":", 1)[-1] for c in grown.resources if c.action == "create"}
    assert created == {"SecretProviderClass", "Workload", "Pod"}  # 3 registrations a workload
    assert grown.manifests_changed == (
        "pod-jobs-worker-secrets-store-inline.yaml",
        "secretproviderclass-jobs-azure-kvname-worker.yaml",
    )
    assert "--- /dev/null\n+++ b/pod-jobs-worker-secrets-store-inline.yaml" in grown.manifest_diff
    shrunk = compare(head, base_plan)
    assert {c.action for c in shrunk.resources if c.type.rsplit(":", 1)[-1] in created} == {"delete"}
    assert "+++ /dev/null" in shrunk.manifest_diff


def test_new_stack_compares_with_an_empty_plan(base_plan: RenderedPlan) -> None:
    diff = compare(None, base_plan, ("new",))
    assert diff.count("create") == len(base_plan.graph["resources"]) and diff.unchanged == 0
    assert set(diff.manifests_changed) == set(base_plan.manifests)


# --- the PR comment ------------------------------------------------------------------------------


def comparison(base: RenderedPlan | None, head: RenderedPlan) -> StackComparison:
    return StackComparison(base, head, compare(base, head), "main (0123456789ab)", "working tree")


def test_comment_has_marker_table_changes_manifest_diff_and_highlighted_graph(base_plan: RenderedPlan) -> None:
    settings = base_settings("userAssigned")
    settings["workloads"][0]["objects"].pop()  # drop key1: keys permission goes away
    settings["workloads"].append(
        {"name": "api", "objects": [{"objectName": "s", "objectType": "secret"}], "pod": {"image": "x"}}
    )
    changed = comparison(base_plan, settings_plan(settings))
    body = comment_body([changed, comparison(base_plan, base_plan)], {"broken": "RunError: bad config"})
    assert body.startswith(MARKER + "\n")
    assert "| `test` | 3 | 2 | 0 | 3 |" in body and "| `broken` | evaluation failed | | | |" in body
    assert "### `test`: no changes" in body and "RunError: bad config" in body
    assert '- policy.permissions.keys: ["get"]' in body
    graphs = re.findall(r"```mermaid\n(.*?)```", body, re.S)
    assert len(graphs) == 2
    for graph in graphs:
        parse_mermaid(graph)
    assert "classDef added" in graphs[0] and "classDef changed" in graphs[0] and "classDef" not in graphs[1]


def test_comment_marks_deleted_resources_and_shrinks_to_fit(base_plan: RenderedPlan) -> None:
    settings = base_settings("userAssigned")
    settings["nodes"]["virtualMachines"] = []
    shrunk = comparison(base_plan, settings_plan(settings))
    graph = re.findall(r"```mermaid\n(.*?)```", comment_body([shrunk], {}), re.S)[0]
    parse_mermaid(graph)
    assert (
        re.search(r'\["removed: NodeIdentityAssignment<br/>[^"]*k8s-agent-0"\]', graph) and "classDef removed" in graph
    )
    huge = dataclasses.replace(
        shrunk, diff=dataclasses.replace(shrunk.diff, manifest_diff="+x\n" * 40_000, manifests_changed=("a.yaml",))
    )
    body = fitting_comment([huge], {})
    assert len(body) <= 65_536 and body.startswith(MARKER) and "Too long for a comment" in body


# --- base refs -----------------------------------------------------------------------------------


def test_old_recorder_graphs_are_read_with_defaults() -> None:
    data = dataclasses.asdict(stack_graph("examples/user-assigned-msi"))
    data.pop("secret_stack_outputs", None)
    for resource in data["resources"]:
        resource.pop("secret_inputs", None)
        resource["recorded_by_a_newer_tool"] = True
    old = render_plan(graph_from_json(json.loads(json.dumps(data))), "user-assigned-msi")
    assert compare(old, plan_of("examples/user-assigned-msi")).empty


# --- two git refs --------------------------------------------------------------------------------
#
# A throwaway repository holds a copy of this working tree with the dev stack changed back: the
# storefront workload removed and the worker's file permission 0644 instead of 0444. Its commit is
# the base; the working tree is the head, so the head adds a workload and changes an object.
# GIT_DIR points the CLIs' git commands (worktree and all) at the throwaway repository; the CLIs run
# in this process as `make plan` / `make review` run them, each with its base child process.


def _git(repo: Path, *args: str) -> str:
    command = [
        "git",
        "-c",
        "user.name=review-test",
        "-c",
        "user.email=review@test.invalid",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "commit.gpgsign=false",
        *args,
    ]
    env = {k: v for k, v in os.environ.items() if k != "GIT_DIR"}
    return subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _base_dev_stack(text: str) -> str:
    document = yaml.safe_load(text)
    workloads = document["config"]["keyvault-csi:workloads"]
    names = [w["name"] for w in workloads]
    assert names == ["storefront", "worker"], f"the dev stack changed ({names}): adapt this test's base"
    (worker,) = [w for w in workloads if w["name"] == "worker"]
    assert worker["objects"][0]["filePermission"] == "0444"
    worker["objects"][0]["filePermission"] = "0644"
    document["config"]["keyvault-csi:workloads"] = [worker]
    return yaml.safe_dump(document, sort_keys=False)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(throwaway repository, the base commit)."""
    clone = tmp_path_factory.mktemp("repo")
    files = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    stack = clone / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(_base_dev_stack(stack.read_text()))
    _git(clone, "init", "-q", "-b", "main")
    _git(clone, "add", "-A")
    _git(clone, "commit", "-qm", "dev before the storefront workload")
    return clone, _git(clone, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def cli_runs(repo: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``make plan STACK=prod BASE=<base>`` (unchanged) and ``make review BASE=<base>`` (every stack)."""
    clone, base = repo
    out = tmp_path_factory.mktemp("out")
    results: dict[str, Any] = {"out": out}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_DIR", str(clone / ".git"))
        for name, main, argv in (
            ("plan-prod", plan_main, ["--stack", "prod", "--base", base, "--out", str(out / "plan")]),
            ("review", review_main, ["--base", base, "--out", str(out / "review")]),
        ):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                results[f"{name}-code"] = main(argv)
            results[name] = printed.getvalue()
    return results


def test_unchanged_stack_diffs_empty_and_the_last_line_says_so(cli_runs: dict[str, Any]) -> None:
    assert cli_runs["plan-prod-code"] == 0
    lines = cli_runs["plan-prod"].splitlines()
    assert lines[0].startswith("Stack prod: ") and lines[-1] == NO_CHANGES
    assert "Resources: 0 to create, 0 to update, 0 to delete (" in cli_runs["plan-prod"]
    assert "Manifests: 0 changed" in lines
    written = sorted(p.name for p in (cli_runs["out"] / "plan" / "prod").iterdir())
    assert written[:2] == [GRAPH_JSON, GRAPH_MERMAID] and len(written) > 2
    assert (cli_runs["out"] / "review" / "prod.diff").read_text().splitlines()[-1] == NO_CHANGES


def test_changed_object_and_added_workload_between_two_refs(cli_runs: dict[str, Any], repo: tuple[Path, str]) -> None:
    assert cli_runs["review-code"] == 0
    text = (cli_runs["out"] / "review" / "dev.diff").read_text()
    assert text.startswith(f"Plan diff for stack dev: {repo[1]} ({repo[1][:12]}) → working tree")
    for created in (
        "+ create kubernetes:core/v1:Pod dev-shop-storefront-secrets-store-inline",
        "+ create kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass dev-shop-azure-kv-shop-dev-storefront",
        "+ create keyvault-csi:index:Workload dev-shop-storefront",
    ):
        assert created in text
    assert (
        "~ update kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass dev-shop-azure-kv-shop-dev-worker"
        in text
    )
    assert "~ update azure-native:keyvault:AccessPolicy dev-access-identity" in text
    assert '    + policy.permissions.keys: ["get"]' in text
    assert "--- a/secretproviderclass-shop-azure-kv-shop-dev-worker.yaml" in text
    assert "-          filePermission: '0644'\n+          filePermission: '0444'" in text
    assert "--- /dev/null\n+++ b/pod-shop-storefront-secrets-store-inline.yaml" in text
    assert text.splitlines()[-1] == "5 to create, 3 to update, 0 to delete; 4 manifests changed; 14 outputs changed."
    assert "dev: 5 to create, 3 to update, 0 to delete" in cli_runs["review"]


def test_review_comment_from_two_refs(cli_runs: dict[str, Any]) -> None:
    body = (cli_runs["out"] / "review" / "comment.md").read_text()
    assert body.startswith(MARKER) and body == (cli_runs["out"] / "review" / "full.md").read_text()
    assert "| `dev` | 5 | 3 | 0 | 4 |" in body and "| `prod` | 0 | 0 | 0 | 0 |" in body
    graphs = re.findall(r"```mermaid\n(.*?)```", body, re.S)
    assert len(graphs) == 2 and "classDef added" in graphs[0]
    for graph in graphs:
        parse_mermaid(graph)


def test_worktrees_are_removed_after_the_runs(cli_runs: dict[str, Any], repo: tuple[Path, str]) -> None:
    assert _git(repo[0], "worktree", "list", "--porcelain").count("worktree ") == 1


def test_unknown_ref_and_ref_without_offline_plan_fail_clearly(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = repo[0]
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where BaseRender makes its worktree
    with pytest.raises(BaseRefError, match="unknown git ref 'no-such-branch'"):
        BaseRender("no-such-branch", ["dev"], repo=clone)
    empty_tree = _git(clone, "hash-object", "-w", "-t", "tree", "/dev/null")
    empty = _git(clone, "commit-tree", "-m", "before the offline plan", empty_tree)
    with BaseRender(empty, ["dev"], repo=clone) as render, pytest.raises(BaseRefError, match="has no offline plan"):
        render.result()
    assert list(tmp_path.iterdir()) == []  # the worktree and its folder are gone
    assert _git(clone, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_the_documented_example_graph_is_the_dev_stacks_and_parses() -> None:
    docs = (ROOT / "docs" / "review.md").read_text()
    (example,) = re.findall(r"```mermaid\n(.*?)```", docs, re.S)
    assert example == plan_of("dev").mermaid(), "docs/review.md: paste build/plan/dev/graph.mmd (make plan STACK=dev)"
    chart = parse_mermaid(example)
    assert any("Key Vault" in line for line in chart.nodes.values())
