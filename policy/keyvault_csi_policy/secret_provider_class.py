"""Every SecretProviderClass in the stack, ours or hand-written: what the Azure provider will read.

The provider reads ``spec.parameters`` by exact, case-sensitive key and ignores any other key
without a word; mistakes surface only as a Pod stuck in ``ContainerCreating`` (docs/azure-rules.md §pod-failed-mount).
Two policies report them with the fix, at preview: what fails the mount or loses a setting that
was meant (a misspelt key) is mandatory; what the provider still reads or harmlessly ignores
(``tenantId``, ``v1alpha1``, a parameter its identity mode does not use) is advisory. So the
provider's own documented classes pass (tests/reference/provider-examples, docs/guardrails.md).
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
    equal_fold,
    file_conflicts,
    input_keys,
    key_vault_name_problem,
    parse_flag,
    parse_objects,
)

GROUP, API_VERSION = CRD_GROUP, CRD_API_VERSION
MANDATORY, ADVISORY = EnforcementLevel.MANDATORY.value, EnforcementLevel.ADVISORY.value
# (level, message): every check reports both levels, each of the two policies keeps its own.
Finding = tuple[str, str]
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


def findings(
    resource_type: str, props: Mapping[str, Any], allowed_providers: tuple[str, ...] = ("azure",)
) -> list[Finding]:
    """Every mistake in one SecretProviderClass with its level, each naming its fix.

    ``props`` are plain (see ``_props.plain``).
    """
    found: list[Finding] = []
    version = _api_version(resource_type, props)
    if version is not None and version != API_VERSION:
        # Still served, with a deprecation warning (docs/azure-rules.md §spc-api-version).
        found.append(
            (
                ADVISORY,
                f"apiVersion {version!r} is deprecated (the API server answers with a warning); "
                f"fix: use apiVersion {API_VERSION!r}, the schema is the same",
            )
        )
    spec = props.get("spec")
    if spec is UNKNOWN:
        return found
    provider = dig(props, "spec", "provider")
    if provider is UNKNOWN:
        return found
    if provider not in allowed_providers:
        found.append(
            (
                MANDATORY,
                f"spec.provider is {provider!r}; fix: set provider: azure "
                f"(allowed here: {', '.join(allowed_providers)}; other providers go in this policy's allowedProviders "
                "config)",
            )
        )
    if provider != "azure":
        return found
    parameters = dig(props, "spec", "parameters")
    if parameters is UNKNOWN:
        return found
    if not isinstance(parameters, Mapping) or not parameters:
        message = "spec.parameters is missing; fix: set keyvaultName, tenantID, objects and one identity mode"
        return [*found, (MANDATORY, message)]
    for check in _CHECKS:
        found.extend(check(parameters))
    return found


def problems(
    resource_type: str, props: Mapping[str, Any], allowed_providers: tuple[str, ...] = ("azure",)
) -> list[str]:
    """The mandatory findings: what fails the mount or is not what was meant."""
    return [message for level, message in findings(resource_type, props, allowed_providers) if level == MANDATORY]


def advisories(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The advisory findings: what the provider still reads or harmlessly ignores."""
    return [message for level, message in findings(resource_type, props) if level == ADVISORY]


def _api_version(resource_type: str, props: Mapping[str, Any]) -> str | None:
    api_version = props.get("apiVersion")
    if isinstance(api_version, str):
        return api_version
    match = _TYPE.match(resource_type)
    return f"{GROUP}/{match['version']}" if match else None


