"""Evaluate a Pulumi program under Pulumi's own mock runtime and record the resulting graph.

This is how the project is checked without a cloud: the real Pulumi SDK registers every resource
with a mock monitor; we subclass that monitor to also keep what the engine would receive (parent,
dependencies, provider reference, protect, invoke tokens). Values only the cloud knows come back
as visible placeholders such as ``<id-app.clientId>``, never as invented GUIDs.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import dataclasses
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import Stack

from keyvault_csi.rules.arm_ids import identity_id, managed_cluster_path, vault_id
from keyvault_csi.testing.azure_names import azure_name

PLACEHOLDER_SUBSCRIPTION = "<subscriptionId>"
DYNAMIC_NODE_IDENTITY = "pulumi-python:dynamic:NodeIdentityAssignment"


# The invokes the components make, as the mocks answer them.
CLIENT_CONFIG = "azure-native:authorization:getClientConfig"
GET_MANAGED_CLUSTER = "azure-native:containerservice:getManagedCluster"
GET_VAULT = "azure-native:keyvault:getVault"
GET_USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:getUserAssignedIdentity"
IDENTITY_BINDING = "azure-native:containerservice:IdentityBinding"


def placeholder(owner: str, field: str) -> str:
    """A value the cloud assigns at deploy time, shown as such."""
    return f"<{owner}.{field}>"


# Every stand-in :func:`placeholder` and the invoke answers produce (``<id-app.clientId>``, ``<subscriptionId>``).
PLACEHOLDER = re.compile(r"<(?:[A-Za-z0-9][-A-Za-z0-9_.]*\.[A-Za-z][A-Za-z0-9]*|subscriptionId|location)>")


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
    import_id: str = ""  # the `import` resource option (adopting an existing object)


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
                if u == urn or u not in seen:  # the resource itself was just marked seen
                    todo.extend(index[u].dependencies)
                    todo.extend(d for deps in index[u].property_dependencies.values() for d in deps)
        return False


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, recording each registration and owning the event loops its calls need.

    The SDK calls the monitor from the worker threads of the program loop's executor; the mock
    methods then create an event loop per worker thread that nobody closes, and the garbage
    collector later finalizes it ("unclosed event loop", "Invalid file descriptor: -1"). Here each
    worker thread gets its loop from :meth:`_thread_loop`, and :meth:`close_loops` closes them all.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self._local = threading.local()
        self._lock = threading.Lock()
        self._loops: list[asyncio.AbstractEventLoop] = []

    def _thread_loop(self) -> None:
        if getattr(self._local, "loop", None) is None:
            self._local.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._local.loop)
            with self._lock:
                self._loops.append(self._local.loop)

    def close_loops(self) -> None:
        """Close the worker threads' loops (call once those threads are done)."""
        with self._lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            loop.close()

    def _on_thread_loop(self, method: Callable[[Any], Any], request: Any) -> Any:
        self._thread_loop()
        return method(request)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        return self._on_thread_loop(super().Invoke, request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        return self._on_thread_loop(super().ReadResource, request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self._thread_loop()
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # untyped in the SDK
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
                import_id=request.importId,
            )
        )
        return response


def _as_output(value: Any) -> pulumi.Output[Any]:
    """An exported value as one Output: as it is when it holds no Output inside (``Output.from_input``
    would remake it one Output per nested value, as the engine's serialisation does not)."""
    if isinstance(value, pulumi.Output):
        return value.apply(lambda inner: pulumi.Output.from_input(inner) if _holds_outputs(inner) else inner)
    return pulumi.Output.from_input(value)


