"""keyvault-csi as an installed package inside someone else's program (examples/embedded).

One fresh virtualenv outside the repository for the module: the wheel ``pip wheel --no-deps``
builds is installed into it with ``--no-deps --no-index``, so ``keyvault_csi`` comes from the
wheel, never from this checkout's editable install. The third-party dependencies (pulumi,
azure-native...) come from the project's venv through a ``.pth`` line: a path line adds that
directory only, without running the ``.pth`` files in it, so the editable install's own ``.pth``
(which would put ``components/`` of this checkout on the path) stays out. This keeps the module at
a few seconds instead of a minute of installs; the tests assert where each import came from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keyvault_csi.testing.mockgraph import Graph, RecordedInvoke, RecordedResource
from tests.support import NODE_IDENTITY, POD, ROLE_ASSIGNMENT, ROOT, SPC
from tools.review.base_ref import overlay_venv

pytestmark = pytest.mark.isolated
EXAMPLE = ROOT / "examples" / "embedded"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
# Evaluates the example with keyvault_csi.testing, as its own unit test would, and prints the graph.
RUNNER = f"""
import dataclasses, json, os, runpy, sys
sys.path.insert(0, os.getcwd())  # what the Pulumi runtime does for the project folder
import components, keyvault_csi
from keyvault_csi import AksKeyVaultSecrets, secrets_store_volume
from keyvault_csi.testing import KeyVaultCsiMocks
from keyvault_csi.testing.mockgraph import evaluate
graph = evaluate(
    lambda: runpy.run_path("__main__.py", run_name="__main__"),
    {{"pulumi:disable-default-providers": '["*"]', "azure-native:location": "westeurope"}},
    project="platform",
    stack="dev",
    mocks=KeyVaultCsiMocks(subscription_id="{SUBSCRIPTION}", tenant_id="{TENANT}"),
)
print(json.dumps({{"components": components.__file__, "keyvault_csi": keyvault_csi.__file__,
                   "graph": dataclasses.asdict(graph)}}))
"""


@dataclasses.dataclass
class Isolated:
    wheel: Path
    python: Path
    venv: Path
    app: Path


def run(*args: Any, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every pytest-xdist worker of this session shares: the venv is built once."""
    session = tmp_path_factory.getbasetemp()
    folder = (session.parent if os.environ.get("PYTEST_XDIST_WORKER") else session) / "embedded"
    folder.mkdir(exist_ok=True)
    return folder


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


@pytest.fixture(scope="module")
def isolated(shared: Path) -> Isolated:
    with locked(shared):
        return build(shared)


def build(base: Path) -> Isolated:
    if (base / "ready").exists():  # another worker built it
        (wheel,) = (base / "dist").glob("keyvault_csi-*.whl")
        return Isolated(wheel=wheel, python=base / "venv" / "bin" / "python", venv=base / "venv", app=base / "app")
    # Build from a copy: an in-tree build would write build/ and egg-info into the checkout.
    source = base / "src"
    shutil.copytree(
        ROOT / "components" / "keyvault_csi",
        source / "components" / "keyvault_csi",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    # --no-build-isolation: the project venv's setuptools, no download of a build environment.
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        base / "dist",
        source,
    )
    (wheel,) = (base / "dist").glob("keyvault_csi-*.whl")
    venv = base / "venv"
    python = overlay_venv(venv)  # the project's pinned dependencies, not its editable keyvault_csi
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel)
    app = base / "app"  # the example, outside the repository
    shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    (base / "ready").touch()
    return Isolated(wheel=wheel, python=python, venv=venv, app=app)


@pytest.fixture(scope="module")
def evaluated(isolated: Isolated, shared: Path) -> dict[str, Any]:
    result = shared / "evaluated.json"
    with locked(shared):
        if not result.exists():
            result.write_text(run(isolated.python, "-c", RUNNER, cwd=isolated.app).splitlines()[-1])
    return dict(json.loads(result.read_text()))


@pytest.fixture(scope="module")
def graph(evaluated: dict[str, Any]) -> Graph:
    recorded = evaluated["graph"]
    return Graph(
        resources=[RecordedResource(**r) for r in recorded["resources"]],
        invokes=[RecordedInvoke(**i) for i in recorded["invokes"]],
        stack_outputs=recorded["stack_outputs"],
    )


def test_the_wheel_holds_only_keyvault_csi(isolated: Isolated) -> None:
    names = zipfile.ZipFile(isolated.wheel).namelist()
    assert {n.split("/", 1)[0] for n in names} == {"keyvault_csi", isolated.wheel.name.split("-py3")[0] + ".dist-info"}
    assert "keyvault_csi/py.typed" in names and "keyvault_csi/testing/mocks.py" in names
    # The MIT licence travels with the wheel (setuptools picks LICENSE up for `license = "MIT"`).
    dist_info = isolated.wheel.name.split("-py3")[0] + ".dist-info"
    licence = zipfile.ZipFile(isolated.wheel).read(f"{dist_info}/licenses/LICENSE").decode()
    assert licence.startswith("MIT License") and "Copyright (c) 2026 keyvault-csi contributors" in licence
    assert "License-Expression: MIT" in zipfile.ZipFile(isolated.wheel).read(f"{dist_info}/METADATA").decode()


