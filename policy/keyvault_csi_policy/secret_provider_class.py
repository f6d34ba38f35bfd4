"""Every SecretProviderClass in the stack, ours or hand-written: what the Azure provider will read.

The provider reads ``spec.parameters`` by exact, case-sensitive key and ignores any other key
without a word; mistakes surface only as a Pod stuck in ``ContainerCreating`` (docs/azure-rules.md §pod-failed-mount). This
policy reports each such mistake with the fix, at preview.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy
from pydantic import ValidationError

from ._props import UNKNOWN, dig, known_str, plain, string_list_config
from ._shared import (
    CRD_API_VERSION,
    CRD_GROUP,
    DEPRECATED_PARAMETERS,
    IDENTITY_FLAGS,
    PARAMETER_KEYS,
    KeyVaultObject,
    cloud_env_file_problem,
    cloud_name_problem,
    file_conflicts,
    input_keys,
    key_vault_name_problem,
    parse_flag,
    parse_objects,
)

GROUP, API_VERSION = CRD_GROUP, CRD_API_VERSION
_TYPE = re.compile(rf"^kubernetes:{re.escape(GROUP)}/(?P<version>[^:]+):SecretProviderClass$")


def is_secret_provider_class(resource_type: str, props: Mapping[str, Any]) -> bool:
    """A SecretProviderClass by type token (CustomResource, yaml/v2 children) or by its own apiVersion/kind."""
    if _TYPE.match(resource_type):
        return True
    api_version = props.get("apiVersion")
    return (
        resource_type.startswith("kubernetes:")
        and props.get("kind") == "SecretProviderClass"
        and isinstance(api_version, str)
        and api_version.startswith(f"{GROUP}/")
    )


def class_label(props: Mapping[str, Any], fallback: str) -> str:
    namespace = known_str(dig(props, "metadata", "namespace")) or "default"
    return f"{namespace}/{known_str(dig(props, 'metadata', 'name')) or fallback}"


def did_you_mean(key: str, allowed: tuple[str, ...]) -> str | None:
    """The allowed key ``key`` was probably meant as: same letters in another case first, then close spellings."""
    for candidate in allowed:
        if candidate.lower() == key.lower():
            return candidate
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    return close[0] if close else None


def problems(
    resource_type: str, props: Mapping[str, Any], allowed_providers: tuple[str, ...] = ("azure",)
) -> list[str]:
    """Every mistake in one SecretProviderClass, each naming its fix (plain props, see ``_props.plain``)."""
    found: list[str] = []
    version = _api_version(resource_type, props)
    if version is not None and version != API_VERSION:
        found.append(
            f"apiVersion {version!r} is deprecated (the API server answers with a warning); "
            f"fix: use apiVersion {API_VERSION!r}, the schema is the same"
        )
    spec = props.get("spec")
    if spec is UNKNOWN:
        return found
    provider = dig(props, "spec", "provider")
    if provider is UNKNOWN:
        return found
    if provider not in allowed_providers:
        found.append(
            f"spec.provider is {provider!r}; fix: set provider: azure (allowed here: {', '.join(allowed_providers)}; "
            "other providers go in this policy's allowedProviders config)"
        )
    if provider != "azure":
        return found
    parameters = dig(props, "spec", "parameters")
    if parameters is UNKNOWN:
        return found
    if not isinstance(parameters, Mapping) or not parameters:
        return [*found, "spec.parameters is missing; fix: set keyvaultName, tenantID, objects and one identity mode"]
    for check in _CHECKS:
        found.extend(check(parameters))
    return found


def _api_version(resource_type: str, props: Mapping[str, Any]) -> str | None:
    api_version = props.get("apiVersion")
    if isinstance(api_version, str):
        return api_version
    match = _TYPE.match(resource_type)
    return f"{GROUP}/{match['version']}" if match else None


def _unknown_keys(parameters: Mapping[str, Any]) -> list[str]:
    found = []
    for key in sorted(parameters):
        if key in PARAMETER_KEYS:
            continue
        if key in DEPRECATED_PARAMETERS:
            found.append(
                f"parameter {key!r} is the deprecated spelling; fix: rename it to {DEPRECATED_PARAMETERS[key]!r}"
            )
            continue
        guess = did_you_mean(key, PARAMETER_KEYS)
        fix = (
            f"did you mean {guess!r}? fix: rename it to {guess!r}"
            if guess
            else f"fix: remove it (the provider reads only {', '.join(PARAMETER_KEYS)})"
        )
        found.append(
            f"parameter {key!r} is not read by the Azure provider (keys are case-sensitive, unknown keys are ignored); {fix}"
        )
    return found


def _string_values(parameters: Mapping[str, Any]) -> list[str]:
    return [
        f"parameter {key!r} is {value!r}, not a string; fix: quote it (the CRD's parameters are a map of string to string)"
        for key, value in sorted(parameters.items())
        if value is not UNKNOWN and not isinstance(value, str)
    ]


def _required(parameters: Mapping[str, Any]) -> list[str]:
    found = []
    tenant = parameters.get("tenantID")
    if tenant is None and "tenantId" in parameters:
        pass  # reported as the deprecated spelling
    elif tenant is None or (isinstance(tenant, str) and not tenant.strip()):
        found.append(
            "parameter 'tenantID' is missing or empty; fix: set tenantID to the Key Vault's tenant ID (not the deprecated 'tenantId')"
        )
    name = parameters.get("keyvaultName")
    problem = key_vault_name_problem(name) if isinstance(name, str) and name else None
    if name is None or name == "":
        found.append("parameter 'keyvaultName' is missing; fix: set it to the Key Vault's name")
    elif problem:
        found.append(f"keyvaultName {problem}; fix: give the vault's name as Azure spells it")
    return found


def _identity(parameters: Mapping[str, Any]) -> list[str]:
    found, true_flags = [], []
    for flag in IDENTITY_FLAGS:
        value = parameters.get(flag)
        if value is None or value is UNKNOWN or not isinstance(value, str):
            continue
        # Trimmed, then Go's strconv.ParseBool: the provider fails the mount on anything else.
        try:
            if parse_flag(value):
                true_flags.append(flag)
        except ValueError as error:
            found.append(
                f"parameter {flag!r} is {value!r}: the provider fails the mount ({error}); "
                'fix: use "true" or "false" (Go also reads 1/0, t/f, TRUE/FALSE, True/False)'
            )
    if found:
        return found  # a flag the provider cannot parse fails the mount; the rest would only follow from it
    if len(true_flags) > 1:
        found.append(
            f'{" and ".join(true_flags)} are all "true"; fix: set exactly one identity mode to "true", the others to "false"'
        )
    client_id = parameters.get("clientID")
    has_client_id = client_id is UNKNOWN or (isinstance(client_id, str) and client_id != "")
    if "useVMManagedIdentity" in true_flags and has_client_id:
        # Provider pkg/provider/provider.go buildAuthConfig: a clientID makes it parse the driver's
        # service-account token for api://AzureADTokenExchange, then VM identity mode ignores clientID.
        found.append(
            'clientID is set together with useVMManagedIdentity "true": the mount uses the VM identity and ignores '
            "clientID, and fails if the driver passes no service-account token for api://AzureADTokenExchange "
            "(tokenRequests of the CSIDriver); fix: remove clientID (node identity: userAssignedIdentityID) or set "
            'useVMManagedIdentity "false" (workload identity)'
        )
    # No flag true and no clientID is service-principal mode: the credentials come from the Pod
    # volume's nodePublishSecretRef (provider pkg/auth/auth.go), a valid mode for hand-written classes.
    user_assigned = parameters.get("userAssignedIdentityID")
    if isinstance(user_assigned, str) and user_assigned.startswith("/"):
        found.append(
            f"userAssignedIdentityID {user_assigned!r} is a resource ID; fix: give the identity's client ID (a GUID)"
        )
    if isinstance(user_assigned, str) and user_assigned and "useVMManagedIdentity" not in true_flags:
        found.append(
            'userAssignedIdentityID is read only with useVMManagedIdentity "true"; fix: set useVMManagedIdentity '
            '"true" or remove userAssignedIdentityID'
        )
    return found


def _cloud(parameters: Mapping[str, Any]) -> list[str]:
    cloud = parameters.get("cloudName")
    if not isinstance(cloud, str) or not cloud:
        return []
    unknown = cloud_name_problem(cloud)
    if unknown:
        return [f"cloudName {unknown}; fix: use one of those names"]
    env_file = parameters.get("cloudEnvFileName")
    stack = cloud_env_file_problem(cloud, env_file if isinstance(env_file, str) else "")
    return [f"{stack}; fix: set cloudEnvFileName"] if stack else []


def _objects(parameters: Mapping[str, Any]) -> list[str]:
    text = parameters.get("objects")
    if text is UNKNOWN:
        return []
    if not isinstance(text, str) or not text.strip():
        return [
            "parameter 'objects' is missing; fix: list the Key Vault objects as 'array:' of one YAML document per object"
        ]
    try:
        documents = parse_objects(text)
    except ValueError as error:
        return [
            f"objects does not parse as the provider reads it ({error}); fix: 'array:' holding one '- |' block per object"
        ]
    if not documents:
        return ["objects lists no object; fix: add at least one entry under 'array:'"]
    found: list[str] = []
    valid: list[tuple[int, KeyVaultObject]] = []
    for index, document in enumerate(documents):
        try:
            valid.append((index, KeyVaultObject.model_validate(document)))
        except ValidationError as error:
            found.extend(_object_error(index, e) for e in error.errors(include_url=False))
    return found + file_conflicts([o for _, o in valid], [i for i, _ in valid], fix="fix: ")


def _object_error(index: int, error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"])
    where = f"objects[{index}]" + (f".{field}" if field else "")
    if error["type"] == "extra_forbidden":
        guess = did_you_mean(str(error["loc"][-1]), input_keys(KeyVaultObject))
        hint = (
            f"did you mean {guess!r}? fix: rename it"
            if guess
            else f"fix: remove it (fields: {', '.join(input_keys(KeyVaultObject))})"
        )
        return f"{where}: unknown field (the provider ignores it); {hint}"
    if error["type"] == "missing":
        return f"{where}: required; fix: set it"
    return f"{where}: {str(error['msg']).removeprefix('Value error, ')}; fix: correct that field"


_CHECKS: tuple[Callable[[Mapping[str, Any]], list[str]], ...] = (
    _unknown_keys,
    _string_values,
    _required,
    _identity,
    _cloud,
    _objects,
)


def _validate(args: ResourceValidationArgs, report_violation) -> None:
    props = plain(args.props)
    if not is_secret_provider_class(args.resource_type, props):
        return
    allowed = tuple(args.get_config().get("allowedProviders") or ("azure",))
    label = class_label(props, args.name)
    for problem in problems(args.resource_type, props, allowed):
        report_violation(f"SecretProviderClass {label}: {problem}", None)


POLICY = ResourceValidationPolicy(
    name="secret-provider-class-azure-parameters",
    description=(
        "SecretProviderClasses use apiVersion v1, provider azure, only the parameter keys the Azure provider "
        "reads, one identity mode, tenantID, and an objects string that parses in two levels into valid objects."
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=string_list_config(
        "allowedProviders", ["azure"], "spec.provider values accepted; only azure classes get the parameter checks."
    ),
)
