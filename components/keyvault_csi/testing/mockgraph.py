"""Evaluate a Pulumi program under Pulumi's own mock runtime and record the resulting graph.

This is how the project is checked without a cloud: the real Pulumi SDK registers every resource
with a mock monitor; we subclass that monitor to also keep what the engine would receive (parent,
dependencies, provider reference, protect, invoke tokens). Values only the cloud knows come back
as visible placeholders such as ``<id-app.clientId>``, never as invented GUIDs.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

PLACEHOLDER_SUBSCRIPTION = "<subscriptionId>"
# The idle loop the last evaluation left installed; closed by the next one (an unclosed loop that
# the garbage collector finalizes after its socket pair logs "Invalid file descriptor: -1").
_left_behind: list[asyncio.AbstractEventLoop] = []
DYNAMIC_NODE_IDENTITY = "pulumi-python:dynamic:NodeIdentityAssignment"


def placeholder(owner: str, field: str) -> str:
    """A value the cloud assigns at deploy time, shown as such."""
    return f"<{owner}.{field}>"


@dataclasses.dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    providers: dict[str, str]
    protect: bool
    retain_on_delete: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    # Paths ("kubeconfig", "spec.data.token") of values the engine would get as secrets.
    secret_inputs: list[str] = dataclasses.field(default_factory=list)
    secret_outputs: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RecordedInvoke:
    token: str
    args: dict[str, Any]
    provider: str


@dataclasses.dataclass
class Graph:
    """Everything one program evaluation declared, in registration order."""

    resources: list[RecordedResource]
    invokes: list[RecordedInvoke]
    stack_outputs: dict[str, Any]
    secret_stack_outputs: list[str] = dataclasses.field(default_factory=list)

    def by_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}

    def one(self, type_: str, name: str) -> RecordedResource:
        found = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} resources of type {type_} named {name}")
        return found[0]

    def ancestors(self, resource: RecordedResource) -> list[str]:
        """URNs of the resource's parent chain, nearest first."""
        index = self.by_urn()
        chain, parent = [], resource.parent
        while parent and parent in index:
            chain.append(parent)
            parent = index[parent].parent
        return chain

    def depends_on(self, resource: RecordedResource, target: RecordedResource) -> bool:
        """True if ``resource`` waits for ``target``, directly or through any path of the graph.

        A dependency on a component means a dependency on everything beneath it, as in the engine.
        """
        index = self.by_urn()
        children: dict[str, list[str]] = {}
        for r in self.resources:
            children.setdefault(r.parent, []).append(r.urn)

        def expand(urn: str) -> list[str]:
            out, todo = [], [urn]
            while todo:
                u = todo.pop()
                out.append(u)
                if not index[u].custom:
                    todo.extend(children.get(u, []))
            return out

        seen: set[str] = set()
        todo = list(resource.dependencies) + [d for deps in resource.property_dependencies.values() for d in deps]
        while todo:
            urn = todo.pop()
            if urn in seen or urn not in index:
                continue
            seen.add(urn)
            for u in expand(urn):
                if u == target.urn:
                    return True
                if u not in seen:
                    todo.extend(index[u].dependencies)
                    todo.extend(d for deps in index[u].property_dependencies.values() for d in deps)
        return False


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = self.resources.get(response.urn)
        secret_inputs: list[str] = []
        secret_outputs: list[str] = []
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                dependencies=sorted(request.dependencies),
                property_dependencies={
                    key: sorted(value.urns) for key, value in sorted(request.propertyDependencies.items())
                },
                provider=request.provider,
                providers=dict(sorted(request.providers.items())),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                inputs=_plain(pulumi.runtime.rpc.deserialize_properties(request.object), secret_inputs),
                outputs=_plain(registration.state, secret_outputs) if registration else {},
                secret_inputs=secret_inputs,
                secret_outputs=secret_outputs,
            )
        )
        return response


