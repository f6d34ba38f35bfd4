"""Kubeconfigs of AKS clusters with Entra ID integration, made usable without a person at a browser.

AKS answers ``listClusterUserCredentials`` of such a cluster with a user that runs the exec plugin
``kubelogin get-token --login devicecode`` (older clusters: the legacy ``azure`` auth-provider, which
kubelogin also signs in with device code). A deploy then prints a device code and waits until it
expires (docs/azure-rules.md §aks-entra-kubeconfig). :func:`non_interactive` rewrites those users exactly as
``kubelogin convert-kubeconfig -l <mode> [--context <context>]`` does (kubelogin v0.2.19,
``pkg/internal/converter/convert.go``), for the modes keyvault-csi offers; every other user, and
every other part of the file, is left as it is.

Pure: text in, text out (PyYAML); no Pulumi import. Messages never quote the kubeconfig: it is a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from keyvault_csi.rules.choices import KubeloginMode

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
# kubelogin's own hint (execInstallHint), used when the user entry carries none.
INSTALL_HINT = (
    "\nkubelogin is not installed which is required to connect to AAD enabled cluster.\n\n"
    "To learn more, please go to https://azure.github.io/kubelogin/\n"
)
# kubelogin modes that wait for a person; AKS hands out devicecode.
INTERACTIVE_MODES = ("devicecode", "interactive")
ALLOWED_MODES = ", ".join(KubeloginMode)


class KubeconfigError(ValueError):
    """The kubeconfig cannot be converted (kubelogin would refuse it too)."""


def login_problem(value: object) -> str | None:
    """Why ``value`` is refused as the kubelogin mode of ``kubernetes.login``, or None."""
    if not isinstance(value, str) or value in set(KubeloginMode):
        return None  # not text: pydantic's own check names the type
    if value in INTERACTIVE_MODES:
        return (
            f"{value!r} signs in interactively (a code or a browser page for a person), so a deploy waits for "
            f"someone and then fails; allowed: {ALLOWED_MODES} (docs/entra-id.md)"
        )
    return f"{value!r} is not a kubelogin mode keyvault-csi uses; allowed: {ALLOWED_MODES} (docs/entra-id.md)"


def non_interactive(kubeconfig: str, mode: KubeloginMode, context: str | None = None) -> str:
    """``kubeconfig`` with each Entra ID user signing in through ``kubelogin get-token --login <mode>``.

    An Entra ID user runs an exec plugin whose command contains ``kubelogin`` or uses the legacy
    ``azure`` auth-provider; with ``context`` only that context's user is converted. A kubeconfig
    without such a user comes back unchanged, byte for byte (a cluster with local accounts).
    """
    document = _load(kubeconfig)
    if not isinstance(document, dict):
        return kubeconfig  # nothing that names a user: nothing to convert
    target = _context_user(document, context) if context is not None else None
    converted = False
    for entry in document.get("users") or []:
        if not isinstance(entry, dict) or (target is not None and entry.get("name") != target):
            continue
        user = entry.get("user")
        if isinstance(user, dict) and _signs_in_with_entra(user):
            user["exec"] = _kubelogin_exec(user, mode, str(entry.get("name")))
            user.pop("auth-provider", None)
            converted = True
    if not converted:
        return kubeconfig
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 16)


def _load(kubeconfig: str) -> Any:
    try:
        return yaml.safe_load(kubeconfig)
    except yaml.MarkedYAMLError as error:
        # The error's own text quotes the offending line, which may hold a credential.
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise KubeconfigError(f"is not valid YAML{where}") from None
    except yaml.YAMLError:
        raise KubeconfigError("is not valid YAML") from None


def _context_user(document: Mapping[str, Any], context: str) -> str | None:
    for entry in document.get("contexts") or []:
        if isinstance(entry, dict) and entry.get("name") == context:
            return str((entry.get("context") or {}).get("user") or "") or None
    raise KubeconfigError(f"has no context named {context!r}")


def _signs_in_with_entra(user: Mapping[str, Any]) -> bool:
    exec_ = user.get("exec")
    provider = user.get("auth-provider")
    runs_kubelogin = isinstance(exec_, dict) and "kubelogin" in str(exec_.get("command") or "").lower()
    return runs_kubelogin or (isinstance(provider, dict) and provider.get("name") == "azure")


def _kubelogin_exec(user: Mapping[str, Any], mode: KubeloginMode, name: str) -> dict[str, Any]:
    """The exec stanza kubelogin writes for ``user`` (keys in the order client-go writes them)."""
    exec_: Mapping[str, Any] = user["exec"] if isinstance(user.get("exec"), dict) else {}
    provider = user.get("auth-provider") if isinstance(user.get("auth-provider"), dict) else None
    args = [str(a) for a in exec_.get("args") or []]
    # The legacy provider's config wins over exec arguments, as in kubelogin's getArgValues.
    if provider is not None:
        config = provider.get("config") or {}
        server, client, tenant, environment = (
            str(config.get(key) or "") for key in ("apiserver-id", "client-id", "tenant-id", "environment")
        )
        legacy = str(config.get("config-mode") or "") in ("", "0")  # AAD v1 tokens: audience with spn: prefix
    else:
        server, client, tenant, environment = (
            _arg(args, flag) for flag in ("--server-id", "--client-id", "--tenant-id", "--environment")
        )
        legacy = "--legacy" in args
    if not server:
        raise KubeconfigError(f"user {name!r}: --server-id is required")
    result = ["get-token", "--login", str(mode), "--server-id", server]
    cache = _arg(args, "--cache-dir") or _arg(args, "--token-cache-dir")
    if cache:
        result += ["--cache-dir", cache]
    if mode == KubeloginMode.SPN:
        result += _service_principal_args(args, name, client, tenant, environment, legacy)
    # azurecli, workloadidentity and msi take everything else from the environment at get-token time.
    return {
        "apiVersion": EXEC_API_VERSION,
        "args": result,
        "command": "kubelogin",
        "env": None,
        "installHint": exec_.get("installHint") or INSTALL_HINT,
        "provideClusterInfo": False,
    }


def _service_principal_args(
    args: list[str], name: str, client: str, tenant: str, environment: str, legacy: bool
) -> list[str]:
    if not client:
        raise KubeconfigError(f"user {name!r}: --client-id is required")
    if not tenant:
        raise KubeconfigError(f"user {name!r}: --tenant-id is required")
    result = ["--client-id", client, "--tenant-id", tenant]
    if environment:
        result += ["--environment", environment]
    if legacy:
        result.append("--legacy")
    pop, claims = "--pop-enabled" in args, _arg(args, "--pop-claims")
    if pop != bool(claims):  # kubelogin: the two flags come together or not at all
        missing, given = ("--pop-claims", "--pop-enabled") if pop else ("--pop-enabled", "--pop-claims")
        raise KubeconfigError(f"user {name!r}: {missing} is required when specifying {given}")
    if pop:
        result += ["--pop-enabled", "--pop-claims", claims]
    return result


def _arg(args: list[str], flag: str) -> str:
    """The value after ``flag`` in exec arguments ('' when absent or last), as kubelogin's getExecArg."""
    for index, arg in enumerate(args):
        if arg == flag and index + 1 < len(args):
            return args[index + 1]
    return ""
