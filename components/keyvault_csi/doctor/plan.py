"""``--stack``: tie each finding to the stack that declares the Pod and name the stack-file key to change.

Reads the offline plan (``make plan STACK=<stack>`` writes ``build/plan/<name>/graph.json``) for
the planned Pods and SecretProviderClasses, and the stack file (``stacks/Pulumi.<stack>.yaml``, or
``<dir>/Pulumi.<name>.yaml`` for ``<dir>/<name>``) for the order of ``keyvault-csi:workloads``, so a
key can carry its index. PyYAML is optional: without it the keys are named without the index.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keyvault_csi.rules.config_keys import NAMESPACE as NS
from keyvault_csi.rules.parameters import CRD_GROUP
from keyvault_csi.rules.pod import CSI_DRIVER

from . import Finding
from .denial import FIREWALL
from .events import InputError, parse_json
from .verdict import PlannedGrant, Verdict, judge, planned_grants, substitutions

if TYPE_CHECKING:
    from keyvault_csi.model.settings import StackSettings

POD_TYPE = "kubernetes:core/v1:Pod"
CLASS_TYPE_PREFIX = f"kubernetes:{CRD_GROUP}/"


def stack_file(stack: str, root: Path) -> Path:
    """``dev`` → ``stacks/Pulumi.dev.yaml``; ``examples/x`` → ``examples/Pulumi.x.yaml``; a .yaml path as is."""
    path = Path(stack)
    if path.suffix in (".yaml", ".yml"):
        return path if path.is_absolute() else root / path
    folder = path.parent if str(path.parent) != "." else Path("stacks")
    return root / folder / f"Pulumi.{path.name}.yaml"


def stack_label(stack: str, root: Path) -> str:
    return stack_file(stack, root).name.removeprefix("Pulumi.").removesuffix(".yaml")


@dataclass(frozen=True)
class PlannedClass:
    namespace: str
    name: str
    parameters: Mapping[str, Any]

    def object_names(self) -> list[str]:
        """objectName of each entry of the ``objects`` parameter (``array:`` of YAML strings)."""
        yaml = _yaml()
        raw = self.parameters.get("objects")
        if yaml is None or not isinstance(raw, str):
            return []
        try:
            outer = yaml.safe_load(raw) or {}
            entries = outer.get("array") or [] if isinstance(outer, Mapping) else []
            names = []
            for entry in entries:
                inner = yaml.safe_load(entry) if isinstance(entry, str) else entry
                names.append(str(inner.get("objectName", "")) if isinstance(inner, Mapping) else "")
            return names
        except yaml.YAMLError:
            return []

    def identity(self) -> str:
        p = self.parameters
        if str(p.get("useVMManagedIdentity", "")).lower() == "true":
            client = p.get("userAssignedIdentityID", "")
            return (
                f'node identity (useVMManagedIdentity: "true", userAssignedIdentityID: {client!r})'
                if client
                else 'the nodes\' system-assigned identity (useVMManagedIdentity: "true", userAssignedIdentityID: "")'
            )
        if p.get("clientID") and str(p.get("useAzureTokenProxy", "")).lower() == "true":
            return f'identity binding (useAzureTokenProxy: "true", clientID: {p["clientID"]!r})'
        if p.get("clientID"):
            return f"workload identity (clientID: {p['clientID']!r})"
        return "no identity mode"


@dataclass(frozen=True)
class PlannedPod:
    namespace: str
    name: str
    classes: tuple[str, ...]
    service_account: str


@dataclass
class StackPlan:
    label: str
    pods: dict[tuple[str, str], PlannedPod] = field(default_factory=dict)
    classes: dict[tuple[str, str], PlannedClass] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    # The stack file as the program validates it; None: unreadable (no PyYAML) or refused by the model.
    settings: StackSettings | None = None
    grants: list[PlannedGrant] = field(default_factory=list)
    known: dict[str, str] = field(default_factory=dict)  # placeholder -> value from `pulumi stack output`

    def workload_index(self, pod: PlannedPod) -> int | None:
        """Index in ``keyvault-csi:workloads`` of the workload whose class (else Pod or Deployment) the Pod has.

        The names come from the model's own defaults (:meth:`keyvault_csi.model.settings.Settings.mounts`), so the
        doctor and the program agree; a stack file the model refuses names no index.
        """
        settings = self.settings
        if settings is None:
            return None
        for match_class in (True, False):
            for i, w in enumerate(settings.workloads):
                if w.namespace != pod.namespace:
                    continue
                names = (
                    [m.class_name for m in settings.mounts(w)] if match_class else [w.pod_name(), w.deployment_name()]
                )
                if set(names) & ({*pod.classes} if match_class else {pod.name}):
                    return i
        return None

    def _context(self, finding: Finding) -> tuple[PlannedPod, PlannedClass | None, str] | None:
        """The planned Pod, its (first) planned class and its workload key; None when the stack has no such Pod."""
        pod = self.pods.get((finding.namespace, finding.name))
        if pod is None:
            return None
        i = self.workload_index(pod)
        workload = f"{NS}:workloads[{i}]" if i is not None else f"{NS}:workloads[]"
        planned = [self.classes[(pod.namespace, c)] for c in pod.classes if (pod.namespace, c) in self.classes]
        return pod, (planned[0] if planned else None), workload

    def verdict(self, finding: Finding) -> Verdict | None:
        """For a Key Vault 403 (not the firewall's) on a declared Pod: what went wrong (doctor/verdict.py)."""
        context = self._context(finding)
        denial = finding.denial
        if context is None or denial is None or denial.model == FIREWALL:
            return None
        _, cls, workload = context
        return judge(self, denial, cls, workload, object_key(cls, denial.object_name, workload))

    def hint(self, finding: Finding) -> str:
        """One line: what the plan says about the finding, and the stack-file key to change."""
        context = self._context(finding)
        if context is None:
            return f"stack {self.label}: Pod {finding.pod} is not declared by stack {self.label}"
        verdict = self.verdict(finding)
        if verdict is not None:
            return f"stack {self.label}: {verdict.text}"
        pod, cls, workload = context
        return f"stack {self.label}: " + _HINTS.get(finding.cause, _hint_default)(self, finding, pod, cls, workload)


def object_key(cls: PlannedClass | None, name: str | None, workload: str) -> str | None:
    """``<workload>.objects[j]`` for the planned object called ``name``, else None."""
    names = cls.object_names() if cls else []
    return f"{workload}.objects[{names.index(name)}]" if name and name in names else None


def _hint_default(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    return f"Pod {finding.pod} is declared as {workload}; no stack key is known for this cause"


def _hint_class(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    in_namespace = sorted(name for ns, name in plan.classes if ns == pod.namespace)
    wanted = ", ".join(pod.classes) or "none"
    if cls is not None:
        return (
            f"the Pod mounts class {wanted!r}, which the stack plans in namespace {pod.namespace!r}: "
            f"apply the stack (make up STACK=...) so the class exists; key {workload}.secretProviderClass"
        )
    return (
        f"the Pod mounts class {wanted!r}; the stack plans {in_namespace or 'no classes'} in namespace "
        f"{pod.namespace!r}: set {workload}.secretProviderClass"
    )


def _hint_identity(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    mode = cls.identity() if cls else "no planned class"
    nodes = plan.config.get(f"{NS}:nodes")
    scale_sets = (
        [str(s.get("name")) for s in (nodes or {}).get("scaleSets") or [] if isinstance(s, Mapping)]
        if isinstance(nodes, Mapping)
        else []
    )
    where = f"; the identity is put on scale sets {scale_sets}" if scale_sets else ""
    key = f"{NS}:identity" if finding.cause == "multiple-identities" else f"{NS}:identity / {NS}:nodes"
    return f"the planned class uses {mode}{where}: key {key}"


def _hint_firewall(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    denial = finding.denial
    vault = (denial.vault if denial else None) or (cls.parameters.get("keyvaultName") if cls else None) or "<vault>"
    address = (denial.client_address if denial else None) or "<the nodes' egress address>"
    planned = cls.parameters.get("keyvaultName") if cls else None
    same = f" (the planned class reads {planned!r}: {NS}:keyVault.name)" if planned else ""
    return (
        f"vault {vault}{same} refuses client address {address} by its network rules, which keyvault-csi does not "
        f"manage: `az keyvault network-rule add -n {vault} --ip-address <egress IP>` or a private endpoint"
    )


_OBJECT_NAME = re.compile(
    r"objectName:\s*([^,\s]+)|with \(name/id\) (\S+) was not found|(?:secret|key|certificate) not found: (\S+)",
    re.IGNORECASE,
)


def _hint_object(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    found = _OBJECT_NAME.search(finding.message)
    name = next((g for g in found.groups() if g), "") if found else ""
    key = object_key(cls, name, workload)
    if key:
        return f"object {name!r} is {key}.objectName: fix the name or create the object in the vault"
    names = cls.object_names() if cls else []
    return f"object {name or '?'} is not among the planned objects {names}: key {workload}.objects[j].objectName"


def _hint_vault(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    name = cls.parameters.get("keyvaultName") if cls else None
    return f"the planned class reads vault {name!r}: key {NS}:keyVault.name"


def _hint_driver(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    driver = plan.config.get(f"{NS}:driver")
    now = f" (now {json.dumps(driver)})" if driver is not None else " (not set)"
    return f"key {NS}:driver{now}: set {{install: helm}} or enable the AKS add-on"


def _hint_objects(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    return f"the live class differs from the planned one: re-apply the stack; key {workload}.objects"


def _hint_federation(
    plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str
) -> str:
    sa = pod.service_account or "default"
    return (
        f"the Pod runs as service account {pod.namespace}/{sa} "
        f"(subject system:serviceaccount:{pod.namespace}:{sa}): keys {workload}.serviceAccount, {NS}:identity.cluster"
    )


def _hint_tokens(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    mode = cls.identity() if cls else "no planned class"
    driver = plan.config.get(f"{NS}:driver")
    now = f" (now {json.dumps(driver)})" if driver is not None else " (not set: the driver is assumed installed)"
    return f"the planned class uses {mode}: key {NS}:driver{now} decides which CSIDriver requests the tokens"


def _hint_sync(plan: StackPlan, finding: Finding, pod: PlannedPod, cls: PlannedClass | None, workload: str) -> str:
    return f"key {workload}.secretObjects (objectName must be an objectAlias or objectName of {workload}.objects)"


_HINTS = {
    "class-not-found": _hint_class,
    "multiple-identities": _hint_identity,
    "identity-not-on-node": _hint_identity,
    "identity-mode-missing": _hint_identity,
    "pod-identity": _hint_identity,
    "vault-firewall": _hint_firewall,
    "object-not-found": _hint_object,
    "vault-not-found": _hint_vault,
    "vault-unreachable": _hint_vault,
    "driver-not-installed": _hint_driver,
    "provider-not-installed": _hint_driver,
    "secret-sync-forbidden": _hint_driver,
    "objects-unparseable": _hint_objects,
    "message-too-large": _hint_objects,
    "federation-mismatch": _hint_federation,
    "token-audience-missing": _hint_tokens,
    "identity-binding-client-id": _hint_identity,
    "identity-binding-proxy": _hint_identity,
    "secret-sync-mismatch": _hint_sync,
}


def _yaml() -> Any:
    try:
        return importlib.import_module("yaml")
    except ImportError:
        return None


def load(stack: str, plan_dir: Path, root: Path, outputs: Mapping[str, Any] | None = None) -> StackPlan:
    """The plan of ``stack``; InputError when ``make plan`` has not written it.

    ``outputs``: the stack's ``pulumi stack output --json`` after a deploy: the values that replace the
    plan's placeholders (identity client ID, principal IDs) when the doctor compares identities.
    """
    label = stack_label(stack, root)
    graph_path = plan_dir / label / "graph.json"
    try:
        text = graph_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{graph_path} not found: run `make plan STACK={stack}` first") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{graph_path}: cannot read: {error}") from None
    graph = parse_json(text, str(graph_path))
    plan = StackPlan(label=label)
    resources = graph.get("resources") or [] if isinstance(graph, Mapping) else []
    plan.grants = planned_grants(resources)
    if outputs is not None and isinstance(graph, Mapping):
        plan.known = substitutions(graph.get("outputs"), outputs)
    for resource in resources:
        inputs = resource.get("inputs") if isinstance(resource, Mapping) else None
        if not isinstance(inputs, Mapping):
            continue
        metadata = inputs.get("metadata") or {}
        key = (str(metadata.get("namespace") or "default"), str(metadata.get("name") or ""))
        spec = inputs.get("spec") or {}
        if resource.get("type") == POD_TYPE:
            classes = tuple(
                str(v["csi"].get("volumeAttributes", {}).get("secretProviderClass", ""))
                for v in spec.get("volumes") or []
                if isinstance(v, Mapping) and isinstance(v.get("csi"), Mapping) and v["csi"].get("driver") == CSI_DRIVER
            )
            plan.pods[key] = PlannedPod(key[0], key[1], classes, str(spec.get("serviceAccountName") or ""))
        elif str(resource.get("type", "")).startswith(CLASS_TYPE_PREFIX):
            plan.classes[key] = PlannedClass(key[0], key[1], spec.get("parameters") or {})
    yaml = _yaml()
    path = stack_file(stack, root)
    if yaml is not None and path.is_file():
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise InputError(f"{path}: cannot read the stack file: {error}") from None
        config = document.get("config") or {} if isinstance(document, Mapping) else {}
        plan.config = config if isinstance(config, Mapping) else {}
        plan.settings = _validated(plan.config)
    return plan


def _validated(config: Mapping[str, Any]) -> StackSettings | None:
    """The stack file's ``keyvault-csi:*`` settings as the program validates them, or None when the model refuses
    them."""
    from pulumi import RunError

    from keyvault_csi.program.stack import validate_stack_settings

    raw = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(f"{NS}:")}
    try:
        return validate_stack_settings(raw)
    except RunError:
        return None
