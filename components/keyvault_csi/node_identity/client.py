"""Where and how to reach Azure Resource Manager: clouds, endpoint override, credentials, client.

Credentials follow the environment the azure-native provider reads (ARM_CLIENT_ID/SECRET/TENANT_ID,
ARM_USE_OIDC with GitHub's token, ARM_USE_MSI, then DefaultAzureCredential); ``environment``
picks the cloud. Everything is built per call and never stored on a pickled provider.
"""

from __future__ import annotations

import functools
import json
import os
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azure.core.credentials import AccessToken, TokenCredential

if TYPE_CHECKING:
    from azure.mgmt.compute import ComputeManagementClient

# azure.identity and azure.mgmt.compute (~0.7 s to import) load only when ARM is called: the Pulumi
# program imports this module with the dynamic resource but never talks to ARM itself.


@dataclass(frozen=True)
class Cloud:
    """An Azure cloud as the azure-native provider's ``environment`` setting names it."""

    arm_endpoint: str
    authority: str


# Authorities as azure.identity.AzureAuthorityHosts spells them.
CLOUDS: Mapping[str, Cloud] = {
    "public": Cloud("https://management.azure.com", "login.microsoftonline.com"),
    "usgovernment": Cloud("https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    "china": Cloud("https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
}

ENDPOINT_ENV = "KEYVAULT_CSI_ARM_ENDPOINT"
CA_BUNDLE_ENV = "KEYVAULT_CSI_ARM_CA_BUNDLE"
TOKEN_ENV = "KEYVAULT_CSI_ARM_TOKEN"
TIMEOUT_ENV = "KEYVAULT_CSI_ARM_TIMEOUT"
BACKOFF_ENV = "KEYVAULT_CSI_ARM_BACKOFF"
POLL_INTERVAL_ENV = "KEYVAULT_CSI_ARM_POLL_INTERVAL"
GITHUB_OIDC_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class ArmSettings:
    """Where and how to talk to ARM for one provider call (built per call, never stored)."""

    endpoint: str
    authority: str
    ca_bundle: str | None = None
    static_token: str | None = None
    timeout: float = 600.0  # total budget for one node write, retries included
    backoff: float = 2.0  # first retry delay; doubles up to max_backoff
    max_backoff: float = 60.0
    poll_interval: float = 5.0  # LRO poll period when ARM sends no Retry-After

    @property
    def scope(self) -> str:
        return self.endpoint.rstrip("/") + "/.default"


def resolve_cloud(environment: str = "", env: Mapping[str, str] = os.environ) -> Cloud:
    """The cloud for ``azure-native:environment`` (argument, else ARM_ENVIRONMENT, else public)."""
    name = (environment or env.get("ARM_ENVIRONMENT") or "public").strip().casefold()
    if name not in CLOUDS:
        raise ValueError(f"environment {name!r} is not one of {', '.join(CLOUDS)}")
    return CLOUDS[name]


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
    # A static token is a test hook: honouring it against a real cloud endpoint would be a trap.
    token = env.get(TOKEN_ENV) if override else None
    return ArmSettings(
        endpoint=endpoint,
        authority=cloud.authority,
        ca_bundle=env.get(CA_BUNDLE_ENV) or None,
        static_token=token or None,
        timeout=float(env.get(TIMEOUT_ENV, ArmSettings.timeout)),
        backoff=float(env.get(BACKOFF_ENV, ArmSettings.backoff)),
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


@contextmanager
def compute_client(subscription_id: str, settings: ArmSettings) -> Iterator[ComputeManagementClient]:
    """A ComputeManagementClient for one call; SDK retries are off because ours bound the time."""
    from azure.mgmt.compute import ComputeManagementClient

    client = ComputeManagementClient(
        credential_for(settings),
        subscription_id,
        base_url=settings.endpoint,
        credential_scopes=[settings.scope],
        connection_verify=settings.ca_bundle or True,
        retry_total=0,
        polling_interval=settings.poll_interval,
    )
    with client:
        yield client
