"""Where and how to reach Azure Resource Manager: clouds, endpoint override, credentials, client.

Credentials follow the environment the azure-native provider reads (ARM_CLIENT_ID/SECRET/TENANT_ID,
ARM_USE_OIDC with GitHub's token, ARM_USE_MSI, then DefaultAzureCredential); ``environment``
picks the cloud. Everything is built per call and never stored on a pickled provider.
"""

from __future__ import annotations

import functools
import json
import os
import random
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import RetryPolicy

from keyvault_csi.rules.choices import Environment

if TYPE_CHECKING:
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.core import ARMPipelineClient

# azure.identity and azure.mgmt.compute (~0.7 s to import) load only when ARM is called: the Pulumi
# program imports this module with the dynamic resource but never talks to ARM itself.


@dataclass(frozen=True)
class Cloud:
    """An Azure cloud as the azure-native provider's ``environment`` setting names it."""

    arm_endpoint: str
    authority: str
    scope: str  # the ARM token scope: not always <endpoint>/.default (US Government)


# azure-native's ``environment`` names -> the SDK's own cloud settings.
CLOUD_NAMES: tuple[str, ...] = tuple(Environment)


@functools.lru_cache(maxsize=1)
def clouds() -> Mapping[str, Cloud]:
    """Endpoints and token scopes from ``azure.mgmt.core.tools.get_arm_endpoints``, authorities from
    ``azure.identity.AzureAuthorityHosts``: no hand-written table (docs/azure-rules.md §clouds)."""
    from azure.core import AzureClouds
    from azure.identity import AzureAuthorityHosts
    from azure.mgmt.core.tools import get_arm_endpoints

    pairs = {
        "public": (AzureClouds.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD),
        "usgovernment": (AzureClouds.AZURE_US_GOVERNMENT, AzureAuthorityHosts.AZURE_GOVERNMENT),
        "china": (AzureClouds.AZURE_CHINA_CLOUD, AzureAuthorityHosts.AZURE_CHINA),
    }
    result: dict[str, Cloud] = {}
    for name, (cloud, authority) in pairs.items():
        endpoints = get_arm_endpoints(cloud)
        scope = str(endpoints["credential_scopes"][0])
        result[name] = Cloud(str(endpoints["resource_manager"]).rstrip("/"), str(authority), scope)
    return result


ENDPOINT_ENV = "KEYVAULT_CSI_ARM_ENDPOINT"
CA_BUNDLE_ENV = "KEYVAULT_CSI_ARM_CA_BUNDLE"
TOKEN_ENV = "KEYVAULT_CSI_ARM_TOKEN"
TIMEOUT_ENV = "KEYVAULT_CSI_ARM_TIMEOUT"
RETRIES_ENV = "KEYVAULT_CSI_ARM_RETRIES"
BACKOFF_ENV = "KEYVAULT_CSI_ARM_BACKOFF"
POLL_INTERVAL_ENV = "KEYVAULT_CSI_ARM_POLL_INTERVAL"
GITHUB_OIDC_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class ArmSettings:
    """Where and how to talk to ARM for one provider call (built per call, never stored)."""

    endpoint: str
    authority: str
    scope: str = ""  # "" = <endpoint>/.default (an endpoint override)
    ca_bundle: str | None = None
    static_token: str | None = None
    timeout: float = 600.0  # total budget for one node write, retries included
    backoff: float = 2.0  # azure-core's retry_backoff_factor: factor * 2**(retry-1), up to max_backoff
    max_backoff: float = 60.0
    retries: int = 10  # azure-core's retry_total per request (the deadline bounds it too)
    poll_interval: float = 5.0  # LRO poll period when ARM sends no Retry-After

    @property
    def credential_scope(self) -> str:
        return self.scope or self.endpoint.rstrip("/") + "/.default"


def resolve_cloud(environment: str = "", env: Mapping[str, str] = os.environ) -> Cloud:
    """The cloud for ``azure-native:environment`` (argument, else ARM_ENVIRONMENT, else public)."""
    name = (environment or env.get("ARM_ENVIRONMENT") or "public").strip().casefold()
    if name not in CLOUD_NAMES:
        raise ValueError(f"environment {name!r} is not one of {', '.join(CLOUD_NAMES)}")
    return clouds()[name]


def validate_endpoint(endpoint: str) -> str:
    """An ARM endpoint override must be an https URL: bearer tokens are only sent over TLS."""
    parsed = urllib.parse.urlsplit(endpoint)
    if parsed.scheme != "https" or not parsed.netloc:
        example = "https://management.local.azurestack.external"
        raise ValueError(f"ARM endpoint {endpoint!r} must be an https:// URL such as {example}")
    return endpoint.rstrip("/")


