"""The GitHub workflows: valid against GitHub's schema, pinned, wired to the Makefile, safe for forks.

Nothing here talks to GitHub: the schema is the one check-jsonschema vendors, the ``tools.review.ci``
steps run in process, and the sticky-comment script runs under Node against a fake GitHub API.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from keyvault_csi.rules.choices import KubeloginMode
from tests.support import ROOT
from tools.review import ci
from tools.review.comment import MARKER

WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+$")  # owner/action@vX.Y.Z
# An action whose tags are not vX.Y.Z is pinned by commit, its tag in a comment: owner/action@<sha>  # vX.Y
PINNED_BY_COMMIT = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+@[0-9a-f]{40})  # v\d+(?:\.\d+)+$", re.M)


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else on


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if s.get("uses", "").split("@")[0] == action]


def runs(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in steps(job))


def validate(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_workflow_matches_githubs_workflow_schema(tmp_path: Path) -> None:
    assert [p.name for p in FILES] == [
        "deploy-stack.yml",
        "deploy.yml",
        "drift.yml",
        "package.yml",
        "pr-comment.yml",
        "pr.yml",
        "release.yml",
    ]
    result = validate(FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    # The same validator rejects a broken workflow (a job without runs-on or uses, an unknown key).
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    stepz:\n      - run: echo\n")
    assert validate([broken]).returncode != 0


def test_actions_are_pinned_by_exact_version_tag() -> None:
    seen = set()
    for path in FILES:
        by_commit = set(PINNED_BY_COMMIT.findall(path.read_text()))
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            reference = job.get("uses")
            if reference:  # a job calling a reusable workflow of this repository
                assert reference.startswith("./.github/workflows/"), reference
            for step in steps(job):
                if "uses" in step:
                    assert PINNED.match(step["uses"]) or step["uses"] in by_commit, (
                        f"{path.name}: {step['uses']} is not pinned to vX.Y.Z (or a commit with its tag in a comment)"
                    )
                    seen.add(step["uses"].split("@")[0])
    assert {"actions/checkout", "pulumi/actions", "azure/login", "actions/github-script", "azure/use-kubelogin"} <= seen
    assert not PINNED_BY_COMMIT.match("uses: azure/use-kubelogin@v1")  # a moving tag is no pin


# The jobs that run Pulumi against Azure, and the step that runs it.
PULUMI_STEPS = [
    ("deploy-stack.yml", "up", lambda step: step.get("run", "").startswith("make up")),
    ("drift.yml", "drift", lambda step: step.get("uses", "").startswith("pulumi/actions@")),
    ("pr.yml", "preview", lambda step: step.get("uses", "").startswith("pulumi/actions@")),
]


@pytest.mark.parametrize(("name", "job_name", "is_pulumi"), PULUMI_STEPS, ids=[p[0] for p in PULUMI_STEPS])
def test_pulumi_jobs_can_reach_an_entra_id_cluster_without_a_person(name: str, job_name: str, is_pulumi: Any) -> None:
    """kubelogin is installed at a pinned version and signs in with GitHub's OIDC token (docs/entra-id.md)."""
    workflow = load(name)
    assert re.fullmatch(r"v\d+\.\d+\.\d+", workflow["env"]["KUBELOGIN_VERSION"])
    job = workflow["jobs"][job_name]
    assert job["permissions"]["id-token"] == "write"
    (install,) = uses(job, "azure/use-kubelogin")
    assert install["with"] == {"kubelogin-version": "${{ env.KUBELOGIN_VERSION }}"}
    (pulumi_step,) = [s for s in steps(job) if is_pulumi(s)]
    assert steps(job).index(install) < steps(job).index(pulumi_step)
    assert install.get("if") == pulumi_step.get("if")  # installed whenever Pulumi runs
    env = pulumi_step["env"]
    assert KubeloginMode(env["AAD_LOGIN_METHOD"]) is KubeloginMode.WORKLOADIDENTITY
    assert env["AAD_SERVICE_PRINCIPAL_CLIENT_ID"] == "${{ env.ARM_CLIENT_ID }}"
    assert env["AZURE_TENANT_ID"] == "${{ env.ARM_TENANT_ID }}"
    # The Azure SDKs under Pulumi (the azblob backend) read AZURE_CLIENT_ID as a credential to use;
    # kubelogin has its own name for it.
    assert "AZURE_CLIENT_ID" not in env and "AZURE_CLIENT_ID" not in job["env"]