def _unknown_keys(parameters: Mapping[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    for key in sorted(parameters):
        if key in PARAMETER_KEYS or key in DEPRECATED_PARAMETERS:
            continue  # a deprecated spelling is _tenant's
        guess = did_you_mean(key, PARAMETER_KEYS)
        if guess:
            # A misspelt key: the setting meant is never read.
            found.append(
                (
                    MANDATORY,
                    f"parameter {key!r} is not read by the Azure provider (keys are case-sensitive, unknown keys are "
                    f"ignored); did you mean {guess!r}? fix: rename it to {guess!r}",
                )
            )
        else:
            found.append(
                (
                    ADVISORY,
                    f"parameter {key!r} is not read by the Azure provider (unknown keys are ignored); "
                    f"fix: remove it (the provider reads only {', '.join(PARAMETER_KEYS)})",
                )
            )
    return found


def _string_values(parameters: Mapping[str, Any]) -> list[Finding]:
    return [
        (
            MANDATORY,
            f"parameter {key!r} is {value!r}, not a string; "
            "fix: quote it (the CRD's parameters are a map of string to string)",
        )
        for key, value in sorted(parameters.items())
        if value is not UNKNOWN and not isinstance(value, str)
    ]


def _blank(value: Any) -> bool:
    """Empty as the provider reads it (values are trimmed); an unknown value is not blank."""
    return value is None or (isinstance(value, str) and not value.strip())


def _tenant(parameters: Mapping[str, Any]) -> list[Finding]:
    # The provider reads tenantID, and the deprecated tenantId only when tenantID is empty
    # (docs/azure-rules.md §params-tenant-id).
    tenant, deprecated = parameters.get("tenantID"), parameters.get("tenantId")
    if _blank(tenant) and _blank(deprecated):
        return [
            (
                MANDATORY,
                "parameter 'tenantID' is missing or empty; fix: set tenantID to the Key Vault's tenant ID "
                "(not the deprecated 'tenantId')",
            )
        ]
    if "tenantId" not in parameters:
        return []
    if _blank(tenant):
        return [(ADVISORY, "parameter 'tenantId' is the deprecated spelling, still read; fix: rename it to 'tenantID'")]
    return [(ADVISORY, "parameter 'tenantId' is ignored: tenantID is set and read first; fix: remove 'tenantId'")]


def _vault_name(parameters: Mapping[str, Any]) -> list[Finding]:
    name = parameters.get("keyvaultName")
    if name is None or name == "":
        return [(MANDATORY, "parameter 'keyvaultName' is missing; fix: set it to the Key Vault's name")]
    problem = key_vault_name_problem(name) if isinstance(name, str) else None
    return [(MANDATORY, f"keyvaultName {problem}; fix: give the vault's name as Azure spells it")] if problem else []


def _identity(parameters: Mapping[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    true_flags = []
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
                (
                    MANDATORY,
                    f"parameter {flag!r} is {value!r}: the provider fails the mount ({error}); "
                    'fix: use "true" or "false" (Go also reads 1/0, t/f, TRUE/FALSE, True/False)',
                )
            )
    if found:
        return found  # a flag the provider cannot parse fails the mount; the rest would only follow from it
    if len(true_flags) > 1:
        found.append(
            (
                MANDATORY,
                f'{" and ".join(true_flags)} are all "true"; fix: set exactly one identity mode to "true", '
                'the others to "false"',
            )
        )
    client_id = parameters.get("clientID")
    has_client_id = client_id is UNKNOWN or (isinstance(client_id, str) and client_id != "")
    vm_identity = "useVMManagedIdentity" in true_flags
    if vm_identity and has_client_id:
        # Provider pkg/provider/provider.go buildAuthConfig: a clientID makes it parse the driver's
        # service-account token for api://AzureADTokenExchange, then VM identity mode ignores clientID.
        found.append(
            (
                MANDATORY,
                'clientID is set together with useVMManagedIdentity "true": the mount uses the VM identity and '
                "ignores clientID, and fails if the driver passes no service-account token for "
                "api://AzureADTokenExchange (tokenRequests of the CSIDriver); fix: remove clientID (node identity: "
                'userAssignedIdentityID) or set useVMManagedIdentity "false" (workload identity)',
            )
        )
    if "useAzureTokenProxy" in true_flags and not has_client_id:
        # Provider v1.8.2 pkg/provider/provider.go buildAuthConfig: "clientID is required for identity binding".
        found.append(
            (
                MANDATORY,
                'useAzureTokenProxy is "true" (AKS identity binding) without clientID: the provider fails the mount '
                '("clientID is required for identity binding"); fix: set clientID to the bound identity\'s client ID',
            )
        )
    # No flag true and no clientID is service-principal mode: the credentials come from the Pod
    # volume's nodePublishSecretRef (provider pkg/auth/auth.go), a valid mode for hand-written classes.
    user_assigned = parameters.get("userAssignedIdentityID")
    if not isinstance(user_assigned, str) or not user_assigned.strip():
        return found
    if not vm_identity:
        # Only the VM identity mode reads it (provider pkg/auth/auth.go GetCredential).
        found.append(
            (
                ADVISORY,
                'userAssignedIdentityID is ignored: the provider reads it only with useVMManagedIdentity "true"; '
                'fix: remove it, or set useVMManagedIdentity "true" if the node\'s identity was meant',
            )
        )
    elif user_assigned.startswith("/"):
        found.append(
            (
                MANDATORY,
                f"userAssignedIdentityID {user_assigned!r} is a resource ID; "
                "fix: give the identity's client ID (a GUID)",
            )
        )
    return found


def _cloud(parameters: Mapping[str, Any]) -> list[Finding]:
    cloud = parameters.get("cloudName")
    if not isinstance(cloud, str) or not cloud:
        return []
    unknown = cloud_name_problem(cloud)
    if unknown:
        return [(MANDATORY, f"cloudName {unknown}; fix: use one of those names")]
    env_file = parameters.get("cloudEnvFileName")
    stack = cloud_env_file_problem(cloud, env_file if isinstance(env_file, str) else "")
    return [(MANDATORY, f"{stack}; fix: set cloudEnvFileName")] if stack else []


def _objects(parameters: Mapping[str, Any]) -> list[Finding]:
    text = parameters.get("objects")
    if text is UNKNOWN:
        return []
    if not isinstance(text, str) or not text.strip():
        message = (
            "parameter 'objects' is missing; "
            "fix: list the Key Vault objects as 'array:' of one YAML document per object"
        )
        return [(MANDATORY, message)]
    try:
        documents = parse_objects(text)
    except ValueError as error:
        return [
            (
                MANDATORY,
                f"objects does not parse as the provider reads it ({error}); "
                "fix: 'array:' holding one '- |' block per object",
            )
        ]
    if not documents:
        return [(MANDATORY, "objects lists no object; fix: add at least one entry under 'array:'")]
    found: list[Finding] = []
    valid: list[tuple[int, KeyVaultObject]] = []
    for index, document in enumerate(documents):
        ignored = _ignored_format(index, document)
        if ignored:
            found.append(ignored)
            document = {k: v for k, v in document.items() if k != "objectFormat"}
        try:
            valid.append((index, KeyVaultObject.model_validate(document)))
        except ValidationError as error:
            found.extend(_object_error(index, e) for e in error.errors(include_url=False))
    conflicts = file_conflicts([o for _, o in valid], [i for i, _ in valid], fix="fix: ")
    return found + [(MANDATORY, conflict) for conflict in conflicts]


def _ignored_format(index: int, document: Mapping[str, Any]) -> Finding | None:
    """A ``pfx`` in another letter case on a key or cert: the provider's pfx check is case-sensitive, so it
    passes and the format is ignored (the file is PEM); exactly ``pfx`` there fails the mount."""
    given, kind = document.get("objectFormat"), document.get("objectType")
    if not isinstance(given, str) or given == "pfx" or not equal_fold(given, "pfx") or kind == "secret":
        return None
    return (
        ADVISORY,
        f"objects[{index}].objectFormat {given!r} is ignored with objectType {kind!r} (the file is PEM; "
        "pfx needs objectType 'secret'); fix: remove objectFormat",
    )


def _object_error(index: int, error: Mapping[str, Any]) -> Finding:
    field = ".".join(str(part) for part in error["loc"])
    where = f"objects[{index}]" + (f".{field}" if field else "")
    if error["type"] == "extra_forbidden":
        guess = did_you_mean(str(error["loc"][-1]), input_keys(KeyVaultObject))
        if guess:
            # A misspelt field: the setting meant is never read.
            return (
                MANDATORY,
                f"{where}: unknown field (the provider ignores it); did you mean {guess!r}? fix: rename it",
            )
        return ADVISORY, (
            f"{where}: unknown field (the provider ignores it); "
            f"fix: remove it (fields: {', '.join(input_keys(KeyVaultObject))})"
        )
    if error["type"] == "missing":
        return MANDATORY, f"{where}: required; fix: set it"
    return MANDATORY, f"{where}: {str(error['msg']).removeprefix('Value error, ')}; fix: correct that field"


_CHECKS: tuple[Callable[[Mapping[str, Any]], list[Finding]], ...] = (
    _unknown_keys,
    _string_values,
    _tenant,
    _vault_name,
    _identity,
    _cloud,
    _objects,
)


def _validator(level: str) -> Callable[[ResourceValidationArgs, Any], None]:
    def validate(args: ResourceValidationArgs, report_violation) -> None:
        props = plain(args.props)
        if not is_secret_provider_class(args.resource_type, props):
            return
        # allowedProviders is the mandatory policy's config (the advisory policy has none).
        allowed = tuple(args.get_config().get("allowedProviders") or ("azure",))
        label = class_label(props, args.name)
        for found_level, message in findings(args.resource_type, props, allowed):
            if found_level == level:
                report_violation(f"SecretProviderClass {label}: {message}", None)

    return validate


POLICY = ResourceValidationPolicy(
    name="secret-provider-class-azure-parameters",
    description=(
        "SecretProviderClasses use provider azure, only the parameter keys the Azure provider reads (no misspelt "
        "key), one identity mode, a tenant ID, and an objects string that parses in two levels into valid objects."
    ),
    validate=_validator(MANDATORY),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=string_list_config(
        "allowedProviders", ["azure"], "spec.provider values accepted; only azure classes get the parameter checks."
    ),
)
ADVISORY_POLICY = ResourceValidationPolicy(
    name="secret-provider-class-azure-deprecated",
    description=(
        "SecretProviderClasses avoid what the Azure provider still reads but deprecates (apiVersion v1alpha1, "
        "tenantId) and what it ignores (userAssignedIdentityID outside VM identity mode, unknown keys and fields)."
    ),
    validate=_validator(ADVISORY),
    enforcement_level=EnforcementLevel.ADVISORY,
)