def resolve_settings(arm_endpoint: str = "", environment: str = "", env: Mapping[str, str] = os.environ) -> ArmSettings:
    """Settings from the resource's inputs plus the process environment (read at call time)."""
    cloud = resolve_cloud(environment, env)
    override = arm_endpoint or env.get(ENDPOINT_ENV, "")
    endpoint = validate_endpoint(override) if override else cloud.arm_endpoint
    # An override (Azure Stack, the test server) takes <endpoint>/.default; a cloud takes the SDK's scope.
    scope = "" if override else cloud.scope
    # A static token is a test hook: honouring it against a real cloud endpoint would be a trap.
    token = env.get(TOKEN_ENV) if override else None
    return ArmSettings(
        endpoint=endpoint,
        authority=cloud.authority,
        scope=scope,
        ca_bundle=env.get(CA_BUNDLE_ENV) or None,
        static_token=token or None,
        timeout=float(env.get(TIMEOUT_ENV, ArmSettings.timeout)),
        backoff=float(env.get(BACKOFF_ENV, ArmSettings.backoff)),
        retries=int(env.get(RETRIES_ENV, ArmSettings.retries)),
        poll_interval=float(env.get(POLL_INTERVAL_ENV, ArmSettings.poll_interval)),
    )


class StaticTokenCredential:
    """A TokenCredential returning one fixed bearer token (tests against a local ARM server)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().casefold() in {"1", "true", "yes"}


def _github_oidc_token(env: Mapping[str, str]) -> str:
    """Fetch the workflow's OIDC token (GitHub Actions) for the Entra ID federated credential."""
    url = env.get("ARM_OIDC_REQUEST_URL") or env["ACTIONS_ID_TOKEN_REQUEST_URL"]
    bearer = env.get("ARM_OIDC_REQUEST_TOKEN") or env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    separator = "&" if "?" in url else "?"
    query = urllib.parse.urlencode({"audience": GITHUB_OIDC_AUDIENCE})
    request = urllib.request.Request(f"{url}{separator}{query}", headers={"Authorization": f"Bearer {bearer}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["value"])


_CREDENTIAL_ENV = (
    "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "ARM_USE_OIDC", "ARM_OIDC_TOKEN",
    "ARM_OIDC_REQUEST_URL", "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ARM_USE_MSI",
)  # fmt: skip


def credential_kind(env: Mapping[str, str], static_token: str | None = None) -> str:
    """Which credential the azure-native provider's environment asks for, in its precedence order."""
    if static_token:
        return "static"
    if env.get("ARM_CLIENT_SECRET") and env.get("ARM_CLIENT_ID") and env.get("ARM_TENANT_ID"):
        return "client-secret"
    if _truthy(env.get("ARM_USE_OIDC")):
        return "oidc"
    if _truthy(env.get("ARM_USE_MSI")):
        return "msi"
    return "default"


def _build_credential(kind: str, authority: str, static_token: str | None, env: Mapping[str, str]) -> TokenCredential:
    if kind == "static":
        return StaticTokenCredential(str(static_token))
    from azure.identity import (
        ClientAssertionCredential,
        ClientSecretCredential,
        DefaultAzureCredential,
        ManagedIdentityCredential,
    )

    if kind == "client-secret":
        return ClientSecretCredential(
            env["ARM_TENANT_ID"], env["ARM_CLIENT_ID"], env["ARM_CLIENT_SECRET"], authority=authority
        )
    if kind == "oidc":
        if not (env.get("ARM_TENANT_ID") and env.get("ARM_CLIENT_ID")):
            raise ValueError("ARM_USE_OIDC=true needs ARM_TENANT_ID and ARM_CLIENT_ID")
        static_assertion = env.get("ARM_OIDC_TOKEN")
        return ClientAssertionCredential(
            env["ARM_TENANT_ID"],
            env["ARM_CLIENT_ID"],
            (lambda: static_assertion) if static_assertion else (lambda: _github_oidc_token(env)),
            authority=authority,
        )
    if kind == "msi":
        return ManagedIdentityCredential(client_id=env.get("ARM_CLIENT_ID") or None)
    return DefaultAzureCredential(authority=authority, exclude_interactive_browser_credential=True)


@functools.lru_cache(maxsize=8)
def _cached_credential(
    authority: str, static_token: str | None, env_items: tuple[tuple[str, str], ...]
) -> TokenCredential:
    # Cached per process (not on the pickled provider) so token caches survive across resources.
    env = dict(env_items)
    return _build_credential(credential_kind(env, static_token), authority, static_token, env)


def credential_for(settings: ArmSettings, env: Mapping[str, str] = os.environ) -> TokenCredential:
    """The credential for ``settings``, chosen from the same env the azure-native provider reads."""
    env_items = tuple((name, env[name]) for name in _CREDENTIAL_ENV if env.get(name))
    return _cached_credential(settings.authority, settings.static_token, env_items)


# 409 (another operation on the node), 429 (throttled) and 5xx: ARM's transient answers.
RETRYABLE_STATUS = frozenset({409, 429, 500, 502, 503, 504})


class DeadlineRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's RetryPolicy with one deadline for every request of a node write.

    The SDK policy does the work: ``Retry-After`` in seconds or as an HTTP date, exponential backoff
    (``retry_backoff_factor`` up to ``retry_backoff_max``), connection errors on GET. We add two
    things: a retry never sleeps past ``deadline`` (the error surfaces instead), and a PATCH is
    retried on 409/429/5xx answers (ARM took nothing; with ``If-Match`` a repeat is safe). A PATCH
    whose answer was lost is not retried here: the write cycle must learn that it may have landed.
    """

    def __init__(self, deadline: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline
        self.retried = 0

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        settings = super().configure_retries(options)
        settings["timeout"] = max(0.001, self.deadline - time.monotonic())  # azure-core's absolute timeout
        return settings

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        # Jitter spreads writers (other processes, other stacks) that collided on one node.
        return super().get_backoff_time(settings) * random.uniform(0.5, 1.0)

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        status = response.http_response.status_code
        if response.http_request.method.upper() == "PATCH":
            wanted = status in RETRYABLE_STATUS and bool(settings["total"])
        else:
            wanted = super().is_retry(settings, response)
        if not wanted:
            return False
        delay = self.get_retry_after(response)
        if delay is None:
            delay = min(settings["max_backoff"], settings["backoff"] * 2 ** len(settings["history"]))
        return time.monotonic() + delay < self.deadline

    def sleep(
        self, settings: dict[str, Any], transport: Any, response: PipelineResponse[Any, Any] | None = None
    ) -> None:
        # A retried answer is dropped unread; the initial PATCH of begin_update is streamed, so close it
        # here or its connection is only released (unclosed) by the garbage collector.
        if response is not None:
            response.http_response.close()
        super().sleep(settings, transport, response)

    def increment(self, settings: dict[str, Any], response: Any = None, error: Exception | None = None) -> bool:
        self.retried += 1
        return super().increment(settings, response=response, error=error)


def retry_policy(settings: ArmSettings, deadline: float) -> DeadlineRetryPolicy:
    return DeadlineRetryPolicy(
        deadline,
        retry_total=settings.retries,
        retry_connect=settings.retries,
        retry_read=settings.retries,
        retry_status=settings.retries,
        retry_backoff_factor=settings.backoff,
        retry_backoff_max=settings.max_backoff,
        retry_on_status_codes=sorted(RETRYABLE_STATUS),
    )


@contextmanager
def compute_client(
    subscription_id: str, settings: ArmSettings, policy: DeadlineRetryPolicy
) -> Iterator[ComputeManagementClient]:
    """A ComputeManagementClient for one write, its requests retried by ``policy`` (one deadline)."""
    from azure.mgmt.compute import ComputeManagementClient

    client = ComputeManagementClient(
        credential_for(settings),
        subscription_id,
        base_url=settings.endpoint,
        credential_scopes=[settings.credential_scope],
        connection_verify=settings.ca_bundle or True,
        retry_policy=policy,
        polling_interval=settings.poll_interval,
    )
    with client:
        yield client


@contextmanager
def arm_pipeline(settings: ArmSettings, policy: DeadlineRetryPolicy) -> Iterator[ARMPipelineClient[Any, Any]]:
    """A plain ARM client (same credential, scope, CA and retry policy) for calls the compute SDK lacks:
    the managed cluster GET (azure-mgmt-containerservice is not a dependency)."""
    from azure.core.pipeline.policies import HeadersPolicy, UserAgentPolicy
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

    policies: list[Any] = [
        HeadersPolicy(),
        UserAgentPolicy(sdk_moniker="keyvault-csi"),
        policy,
        ARMChallengeAuthenticationPolicy(credential_for(settings), settings.credential_scope),
    ]
    client: ARMPipelineClient[Any, Any] = ARMPipelineClient(
        base_url=settings.endpoint, policies=policies, connection_verify=settings.ca_bundle or True
    )
    with client:
        yield client
