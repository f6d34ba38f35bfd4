"""The FailedMount doctor: the catalogue on real event messages, the CLI on a kubectl events document."""

from __future__ import annotations

import builtins
import io
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from keyvault_csi.doctor import Finding, diagnose
from keyvault_csi.doctor.__main__ import main
from keyvault_csi.doctor.catalogue import BY_ID, CATALOGUE, UNKNOWN, UNKNOWN_FIX, classify, is_secrets_store
from keyvault_csi.doctor.events import PodEvent, parse_document
from tests.support import ROOT

CORPUS_DIR = Path(__file__).parent / "corpus"
CORPUS = yaml.safe_load((CORPUS_DIR / "messages.yaml").read_text(encoding="utf-8"))
EVENTS = CORPUS_DIR / "events.json"
POD = "default/nginx-secrets-store-inline-user-msi"
# The denied caller in events.json's newest 403 for POD.
APPID, OID = "0d1e6a3c-5b2f-4c8e-9a7d-3f4b5c6d7e8f", "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action"


def hit_rates(messages: list[dict[str, str]]) -> dict[str, tuple[int, int]]:
    """Per expected cause: (messages classified as that cause, messages expecting it)."""
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for entry in messages:
        totals[entry["cause"]] += 1
        if is_secrets_store(entry["message"]) and classify(entry["message"]) == entry["cause"]:
            hits[entry["cause"]] += 1
    return {cause: (hits[cause], totals[cause]) for cause in sorted(totals)}


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("entry", CORPUS["messages"], ids=lambda e: f"{e['cause']}:{e['source'][:60]}")
def test_corpus_message_gets_its_cause(entry: dict[str, str]) -> None:
    assert is_secrets_store(entry["message"])
    assert classify(entry["message"]) == entry["cause"]


@pytest.mark.parametrize("entry", CORPUS["ignored"], ids=lambda e: e["source"][:60])
def test_other_volumes_are_not_secrets_store_mounts(entry: dict[str, str]) -> None:
    assert not is_secrets_store(entry["message"])


def test_hit_rate_is_total_and_every_cause_has_evidence() -> None:
    rates = hit_rates(CORPUS["messages"])  # the assertion shows every cause's hits/messages
    assert all(hits == total for hits, total in rates.values()), rates
    assert set(rates) == {cause.id for cause in CATALOGUE} | {UNKNOWN}


def test_catalogue_is_well_formed() -> None:
    assert len(BY_ID) == len(CATALOGUE)
    for cause in CATALOGUE:
        assert cause.patterns and cause.sources and cause.fix
        assert "keyvault-csi" in cause.fix or cause.id == "vault-firewall"


def test_specific_causes_win_over_their_wrappers() -> None:
    # NMI relays IMDS: the identity is missing on the node, not a pod-identity setup problem.
    assert classify("nmi response failed with status code: 403, response body: ... Identity not found") == (
        "identity-not-on-node"
    )
    assert classify('Status=403 Code="Forbidden" InnerError={"code":"ForbiddenByFirewall"}') == "vault-firewall"
    assert classify("status 400: AADSTS70021: No matching federated identity record Status=403") == (
        "federation-mismatch"
    )


def events(*rows: tuple[str, str, str, int, str]) -> list[PodEvent]:
    return [PodEvent("shop", pod, reason, message, count, seen) for pod, reason, message, count, seen in rows]


def test_duplicates_collapse_to_the_newest_message_and_summed_count() -> None:
    old = 'failed to get secretproviderclass shop/a, error: SecretProviderClass "a" not found'
    new = 'failed to get secretproviderclass shop/b, error: SecretProviderClass "b" not found'
    findings = diagnose(
        events(
            ("p", "FailedMount", new, 2, "2026-12-01T10:00:00Z"),
            ("p", "FailedMount", old, 3, "2026-12-01T09:00:00Z"),
        )
    )
    assert findings == [
        Finding("shop", "p", "class-not-found", BY_ID["class-not-found"].fix, new, 5, "2026-12-01T10:00:00Z")
    ]