def test_the_installed_package_imports_beside_the_programs_own_components_package(
    isolated: Isolated, evaluated: dict[str, Any]
) -> None:
    assert Path(evaluated["components"]).is_relative_to(isolated.app)
    assert Path(evaluated["keyvault_csi"]).is_relative_to(isolated.venv)  # the wheel, not this checkout
    assert not Path(evaluated["keyvault_csi"]).is_relative_to(ROOT)


def test_the_class_carries_the_created_vaults_name_and_waits_for_it(graph: Graph) -> None:
    (spc,) = graph.by_type(SPC)
    vault = graph.one("azure-native:keyvault:Vault", "shop")
    parameters = spc.inputs["spec"]["parameters"]
    assert parameters["keyvaultName"] == "kv-shop" and parameters["tenantID"] == TENANT
    assert graph.depends_on(spc, vault)
    # Its client ID comes from the look-up of the created identity: the class waits for it too.
    assert graph.depends_on(spc, graph.one("azure-native:managedidentity:UserAssignedIdentity", "id-apps"))
    assert parameters["userAssignedIdentityID"] == "<id-shop-apps.clientId>"


def test_grants_are_scoped_to_the_created_vault(graph: Graph) -> None:
    vault = graph.one("azure-native:keyvault:Vault", "shop")
    (grant,) = graph.by_type(ROLE_ASSIGNMENT)
    assert grant.inputs["scope"] == vault.outputs["id"]
    assert (
        vault.outputs["id"]
        == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-shop/providers/Microsoft.KeyVault/vaults/kv-shop"
    )
    assert graph.depends_on(grant, vault)


def test_the_created_identity_goes_on_the_named_pool_after_the_cluster(graph: Graph) -> None:
    cluster = graph.one("azure-native:containerservice:ManagedCluster", "shop")
    identity = graph.one("azure-native:managedidentity:UserAssignedIdentity", "id-apps")
    (node,) = graph.by_type(NODE_IDENTITY)
    assert (node.inputs["agentPool"], node.inputs["clusterName"]) == ("apps", cluster.outputs["name"])
    assert node.inputs["userAssignedIdentities"] == [identity.outputs["id"]]
    assert graph.depends_on(node, cluster) and graph.depends_on(node, identity)
    (lookup,) = [i for i in graph.invokes if i.token == "azure-native:managedidentity:getUserAssignedIdentity"]
    assert lookup.args == {"resourceGroupName": "rg-shop", "resourceName": "id-shop-apps"}
    (pod,) = graph.by_type(POD)
    assert graph.depends_on(pod, node)
    # Only the pool that carries the identity: a Pod on the system pool would fail its mount.
    assert pod.inputs["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux", "kubernetes.azure.com/agentpool": "apps"}


def test_nothing_uses_a_default_provider(graph: Graph) -> None:
    custom = [r for r in graph.resources if r.custom and not r.type.startswith(("pulumi:providers:", "pulumi-python:"))]
    assert custom and all(r.provider and "::default" not in r.provider for r in custom), [
        (r.type, r.provider) for r in custom
    ]
    assert {r.provider.split("::")[-1].split("::")[0] for r in graph.by_type(SPC) + graph.by_type(POD)} == {"aks-id"}
    assert graph.invokes and all(i.provider and "::default" not in i.provider for i in graph.invokes)


# The example's arguments in the stack file's camelCase: what people copy from a stack file keeps working.
CAMEL_ARGUMENTS = """    {
        "tenantId": client.tenant_id,
        "keyVault": {"name": vault.name, "resourceGroup": group.name, "permissionModel": "rbac"},
        "identity": {"type": "userAssigned", "resourceId": identity.id},
        "nodes": {"cluster": {"resourceGroup": group.name, "name": cluster.name}, "agentPools": pools},
        "workloads": [
            {
                "name": "web",
                "namespace": "default",
                "secretProviderClass": "web-secrets",
                "objects": [{"objectName": "db-password", "objectType": "secret"}],
                "pod": {"image": "nginxinc/nginx-unprivileged"},
            }
        ],
    },
"""


def test_pythons_spelling_and_camel_case_declare_the_same_graph(isolated: Isolated, graph: Graph, shared: Path) -> None:
    """From outside, in the fresh venv: the same program with the stack file's camelCase keys declares exactly
    the resources, names and inputs the example's Python spelling does."""
    source = (isolated.app / "__main__.py").read_text()
    start = source.index("    AksKeyVaultSecretsArgs(")
    end = source.index("    pulumi.ResourceOptions(providers=[azure, kubernetes]),")
    camel_app = shared / "camel-app"
    with locked(shared):
        if not camel_app.exists():
            shutil.copytree(isolated.app, camel_app)
            (camel_app / "__main__.py").write_text(source[:start] + CAMEL_ARGUMENTS + source[end:])
        camel = json.loads(run(isolated.python, "-c", RUNNER, cwd=camel_app).splitlines()[-1])["graph"]

    def declared(resources: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
        return sorted(
            (r["type"], r["name"], json.dumps(r["inputs"], sort_keys=True), json.dumps(sorted(r["dependencies"])))
            for r in resources
        )

    assert declared(camel["resources"]) == declared([dataclasses.asdict(r) for r in graph.resources])
    assert "AksKeyVaultSecretsArgs(" in source and '"tenantId"' not in source  # the example is Python's spelling