def _holds_outputs(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, dict):
        return any(_holds_outputs(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_outputs(v) for v in value)
    return False


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
            if k != pulumi.runtime.rpc._special_sig_key
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
    ``aks_addons`` maps a cluster name to its ``azureKeyvaultSecretsProvider`` add-on profile
    (``None``: no add-on); other clusters run the add-on with rotation off (:func:`addon_answer`).
    ``vault_access_policies`` maps a vault name to the ``properties.accessPolicies`` entries its
    ``getVault`` answer carries (camelCase, as ARM returns them); ``client_subscription`` is the
    subscription ``getClientConfig`` answers through a provider declared without a
    ``subscriptionId`` (one declared with it answers that one, as azure-native does);
    ``subscription`` is the one in every ARM ID the answers carry. ``vault_properties`` maps a vault
    name to keys laid over its ``getVault`` answer's ``properties`` (azure-native's output shape:
    ``publicNetworkAccess``, ``networkAcls``, ``privateEndpointConnections`` with the connection's
    ``privateLinkServiceConnectionState`` flattened onto it); ``unreadable_vaults`` maps a vault name
    to the error its ``getVault`` fails with (as a 403 or 404 from Azure makes the invoke fail).
    """

    def __init__(
        self,
        vault_rbac: Mapping[str, bool] | None = None,
        clusters_without_oidc: Iterable[str] = (),
        aks_addons: Mapping[str, Mapping[str, Any] | None] | None = None,
        vault_access_policies: Mapping[str, list[dict[str, Any]]] | None = None,
        client_subscription: str = PLACEHOLDER_SUBSCRIPTION,
        subscription: str = PLACEHOLDER_SUBSCRIPTION,
        vault_properties: Mapping[str, Mapping[str, Any]] | None = None,
        unreadable_vaults: Mapping[str, str] | None = None,
    ) -> None:
        self.subscription = subscription
        self.vault_properties = dict(vault_properties or {})
        self.unreadable_vaults = dict(unreadable_vaults or {})
        self.vault_rbac = dict(vault_rbac or {})
        self.clusters_without_oidc = frozenset(clusters_without_oidc)
        self.aks_addons = dict(aks_addons or {})
        self.vault_access_policies = dict(vault_access_policies or {})
        self.client_subscription = client_subscription
        self.provider_subscriptions: dict[str, str] = {}  # azure-native provider id -> its subscriptionId
        self.invokes: list[RecordedInvoke] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        resource_id = f"{args.name}-id"
        if args.typ == "azure-native:managedidentity:UserAssignedIdentity":
            rg, name = outputs["resourceGroupName"], azure_name(args.typ, args.name, outputs)  # auto-named if no input
            resource_id = identity_id(self.subscription, rg, name)
            outputs.update(
                name=name,
                clientId=placeholder(name, "clientId"),
                principalId=placeholder(name, "principalId"),
                tenantId=placeholder(name, "tenantId"),
            )
        elif args.typ == IDENTITY_BINDING:
            outputs["properties"] = identity_binding_properties(outputs.get("properties") or {})
        elif args.typ == DYNAMIC_NODE_IDENTITY:
            outputs.pop("__provider", None)
            if outputs.get("agentPool") and not outputs.get("nodeId"):
                # Discovered at deploy time from the cluster; the plan shows where it will be found.
                pool = f"{outputs.get('clusterName')}/{outputs['agentPool']}"
                outputs["nodeId"] = outputs["discoveredNodeId"] = placeholder(pool, "scaleSetId")
            node = str(outputs.get("nodeId", args.name)).rsplit("/", 1)[-1]
            system = bool(outputs.get("systemAssigned"))
            outputs["principalId"] = placeholder(node, "systemAssignedPrincipalId") if system else ""
        elif args.typ == "pulumi:providers:azure-native" and outputs.get("subscriptionId"):
            self.provider_subscriptions[resource_id] = str(outputs["subscriptionId"])
        elif args.typ.startswith("azure-native:") and "name" not in outputs:
            outputs["name"] = args.name
        if "id" not in outputs:
            outputs["id"] = resource_id
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        inputs = _plain(dict(args.args))
        self.invokes.append(RecordedInvoke(token=args.token, args=inputs, provider=args.provider))
        if args.token == GET_VAULT and inputs.get("vaultName") in self.unreadable_vaults:
            # A failure, as the engine reports a provider's error: the SDK raises "invoke of ... failed: ...".
            return {}, [("", self.unreadable_vaults[inputs["vaultName"]])]
        answer = self.answer(args.token, inputs)
        if args.token == CLIENT_CONFIG:
            # A provider declared with a subscriptionId answers that one, as azure-native does.
            provider_id = (args.provider or "").rsplit("::", 1)[-1]
            answer["subscriptionId"] = self.provider_subscriptions.get(provider_id, answer["subscriptionId"])
        return answer, []

    def answer(self, token: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The answer to one invoke (``inputs`` as plain data); subclasses override it."""
        answer = _invoke_answer(token, inputs, self.vault_rbac, self.subscription)
        if token == GET_MANAGED_CLUSTER and inputs["resourceName"] in self.clusters_without_oidc:
            answer["oidcIssuerProfile"] = {"enabled": False}
        if token == GET_MANAGED_CLUSTER and inputs["resourceName"] in self.aks_addons:
            profile = self.aks_addons[inputs["resourceName"]]
            answer["addonProfiles"] = {"azureKeyvaultSecretsProvider": profile} if profile is not None else {}
        if token == GET_VAULT and inputs["vaultName"] in self.vault_access_policies:
            answer["properties"]["accessPolicies"] = self.vault_access_policies[inputs["vaultName"]]
        if token == GET_VAULT and inputs["vaultName"] in self.vault_properties:
            answer["properties"] |= self.vault_properties[inputs["vaultName"]]
        if token == CLIENT_CONFIG:
            answer["subscriptionId"] = self.client_subscription
        return answer