def test_kubelet_summary_only_counts_when_it_is_all_there_is() -> None:
    summary = (
        "Unable to attach or mount volumes: unmounted volumes=[secrets-store-inline]: "
        "timed out waiting for the condition"
    )
    detailed = "failed to mount secrets store objects for pod shop/p, err: Multiple user assigned identities exist"
    findings = diagnose(
        events(
            ("p", "FailedMount", summary, 1, "a"),
            ("p", "FailedMount", detailed, 1, "a"),
            ("q", "FailedMount", summary, 4, "b"),
        )
    )
    assert [(f.pod, f.cause, f.count) for f in findings] == [
        ("shop/p", "multiple-identities", 1),
        ("shop/q", "unknown", 4),
    ]


def test_cli_prints_each_pod_cause_and_fix_once() -> None:
    code, out, err = run("--events", str(EVENTS))
    assert (code, err) == (1, "")
    heads = [line for line in out.splitlines() if not line.startswith("  ")]
    assert heads == [
        "batch/report-28391: unknown (x5, last 2026-12-01T08:40:00Z)",
        f"{POD}: object-not-found (x2, last 2026-12-01T09:12:00Z)",
        f"{POD}: rbac-denied (x10, last 2026-12-01T09:08:40Z)",
        "shop/storefront-7d9c8b6f5-x2x7v: class-not-found (x12, last 2026-12-01T09:15:00Z)",
        "4 mount failure cause(s) on 3 Pod(s).",
    ]
    assert f"  fix: {BY_ID['rbac-denied'].fix}" in out.splitlines()
    assert f"  denied: caller appid {APPID}, oid {OID}; vault kvname; secret 'secret1'; action {GET_SECRET}" in (
        out.splitlines()
    )
    assert "web-0" not in out and "ReplicaSet" not in out and "vmss000000" not in out


def test_cli_json_is_exact() -> None:
    code, out, _ = run("--events", str(EVENTS), "--json")
    document = json.loads(EVENTS.read_text(encoding="utf-8"))
    message = {e["metadata"]["name"]: e["message"] for e in document["items"]}
    assert code == 1
    assert json.loads(out) == [
        {"pod": "batch/report-28391", "cause": "unknown", "fix": UNKNOWN_FIX, "message": message["report-28391.10"]},
        {
            "pod": POD,
            "cause": "object-not-found",
            "fix": BY_ID["object-not-found"].fix,
            "message": message["nginx-secrets-store-inline-user-msi.5"],
        },
        {
            "pod": POD,
            "cause": "rbac-denied",
            "fix": BY_ID["rbac-denied"].fix,
            "message": message["nginx-secrets-store-inline-user-msi.3"],
            "denial": {
                "model": "rbac",
                "appid": APPID,
                "oid": OID,
                "vault": "kvname",
                "objectType": "secret",
                "objectName": "secret1",
                "action": GET_SECRET,
                "permission": None,
                "clientAddress": None,
            },
        },
        {
            "pod": "shop/storefront-7d9c8b6f5-x2x7v",
            "cause": "class-not-found",
            "fix": BY_ID["class-not-found"].fix,
            "message": message["storefront-7d9c8b6f5-x2x7v.6"],
        },
    ]


def test_stdin_is_read_when_no_file_is_given() -> None:
    assert run("--json", stdin=EVENTS.read_text(encoding="utf-8"))[:2] == run("--json", "--events", str(EVENTS))[:2]
    assert run("--events", "-", stdin='{"kind": "List", "items": []}') == (
        0,
        "No secrets-store mount failures found.\n",
        "",
    )


def test_bad_json_names_the_file_and_position(tmp_path: Path) -> None:
    bad = tmp_path / "events.json"
    bad.write_text('{"kind": "List",\n "items": [}\n', encoding="utf-8")
    code, out, err = run("--events", str(bad))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {bad}: not JSON: ") and "line 2 column" in err
    assert "Traceback" not in err
    assert run(stdin="not json")[0::2] == (2, "error: <stdin>: not JSON: Expecting value at line 1 column 1\n")
    assert run("--events", str(tmp_path / "missing.json"))[0] == 2