def _plain(value: Any, secrets: list[str] | None = None, path: str = "") -> Any:
    """Strip the SDK's wrappers so recorded values compare and serialise as plain data.

    A secret becomes ``{"value": ...}``; its path is appended to ``secrets`` when given.
    """
    if isinstance(value, Mapping):
        if secrets is not None and pulumi.runtime.rpc.is_rpc_secret(value):
            secrets.append(path)
        return {
            k: _plain(v, secrets, f"{path}.{k}" if path else str(k))
            for k, v in value.items()
            if k != pulumi.runtime.rpc._special_sig_key  # type: ignore[attr-defined]
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v, secrets, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


class PlaceholderMocks(pulumi.runtime.Mocks):
    """Mock answers that stand in for Azure: echo inputs, mark cloud-assigned values as placeholders.

    ``vault_rbac`` answers the ``getVault`` look-up that ``permissionModel: auto`` makes: a mapping
    of vault name to ``enableRbacAuthorization`` (unknown vaults answer ``False``).
    ``clusters_without_oidc`` names AKS clusters whose ``getManagedCluster`` answer has no OIDC
    issuer (``oidcIssuerProfile: {enabled: false}``, as before ``--enable-oidc-issuer``).
    """

    def __init__(self, vault_rbac: Mapping[str, bool] | None = None, clusters_without_oidc: Iterable[str] = ()) -> None:
        self.vault_rbac = dict(vault_rbac or {})
        self.clusters_without_oidc = frozenset(clusters_without_oidc)
        self.invokes: list[RecordedInvoke] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        outputs = dict(args.inputs)
        resource_id = f"{args.name}-id"
        if args.typ == "azure-native:managedidentity:UserAssignedIdentity":
            rg, name = outputs["resourceGroupName"], outputs["resourceName"]
            resource_id = (
                f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{rg}"
                f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
            )
            outputs.update(
                name=name,
                clientId=placeholder(name, "clientId"),
                principalId=placeholder(name, "principalId"),
                tenantId=placeholder(name, "tenantId"),
            )
        elif args.typ == DYNAMIC_NODE_IDENTITY:
            outputs.pop("__provider", None)
            node = str(outputs.get("nodeId", args.name)).rsplit("/", 1)[-1]
            system = bool(outputs.get("systemAssigned"))
            outputs["principalId"] = placeholder(node, "systemAssignedPrincipalId") if system else ""
        elif args.typ.startswith("azure-native:") and "name" not in outputs:
            outputs["name"] = args.name
        if "id" not in outputs:
            outputs["id"] = resource_id
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        inputs = _plain(dict(args.args))
        self.invokes.append(RecordedInvoke(token=args.token, args=inputs, provider=args.provider))
        return self.answer(args.token, inputs), []

    def answer(self, token: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The answer to one invoke (``inputs`` as plain data); subclasses override it."""
        answer = _invoke_answer(token, inputs, self.vault_rbac)
        if (
            token == "azure-native:containerservice:getManagedCluster"
            and inputs["resourceName"] in self.clusters_without_oidc
        ):
            answer["oidcIssuerProfile"] = {"enabled": False}
        return answer


def _invoke_answer(token: str, inputs: dict[str, Any], vault_rbac: Mapping[str, bool]) -> dict:
    if token == "azure-native:keyvault:getVault":
        name = inputs["vaultName"]
        return {
            "id": f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{inputs['resourceGroupName']}"
            f"/providers/Microsoft.KeyVault/vaults/{name}",
            "name": name,
            "properties": {
                "enableRbacAuthorization": vault_rbac.get(name, False),
                "accessPolicies": [],
                "tenantId": placeholder(name, "tenantId"),
                "sku": {"family": "A", "name": "standard"},
            },
        }
    if token == "azure-native:managedidentity:getUserAssignedIdentity":
        name = inputs["resourceName"]
        return {
            "id": f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{inputs['resourceGroupName']}"
            f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
            "name": name,
            "clientId": placeholder(name, "clientId"),
            "principalId": placeholder(name, "principalId"),
            "tenantId": placeholder(name, "tenantId"),
            "location": "<location>",
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        }
    if token == "azure-native:containerservice:getManagedCluster":
        cluster = inputs["resourceName"]
        kubelet = f"{cluster}-agentpool"
        return {
            "id": f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{inputs['resourceGroupName']}"
            f"/providers/Microsoft.ContainerService/managedClusters/{cluster}",
            "name": cluster,
            "location": "<location>",
            "type": "Microsoft.ContainerService/ManagedClusters",
            "identityProfile": {
                "kubeletidentity": {
                    "clientId": placeholder(kubelet, "clientId"),
                    "objectId": placeholder(kubelet, "objectId"),
                    "resourceId": f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/MC_{cluster}"
                    f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{kubelet}",
                }
            },
            "oidcIssuerProfile": {"enabled": True, "issuerURL": placeholder(cluster, "oidcIssuerURL")},
            "nodeResourceGroup": f"MC_{inputs['resourceGroupName']}_{cluster}_location",  # a valid name: it is checked
        }
    if token == "azure-native:containerservice:listManagedClusterUserCredentials":
        kubeconfig = f"# {placeholder(inputs['resourceName'], 'kubeconfig')}\n"
        return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(kubeconfig.encode()).decode()}]}
    if token == "azure-native:authorization:getClientConfig":
        return {
            "clientId": "<deployer.clientId>",
            "objectId": "<deployer.objectId>",
            "subscriptionId": PLACEHOLDER_SUBSCRIPTION,
            "tenantId": "<deployer.tenantId>",
        }
    return {}


def _ignore_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if "exception was never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)


def evaluate(
    program: Callable[[], None],
    config: Mapping[str, Any] | None = None,
    *,
    secret_keys: list[str] | None = None,
    project: str = "keyvault-csi",
    stack: str = "test",
    vault_rbac: Mapping[str, bool] | None = None,
    clusters_without_oidc: Iterable[str] = (),
    mocks: PlaceholderMocks | None = None,
) -> Graph:
    """Run ``program`` once under the mock runtime and return the graph it declared.

    ``config`` maps full keys (``keyvault-csi:tenantId``) to values; objects are passed as JSON
    like the CLI does. Mocks are set per call, so evaluations never leak into each other.
    ``mocks``: answers to use instead (``keyvault_csi.testing.KeyVaultCsiMocks``); its invokes are recorded.
    """
    mocks = mocks if mocks is not None else PlaceholderMocks(vault_rbac, clusters_without_oidc)
    monitor = _RecordingMonitor(mocks)
    pulumi.runtime.settings.reset_options()  # type: ignore[attr-defined]
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()},
        secret_keys or [],
    )
    while _left_behind:
        idle = _left_behind.pop()
        if not idle.is_running() and not idle.is_closed():
            idle.close()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    try:
        root = pulumi.runtime.get_root_resource()
        loop.run_until_complete(pulumi.runtime.stack.run_pulumi_func(program))  # type: ignore[attr-defined]
        exported = loop.run_until_complete(pulumi.Output.from_input(dict(root.outputs)).future())
        secret_exports = sorted(
            key
            for key, value in dict(root.outputs).items()
            if loop.run_until_complete(pulumi.Output.from_input(value).is_secret())
        )
    except BaseException:
        # The error reaches the caller; every other Output that carried it would log it again
        # ("Future exception was never retrieved") when collected.
        loop.set_exception_handler(_ignore_unretrieved)
        raise
    finally:
        pulumi.runtime.set_all_config({}, [])
        loop.close()
        _left_behind.append(asyncio.new_event_loop())
        asyncio.set_event_loop(_left_behind[-1])  # leave a usable loop for whoever runs next
    return Graph(
        resources=monitor.recorded,
        invokes=mocks.invokes,
        stack_outputs=_plain(exported or {}),
        secret_stack_outputs=secret_exports,
    )