def identity_binding_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    """An identity binding's ``properties`` as AKS returns them: the identity's ids and issuer, as placeholders."""
    identity = dict(properties.get("managedIdentity") or {})
    resource_id = identity.get("resourceId")
    owner = str(resource_id).rsplit("/", 1)[-1] if isinstance(resource_id, str) and resource_id else "identity"
    return {
        **properties,
        "managedIdentity": {
            **identity,
            "clientId": placeholder(owner, "clientId"),
            "objectId": placeholder(owner, "principalId"),
            "tenantId": placeholder(owner, "tenantId"),
        },
        "oidcIssuer": {"oidcIssuerUrl": placeholder(owner, "identityBindingIssuerURL")},
        "provisioningState": "Succeeded",
    }


def addon_answer(
    cluster: str,
    *,
    enabled: bool = True,
    rotation: bool = False,
    poll_interval: str = "2m",
    subscription: str = PLACEHOLDER_SUBSCRIPTION,
) -> dict[str, Any]:
    """An ``azureKeyvaultSecretsProvider`` add-on profile as ARM returns it, identity as placeholders."""
    addon = f"azurekeyvaultsecretsprovider-{cluster}"
    return {
        "enabled": enabled,
        "config": {"enableSecretRotation": str(rotation).lower(), "rotationPollInterval": poll_interval},
        "identity": {
            "clientId": placeholder(addon, "clientId"),
            "objectId": placeholder(addon, "objectId"),
            "resourceId": identity_id(subscription, f"MC_{cluster}", addon),
        },
    }


def _invoke_answer(
    token: str, inputs: dict[str, Any], vault_rbac: Mapping[str, bool], subscription: str
) -> dict[str, Any]:
    if token == GET_VAULT:
        name = inputs["vaultName"]
        return {
            "id": vault_id(subscription, inputs["resourceGroupName"], name),
            "name": name,
            "properties": {
                "enableRbacAuthorization": vault_rbac.get(name, False),
                "accessPolicies": [],
                "publicNetworkAccess": "Enabled",  # Azure's default: reachable from any network
                "privateEndpointConnections": [],
                "tenantId": placeholder(name, "tenantId"),
                "sku": {"family": "A", "name": "standard"},
            },
        }
    if token == GET_USER_ASSIGNED_IDENTITY:
        name = inputs["resourceName"]
        return {
            "id": identity_id(subscription, inputs["resourceGroupName"], name),
            "name": name,
            "clientId": placeholder(name, "clientId"),
            "principalId": placeholder(name, "principalId"),
            "tenantId": placeholder(name, "tenantId"),
            "location": "<location>",
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        }
    if token == GET_MANAGED_CLUSTER:
        cluster = inputs["resourceName"]
        kubelet = f"{cluster}-agentpool"
        return {
            "id": managed_cluster_path(subscription, inputs["resourceGroupName"], cluster),
            "name": cluster,
            "location": "<location>",
            "type": "Microsoft.ContainerService/ManagedClusters",
            "identityProfile": {
                "kubeletidentity": {
                    "clientId": placeholder(kubelet, "clientId"),
                    "objectId": placeholder(kubelet, "objectId"),
                    "resourceId": identity_id(subscription, f"MC_{cluster}", kubelet),
                }
            },
            "oidcIssuerProfile": {"enabled": True, "issuerURL": placeholder(cluster, "oidcIssuerURL")},
            "addonProfiles": {"azureKeyvaultSecretsProvider": addon_answer(cluster, subscription=subscription)},
            "nodeResourceGroup": f"MC_{inputs['resourceGroupName']}_{cluster}_location",  # a valid name: it is checked
        }
    if token == "azure-native:containerservice:listManagedClusterUserCredentials":
        kubeconfig = f"# {placeholder(inputs['resourceName'], 'kubeconfig')}\n"
        return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(kubeconfig.encode()).decode()}]}
    if token == CLIENT_CONFIG:
        return {
            "clientId": "<deployer.clientId>",
            "objectId": "<deployer.objectId>",
            "subscriptionId": subscription,
            "tenantId": "<deployer.tenantId>",
        }
    return {}