def test_kubeconfig_without_the_kubernetes_client_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_kubernetes(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "kubernetes" or name.startswith("kubernetes."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_kubernetes)
    code, out, err = run("--kubeconfig", "/nonexistent/kubeconfig", "--context", "aks-shop-dev")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "kubernetes Python client" in err and "pip install kubernetes" in err


def test_context_needs_kubeconfig_and_outputs_need_stack() -> None:
    assert run("--context", "x", stdin="[]") == (2, "", "error: --context needs --kubeconfig\n")
    assert run("--outputs", "o.json", stdin="[]") == (2, "", "error: --outputs needs --stack\n")


def test_unreadable_outputs_are_one_line(project: Path) -> None:
    (project / "outputs.json").write_text("[1]", encoding="utf-8")
    for name, error in (
        ("missing.json", "cannot read: No such file or directory"),
        ("outputs.json", "expected the object `pulumi stack output --json` prints"),
    ):
        code, out, err = run("--events", str(EVENTS), "--stack", "examples/user-assigned-msi", "--outputs", name)
        assert (code, out, err) == (2, "", f"error: {name}: {error}\n")


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root with the user-assigned-msi example stack and its plan under build/plan."""
    shutil.copytree(CORPUS_DIR / "examples", tmp_path / "examples")
    shutil.copytree(CORPUS_DIR / "plan", tmp_path / "build" / "plan")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_stack_names_the_key_to_change(project: Path) -> None:
    code, out, _ = run("--events", str(EVENTS), "--stack", "examples/user-assigned-msi")
    hints = [line.strip() for line in out.splitlines() if line.startswith("  stack ")]
    assert code == 1
    assert hints == [
        "stack user-assigned-msi: Pod batch/report-28391 is not declared by stack user-assigned-msi",
        "stack user-assigned-msi: object 'key1' is keyvault-csi:workloads[0].objects[1].objectName: "
        "fix the name or create the object in the vault",
        "stack user-assigned-msi: model-mismatch: the vault uses Azure RBAC (ForbiddenByRbac), the stack writes "
        "access policies, which an RBAC vault ignores for data access (keyvault-csi:keyVault.permissionModel: "
        "accessPolicy): set it to rbac (or auto, which reads the vault) and run `pulumi up`",
        "stack user-assigned-msi: Pod shop/storefront-7d9c8b6f5-x2x7v is not declared by stack user-assigned-msi",
    ]
    rows = json.loads(run("--events", str(EVENTS), "--stack", "examples/user-assigned-msi", "--json")[1])
    assert [row["stack"] for row in rows] == hints
    assert [row.get("verdict") for row in rows] == [
        None,
        None,
        {"id": "model-mismatch", "identity": "unverified"},
        None,
    ]


def test_stack_class_and_identity_hints(project: Path) -> None:
    pod = {"kind": "Pod", "namespace": "default", "name": "nginx-secrets-store-inline-user-msi"}
    items = [
        {
            "involvedObject": pod,
            "reason": "FailedMount",
            "lastTimestamp": "t",
            "message": (
                'failed to get secretproviderclass default/azure-kvname, error: SecretProviderClass "x" not found'
            ),
        },
        {
            "involvedObject": pod,
            "reason": "FailedMount",
            "lastTimestamp": "t",
            "message": "failed to mount secrets store objects: Multiple user assigned identities exist",
        },
    ]
    _, out, _ = run("--stack", "examples/user-assigned-msi", stdin=json.dumps({"kind": "List", "items": items}))
    hints = [line.strip() for line in out.splitlines() if line.startswith("  stack ")]
    assert hints == [
        "stack user-assigned-msi: the Pod mounts class 'azure-kvname-user-msi', which the stack plans in namespace "
        "'default': apply the stack (make up STACK=...) so the class exists; key "
        "keyvault-csi:workloads[0].secretProviderClass",
        'stack user-assigned-msi: the planned class uses node identity (useVMManagedIdentity: "true", '
        "userAssignedIdentityID: '<id-app.clientId>'); the identity is put on scale sets "
        "['aks-nodepool1-12345678-vmss']: key keyvault-csi:identity",
    ]


def test_identity_binding_hints_name_the_mode_and_the_driver_key(project: Path) -> None:
    # The shipped example and its golden plan, as `make plan STACK=examples/identity-binding` writes it.
    shutil.copy(ROOT / "examples" / "Pulumi.identity-binding.yaml", project / "examples")
    shutil.copytree(ROOT / "tests" / "golden" / "identity-binding", project / "build" / "plan" / "identity-binding")
    pod = {"kind": "Pod", "namespace": "finance", "name": "ledger-secrets-store-inline"}
    message = (
        "failed to mount objects, error: failed to build auth config for mode AzureTokenProxy: failed to parse "
        "service account token for identity binding, error: token for audience api://AKSIdentityBinding not found"
    )
    items = [{"involvedObject": pod, "reason": "FailedMount", "lastTimestamp": "t", "message": message}]
    _, out, _ = run("--stack", "examples/identity-binding", stdin=json.dumps({"kind": "List", "items": items}))
    assert "token-audience-missing" in out
    hints = [line.strip() for line in out.splitlines() if line.startswith("  stack ")]
    assert hints == [
        'stack identity-binding: the planned class uses identity binding (useAzureTokenProxy: "true", '
        'clientID: \'<id-platform-readers.clientId>\'): key keyvault-csi:driver (now {"install": "helm"}) '
        "decides which CSIDriver requests the tokens"
    ]


def test_stack_without_plan_says_run_make_plan(project: Path) -> None:
    code, out, err = run("--events", str(EVENTS), "--stack", "prod")
    assert (code, out) == (2, "")
    assert err == f"error: {Path('build/plan/prod/graph.json')} not found: run `make plan STACK=prod` first\n"


def test_events_k8s_io_v1_documents_are_read() -> None:
    document: dict[str, Any] = {
        "items": [
            {
                "regarding": {"kind": "Pod", "namespace": "shop", "name": "p"},
                "reason": "FailedMount",
                "note": "driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers",
                "series": {"count": 7, "lastObservedTime": "2026-12-01T10:00:00Z"},
            }
        ]
    }
    assert parse_document(json.dumps(document), "x") == [
        PodEvent("shop", "p", "FailedMount", document["items"][0]["note"], 7, "2026-12-01T10:00:00Z")
    ]


def test_cli_shows_who_each_403_refused() -> None:
    def corpus(cause: str, source: str) -> str:
        (found,) = [e["message"] for e in CORPUS["messages"] if e["cause"] == cause and e["source"].startswith(source)]
        return str(found)

    messages = {
        "a": corpus("rbac-denied", "driver wrapper + Key Vault RBAC 403 body"),
        "b": corpus("access-policy-denied", "driver wrapper (versions of a secret)"),
        "c": corpus("vault-firewall", "driver wrapper (objectType:key)"),
    }
    items = [
        {"involvedObject": {"kind": "Pod", "namespace": "shop", "name": pod}, "reason": "FailedMount", "message": m}
        for pod, m in messages.items()
    ]
    code, out, _ = run(stdin=json.dumps({"items": items}))
    assert code == 1
    assert [line for line in out.splitlines() if not line.startswith("  fix:")] == [
        "shop/a: rbac-denied (x1)",
        "  denied: caller appid 0XXXXXXXX6, oid 5XXXXXXXXa; vault test-piyush-kv-1011; secret '7cXXXXXXXX96'; "
        "action Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "shop/b: access-policy-denied (x1)",
        "  denied: caller appid dcfa956d-b453-448c-b06b-4c1383c2afeb, oid 09e7a3cd-4fc8-4d55-bb62-aaef76a8b439; "
        "vault diskvault001; secret 'db-password'; needs secrets list permission",
        "shop/c: vault-firewall (x1)",
        "  denied: caller appid XXX, oid YYY; vault miswiercdemovault-86f1; key 'default-database-key'; "
        "client address <SOME_IP>",
        "3 mount failure cause(s) on 3 Pod(s).",
    ]