def test_pulumi_cli_version_matches_the_pinned_sdk() -> None:
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M)[1]
    for name in ("pr.yml", "drift.yml", "deploy-stack.yml", "package.yml", "release.yml"):
        assert str(load(name)["env"]["PULUMI_VERSION"]) == sdk, name


def test_pr_runs_the_tests_and_the_offline_plan_with_a_read_only_token() -> None:
    pr = load("pr.yml")
    assert set(triggers(pr)) == {"pull_request"} and pr["permissions"] == {"contents": "read"}
    jobs = pr["jobs"]
    assert "make test" in runs(jobs["test"])
    plan = jobs["offline-plan"]
    assert "permissions" not in plan  # inherits contents: read, fork or not
    assert uses(plan, "actions/checkout")[0]["with"]["fetch-depth"] == 2  # HEAD^1 = the base branch commit
    assert "make review BASE=HEAD^1" in runs(plan)
    assert "build/review/full.md" in runs(plan) and "GITHUB_STEP_SUMMARY" in runs(plan)
    (upload,) = uses(plan, "actions/upload-artifact")
    assert upload["with"]["path"] == "build/review/" and upload["if"].startswith("always()")


def test_pr_preview_is_a_per_stack_pulumi_preview_skipped_without_credentials() -> None:
    jobs = load("pr.yml")["jobs"]
    assert "python3 -m tools.review.ci stacks" in runs(jobs["stacks"])
    assert jobs["stacks"]["outputs"]["stacks"] == "${{ steps.list.outputs.stacks }}"
    preview = jobs["preview"]
    assert preview["needs"] == "stacks"
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert preview["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert preview["env"]["ARM_USE_OIDC"] == "true"
    assert {"ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"} <= set(preview["env"])
    (action,) = uses(preview, "pulumi/actions")
    assert action["with"] | {"policyPacks": None} == {
        "command": "preview",
        "stack-name": "${{ matrix.stack }}",
        "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
        "pulumi-version": "${{ env.PULUMI_VERSION }}",
        "comment-on-pr": True,
        "diff": True,
        "refresh": True,
        "policyPacks": None,
    }
    assert action["with"]["policyPacks"] == "${{ steps.policy.outputs.packs }}"
    check = next(s for s in steps(preview) if s.get("id") == "credentials")
    assert (
        "--on-missing notice" in check["run"]
        and "head.repo.full_name != github.repository" in check["env"]["RESTRICTED_PR"]
    )
    after = steps(preview)[steps(preview).index(check) + 1 :]
    assert after and all(s["if"] == "steps.credentials.outputs.configured == 'true'" for s in after)
    assert any(s.get("run") == "make venv" for s in after)  # the program's virtualenv, via the Makefile


def test_pr_comment_never_runs_pull_request_code_and_updates_one_sticky_comment() -> None:
    workflow = load("pr-comment.yml")
    assert triggers(workflow) == {"workflow_run": {"workflows": [load("pr.yml")["name"]], "types": ["completed"]}}
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    assert not uses(job, "actions/checkout") and not any("run" in s for s in steps(job))
    (download,) = uses(job, "actions/download-artifact")
    (upload,) = uses(load("pr.yml")["jobs"]["offline-plan"], "actions/upload-artifact")
    assert download["with"]["name"] == upload["with"]["name"]
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    script = uses(job, "actions/github-script")[0]["with"]["script"]
    assert f"'{MARKER}'" in script and "${{" not in script  # no expression interpolated into code


def test_drift_is_a_scheduled_refresh_preview_that_fails_on_changes() -> None:
    drift = load("drift.yml")
    on = triggers(drift)
    assert on["schedule"][0]["cron"] and "workflow_dispatch" in on
    job = drift["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert job["permissions"]["id-token"] == "write" and job["env"]["ARM_USE_OIDC"] == "true"
    (action,) = uses(job, "pulumi/actions")
    assert {k: action["with"][k] for k in ("command", "refresh", "expect-no-changes")} == {
        "command": "preview",
        "refresh": True,
        "expect-no-changes": True,
    }
    assert action["with"]["stack-name"] == "${{ matrix.stack }}"
    assert "--on-missing notice" in runs(job) and "make venv" in runs(job)


def test_deploy_goes_test_then_dev_then_prod_through_gated_environments() -> None:
    deploy = load("deploy.yml")
    assert triggers(deploy)["push"] == {"branches": ["main"]}
    jobs = deploy["jobs"]
    assert "make test" in runs(jobs["test"])
    assert (jobs["dev"]["needs"], jobs["prod"]["needs"]) == ("test", "dev")
    for stack in ("dev", "prod"):
        assert jobs[stack]["uses"] == "./.github/workflows/deploy-stack.yml"
        assert jobs[stack]["with"] == {"stack": stack} and jobs[stack]["secrets"] == "inherit"
        assert jobs[stack]["permissions"]["id-token"] == "write"
    called = load("deploy-stack.yml")
    assert "workflow_call" in triggers(called)
    (up,) = called["jobs"].values()
    assert up["environment"] == "${{ inputs.stack }}"
    assert up["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    assert up["env"]["PULUMI_SKIP_CONFIRMATIONS"] == "true" and up["env"]["ARM_USE_OIDC"] == "true"
    assert "--on-missing error" in runs(up)
    assert runs(up).strip().endswith('make up STACK="$STACK"')


def test_release_runs_on_version_tags_checks_the_version_then_tests_and_builds() -> None:
    release = load("release.yml")
    assert triggers(release) == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "read"}
    build = release["jobs"]["build"]
    assert "permissions" not in build
    commands = [s.get("run", "") for s in steps(build)]
    check = commands.index('python3 -m tools.release check-tag "$GITHUB_REF_NAME"')
    notes = commands.index('python3 -m tools.release notes "$GITHUB_REF_NAME" --output dist/release-notes.md')
    test = commands.index("make test")
    built = next(i for i, c in enumerate(commands) if "python3 -m build --outdir dist" in c)
    assert check < notes < test < built  # nothing is built for a wrong tag or a failing suite
    (upload,) = uses(build, "actions/upload-artifact")
    assert upload["with"]["path"] == "dist/" and upload["with"]["if-no-files-found"] == "error"


def test_release_job_alone_may_write_and_attaches_the_artifacts_and_changelog_section() -> None:
    jobs = load("release.yml")["jobs"]
    writers = {name for name, job in jobs.items() if "write" in job.get("permissions", {}).values()}
    assert writers == {"github-release"}
    job = jobs["github-release"]
    assert job["permissions"] == {"contents": "write"} and job["needs"] == "build"
    (download,) = uses(job, "actions/download-artifact")
    assert download["with"]["name"] == uses(jobs["build"], "actions/upload-artifact")[0]["with"]["name"]
    command = runs(job)
    assert 'gh release create "$TAG" dist/*.tar.gz dist/*.whl' in command
    assert "--verify-tag" in command and "--notes-file dist/release-notes.md" in command


def test_pulumi_package_publish_runs_only_with_the_secret() -> None:
    job = load("release.yml")["jobs"]["pulumi-package"]
    assert job["needs"] == "github-release" and "permissions" not in job
    assert job["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    notice, *gated = steps(job)
    assert notice["if"] == "env.PULUMI_ACCESS_TOKEN == ''" and "::notice" in notice["run"]
    assert gated and all(s["if"] == "env.PULUMI_ACCESS_TOKEN != ''" for s in gated)
    assert gated[-1]["run"].startswith("pulumi package publish ./provider --readme README.md")
    assert "make venv" in runs(job)  # the plugin runs from the repository's .venv
    (cli,) = uses(job, "pulumi/actions")
    assert cli["with"] == {"pulumi-version": "${{ env.PULUMI_VERSION }}"}  # no command: install only


def test_package_job_runs_the_real_cli_on_the_plugin_and_both_examples() -> None:
    workflow = load("package.yml")
    assert triggers(workflow) == {"pull_request": None, "push": {"branches": ["main"]}}
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert "permissions" not in job and "secrets." not in json.dumps(job)
    (cli,) = uses(job, "pulumi/actions")
    assert cli["with"] == {"pulumi-version": "${{ env.PULUMI_VERSION }}"}
    assert uses(job, "actions/setup-node")
    commands = [
        (s.get("working-directory", "."), line.strip()) for s in steps(job) for line in s.get("run", "").splitlines()
    ]
    expected = [
        (".", "make venv"),
        (".", "pulumi package get-schema ./provider > build/schema.json"),
        (".", "python3 -m tools.release check-schema build/schema.json"),
        ("examples/yaml", "pulumi package add ../../provider"),
        ("examples/typescript", "pulumi package add ../../provider"),
        ("examples/typescript", "npx tsc --noEmit"),
    ]
    assert [c for c in commands if c in expected] == expected  # all of them, in this order
    for folder in ("examples/yaml", "examples/typescript"):
        assert (
            yaml.safe_load((ROOT / folder / "Pulumi.yaml").read_text())["packages"]["keyvault-csi"] == "../../provider"
        )


# --- tools.review.ci: the decisions the workflow steps delegate -----------------------------------------


def test_stacks_step_lists_every_stack_file_for_the_matrix(tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    assert ci.main(["stacks"], env={"GITHUB_OUTPUT": str(output)}) == 0
    line = output.read_text().strip()
    assert line.startswith("stacks=")
    assert (
        json.loads(line.removeprefix("stacks="))
        == sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
        == ["dev", "prod"]
    )


CONFIGURED = {
    "AZURE_CLIENT_ID": "00000000-0000-0000-0000-00000000000a",
    "AZURE_TENANT_ID": "00000000-0000-0000-0000-00000000000b",
    "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-00000000000c",
    "PULUMI_BACKEND_URL": "azblob://state?storage_account=kvcsistate",
}


def run_credentials(
    env: dict[str, str], mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    output = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
    code = ci.main(["credentials", "--on-missing", mode], env={**env, "GITHUB_OUTPUT": str(output)})
    return code, output.read_text(), capsys.readouterr().out


def test_credentials_step_skips_with_a_notice_or_fails_with_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_credentials(CONFIGURED, "notice", tmp_path, capsys)[:2] == (0, "configured=true\n")
    code, output, printed = run_credentials({**CONFIGURED, "PULUMI_BACKEND_URL": " "}, "notice", tmp_path, capsys)
    assert (code, output) == (0, "configured=false\n")
    assert (
        "::notice title=Pulumi skipped::" in printed
        and "PULUMI_BACKEND_URL" in printed
        and "AZURE_CLIENT_ID" not in printed
    )
    code, output, printed = run_credentials({**CONFIGURED, "RESTRICTED_PR": "true"}, "notice", tmp_path, capsys)
    assert (code, output) == (0, "configured=false\n") and "fork" in printed
    code, output, printed = run_credentials({}, "error", tmp_path, capsys)
    assert (code, output) == (1, "configured=false\n") and printed.splitlines()[-1].startswith("::error ")
    assert all(name in printed for name in ci.REQUIRED)


def test_policy_pack_step_names_policy_only_when_it_is_a_pack(tmp_path: Path) -> None:
    assert ci.policy_pack(tmp_path) == ""
    (tmp_path / "policy").mkdir()
    assert ci.policy_pack(tmp_path) == ""
    (tmp_path / "policy" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    assert ci.policy_pack(tmp_path) == "policy"


# --- the sticky comment script, run under Node against a fake GitHub API ------------------------

_HARNESS = r"""
const fs = require('fs');
const scenario = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const calls = [];
const notices = [];
const api = (name) => async (args) => { calls.push([name, args]); return { data: { id: 99 } }; };
const github = {
  rest: {
    pulls: { list: 'pulls.list' },
    issues: { listComments: 'issues.listComments', updateComment: api('update'), createComment: api('create') },
  },
  paginate: async (endpoint, args) => {
    calls.push([endpoint, args]);
    return endpoint === 'pulls.list' ? scenario.pulls : scenario.comments;
  },
};
const context = { repo: { owner: 'acme', repo: 'keyvault-csi' }, payload: { workflow_run: scenario.run } };
const core = { notice: (m) => notices.push(m), info: () => {} };
const script = fs.readFileSync(process.argv[3], 'utf8');
const run = new Function('require', 'github', 'context', 'core', `return (async () => {\n${script}\n})();`);
run(require, github, context, core).then(() => console.log(JSON.stringify({ calls, notices })));
"""


@pytest.fixture(scope="module")
def sticky(tmp_path_factory: pytest.TempPathFactory):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (GitHub's runners have it)")
    folder = tmp_path_factory.mktemp("sticky")
    (folder / "harness.js").write_text(_HARNESS)
    (folder / "script.js").write_text(
        uses(load("pr-comment.yml")["jobs"]["comment"], "actions/github-script")[0]["with"]["script"]
    )
    (folder / "review").mkdir()
    (folder / "review" / "comment.md").write_text(f"{MARKER}\n## Offline plan diff\n")

    def run(pulls: list[dict], comments: list[dict]) -> dict[str, Any]:
        run_ = {"head_sha": "abc123", "head_branch": "feature", "head_repository": {"owner": {"login": "forker"}}}
        (folder / "scenario.json").write_text(json.dumps({"pulls": pulls, "comments": comments, "run": run_}))
        done = subprocess.run(
            [node, "harness.js", "scenario.json", "script.js"], cwd=folder, capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout)

    return run


OPEN_PR = {"number": 7, "head": {"sha": "abc123"}}


def test_sticky_comment_is_created_once_then_updated(sticky) -> None:
    created = sticky([OPEN_PR], [])
    list_call = created["calls"][0]
    assert list_call == [
        "pulls.list",
        {"owner": "acme", "repo": "keyvault-csi", "state": "open", "per_page": 100, "head": "forker:feature"},
    ]
    assert created["calls"][-1][0] == "create" and created["calls"][-1][1]["issue_number"] == 7
    assert created["calls"][-1][1]["body"].startswith(MARKER)
    ours = {"id": 41, "user": {"login": "github-actions[bot]"}, "body": f"{MARKER}\nold"}
    updated = sticky([OPEN_PR], [{"id": 40, "user": {"login": "octocat"}, "body": "looks good"}, ours])
    assert updated["calls"][-1][0] == "update" and updated["calls"][-1][1]["comment_id"] == 41


def test_sticky_comment_ignores_lookalikes_and_stale_runs(sticky) -> None:
    lookalike = {"id": 42, "user": {"login": "octocat"}, "body": f"{MARKER}\nquoted by a person"}
    assert sticky([OPEN_PR], [lookalike])["calls"][-1][0] == "create"
    moved_on = sticky([{"number": 7, "head": {"sha": "def456"}}], [])
    assert [c[0] for c in moved_on["calls"]] == ["pulls.list"] and "abc123" in moved_on["notices"][0]