def _ignore_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if "exception was never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Shut ``loop`` down as :func:`asyncio.run` does and uninstall it.

    Tasks still pending (Outputs nobody awaited, or cut short by an error) are cancelled and
    awaited, so none is destroyed pending; the executor's worker threads are joined.
    """
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    asyncio.set_event_loop(_idle_loop())


_idle: list[asyncio.AbstractEventLoop] = []


def _idle_loop() -> asyncio.AbstractEventLoop:
    """The one loop left installed between evaluations (``Output.from_input`` in a test needs one).

    Reused while open and closed at exit, so no loop is left for the garbage collector to finalize.
    """
    if not _idle or _idle[0].is_closed():
        if not _idle:
            atexit.register(lambda: _idle[0].close())
        _idle[:] = [asyncio.new_event_loop()]
    return _idle[0]


def evaluate(
    program: Callable[[], None],
    config: Mapping[str, Any] | None = None,
    *,
    secret_keys: list[str] | None = None,
    project: str = "keyvault-csi",
    stack: str = "test",
    vault_rbac: Mapping[str, bool] | None = None,
    clusters_without_oidc: Iterable[str] = (),
    aks_addons: Mapping[str, Mapping[str, Any] | None] | None = None,
    vault_access_policies: Mapping[str, list[dict[str, Any]]] | None = None,
    client_subscription: str = PLACEHOLDER_SUBSCRIPTION,
    vault_properties: Mapping[str, Mapping[str, Any]] | None = None,
    unreadable_vaults: Mapping[str, str] | None = None,
    mocks: PlaceholderMocks | None = None,
) -> Graph:
    """Run ``program`` once under the mock runtime and return the graph it declared.

    ``config`` maps full keys (``keyvault-csi:tenantId``) to values; objects are passed as JSON
    like the CLI does. Mocks are set per call, so evaluations never leak into each other.
    ``mocks``: answers to use instead (``keyvault_csi.testing.KeyVaultCsiMocks``); its invokes are recorded.
    """
    mocks = (
        mocks
        if mocks is not None
        else PlaceholderMocks(
            vault_rbac,
            clusters_without_oidc,
            aks_addons=aks_addons,
            vault_access_policies=vault_access_policies,
            client_subscription=client_subscription,
            vault_properties=vault_properties,
            unreadable_vaults=unreadable_vaults,
        )
    )
    monitor = _RecordingMonitor(mocks)
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()},
        secret_keys or [],
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    try:
        root = pulumi.runtime.get_root_resource()
        assert isinstance(root, Stack)  # set_mocks registered it
        loop.run_until_complete(pulumi.runtime.stack.run_pulumi_func(program))
        resolved = {key: _as_output(value) for key, value in dict(root.outputs).items()}
        exported = {key: loop.run_until_complete(output.future()) for key, output in resolved.items()}
        secret_exports = sorted(key for key, output in resolved.items() if loop.run_until_complete(output.is_secret()))
    except BaseException:
        # The error reaches the caller; every other Output that carried it would log it again
        # ("Future exception was never retrieved") when collected.
        loop.set_exception_handler(_ignore_unretrieved)
        raise
    finally:
        pulumi.runtime.set_all_config({}, [])
        _close(loop)
        monitor.close_loops()
    return Graph(
        resources=monitor.recorded,
        invokes=mocks.invokes if isinstance(mocks, PlaceholderMocks) else [],  # other pulumi Mocks record none
        stack_outputs=_plain(exported or {}),
        secret_stack_outputs=secret_exports,
    )
