"""Secret sync: mounted Key Vault objects copied into a Kubernetes Secret, and Pod env from it.

The Secrets Store CSI driver reads a class's ``spec.secretObjects`` when a Pod mounts the class's
volume: for each entry it reads the named *files* from the mount and writes them into a Secret in
the Pod's namespace (and deletes that Secret once no Pod mounts the class). Nothing syncs while no
Pod mounts the volume. Every mistake shows up only in the driver's logs or as a Pod stuck in
``CreateContainerConfigError``, so the driver's and the API server's rules are checked here:

* ``data[].objectName`` is looked up among the mounted files: an object's ``objectAlias`` if it has
  one, else its ``objectName``; an object with ``objectVersionHistory`` N above 1 is a folder, read
  one version of it as ``<file>/<index>`` (index 0 is the latest; allowed here: 0 to N-1);
* ``type`` is passed through as given (any non-empty string, such as ``example.com/custom``), with
  the keys the API server requires for that type; ``kubernetes.io/tls`` splits one PEM file into
  ``tls.crt`` and ``tls.key`` and accepts no other key;
* ``secretName`` is a DNS-1123 subdomain, unique per namespace; keys are Secret data keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from keyvault_csi.rules.metadata import Annotations, Labels
from keyvault_csi.rules.model import Strict, as_mappings, repeats
from keyvault_csi.rules.names import DnsSubdomain, refusing
from keyvault_csi.rules.objects import KeyVaultObject

# Types with rules of their own (the driver passes any non-empty type through, driver
# pkg/util/secretutil/secret.go GetSecretType; the API server checks only these).
SECRET_TYPES = (
    "Opaque",
    "kubernetes.io/tls",
    "kubernetes.io/basic-auth",
    "kubernetes.io/ssh-auth",
    "kubernetes.io/dockerconfigjson",
    "kubernetes.io/dockercfg",
    "kubernetes.io/service-account-token",
)
# The API server refuses a service-account-token Secret without this annotation.
SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name"
# Keys the API server requires per type (a Secret without them is refused, so nothing syncs).
REQUIRED_KEYS: Mapping[str, tuple[str, ...]] = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
}
TLS_KEYS = ("tls.crt", "tls.key")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


def _secret_key_problem(key: str) -> str | None:
    if not key or len(key) > 253 or not SECRET_KEY.match(key) or key in (".", "..") or key.startswith(".."):
        return (
            f"{key!r} is not a Secret data key; allowed: 1-253 of letters, digits, '-', '_' and '.', "
            "not '.' or '..' and not starting with '..'"
        )
    return None


SecretDataKey = Annotated[str, refusing(_secret_key_problem)]


class SecretObjectData(Strict):
    """One entry of the Secret: which mounted file goes under which key."""

    object_name: str = Field(min_length=1)
    """The mounted file to copy: the object's objectAlias, else its objectName."""
    key: SecretDataKey
    """Key in the Secret's data ([-._a-zA-Z0-9]+)."""


class SecretObject(Strict):
    """One Kubernetes Secret the driver keeps in sync with the mounted objects (``spec.secretObjects[]``)."""

    secret_name: DnsSubdomain
    """Name of the Secret (DNS-1123 subdomain), unique in the namespace."""
    type: str = "Opaque"
    """Secret type, passed through as given; default Opaque (kubernetes.io/tls takes the keys tls.crt and tls.key)."""
    data: list[SecretObjectData] = Field(min_length=1)
    """Which mounted file goes under which key."""
    labels: Labels = {}
    """Labels of the Secret."""
    annotations: Annotations = {}
    """Annotations of the Secret."""

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        # The driver refuses an empty type (ValidateSecretObject); any other string becomes the Secret's type.
        if not value:
            raise ValueError(
                "must not be empty; allowed: any Secret type, such as Opaque, kubernetes.io/tls or example.com/custom"
            )
        return value

    @model_validator(mode="after")
    def _keys_fit_type(self) -> SecretObject:
        keys = [d.key for d in self.data]
        problems = [f"key {k!r} is used {n} times; each key holds one file" for k, n in repeats(keys)]
        missing = [k for k in REQUIRED_KEYS.get(self.type, ()) if k not in keys]
        if missing:
            problems.append(
                f"type {self.type} needs the keys {', '.join(REQUIRED_KEYS[self.type])}; missing {', '.join(missing)}"
            )
        if self.type == "kubernetes.io/tls" and set(keys) - set(TLS_KEYS):
            extra = sorted(set(keys) - set(TLS_KEYS))
            problems.append(f"type kubernetes.io/tls takes only the keys tls.crt and tls.key; got {', '.join(extra)}")
        if self.type == "kubernetes.io/basic-auth" and not {"username", "password"} & set(keys):
            problems.append("type kubernetes.io/basic-auth needs the key username or password")
        if self.type == "kubernetes.io/service-account-token" and not self.annotations.get(
            SERVICE_ACCOUNT_NAME_ANNOTATION
        ):
            problems.append(
                f"type kubernetes.io/service-account-token needs the annotation {SERVICE_ACCOUNT_NAME_ANNOTATION} "
                "(the API server refuses the Secret without it)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def manifest(self) -> dict[str, Any]:
        """The entry as ``spec.secretObjects[]`` of the v1 CRD spells it (empty maps left out)."""
        entry: dict[str, Any] = {
            "secretName": self.secret_name,
            "type": self.type,
            "data": [{"objectName": d.object_name, "key": d.key} for d in self.data],
        }
        if self.labels:
            entry["labels"] = dict(sorted(self.labels.items()))
        if self.annotations:
            entry["annotations"] = dict(sorted(self.annotations.items()))
        return entry


class SecretKeyRef(Strict):
    """A key of a synced Secret."""

    name: DnsSubdomain
    """The Secret's secretName."""
    key: SecretDataKey
    """One of its data keys."""


class EnvVar(Strict):
    """One container environment variable: a literal ``value`` or a synced Secret's key."""

    name: str
    """Variable name."""
    value: str | None = None
    """Literal value (not with secretKeyRef)."""
    secret_key_ref: SecretKeyRef | None = None
    """Read the value from a Secret this workload syncs (not with value)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ENV_NAME.match(value):
            raise ValueError(
                f"{value!r} is not an environment variable name; allowed: letters, digits, '_', '-' and '.', not starting with a digit"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> EnvVar:
        if (self.value is None) == (self.secret_key_ref is None):
            raise ValueError(f"env {self.name!r} takes exactly one of value or secretKeyRef")
        return self


class SecretRef(Strict):
    """A Secret this workload syncs."""

    name: DnsSubdomain
    """The Secret's secretName."""


class EnvFromSecret(Strict):
    """Every key of a synced Secret as environment variables, optionally prefixed."""

    secret_ref: SecretRef
    """The synced Secret."""
    prefix: str = ""
    """Prefix for every variable name."""

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value and not ENV_NAME.match(value):
            raise ValueError(
                f"prefix {value!r} is not allowed; use letters, digits, '_', '-' and '.', not starting with a digit"
            )
        return value


def version_file(name: str, histories: Mapping[str, int | None]) -> tuple[str, int] | None:
    """(object file, index) if ``name`` is ``<file>/<index>`` of an object with ``objectVersionHistory`` > 1."""
    base, _, index = name.rpartition("/")
    history = histories.get(base) if base else None
    if history is None or history <= 1 or not (index.isascii() and index.isdigit()) or str(int(index)) != index:
        return None
    return base, int(index)


def sync_source_problem(name: str, histories: Mapping[str, int | None]) -> tuple[str | None, str | None]:
    """(the mounted object's file, why the driver cannot sync ``name`` or None) for one ``data[].objectName``.

    ``histories`` maps each object's file to its ``objectVersionHistory``. The file is None when
    ``name`` is not mounted at all. An object with history N > 1 is a folder: the provider writes
    ``<file>/0`` (latest) onwards, skipping disabled versions, and with more than N versions also
    ``<file>/N`` (an off-by-one); only indexes 0 to N-1 are promised (docs/azure-rules.md §secretObjects).
    """
    if name in histories:
        history = histories[name]
        if history is not None and history > 1:
            return name, (
                f"{name!r} has objectVersionHistory {history} and is written as a folder of versions; "
                f"sync one version: {name}/0 (the latest) to {name}/{history - 1}"
            )
        return name, None
    found = version_file(name, histories)
    if found is None:
        return None, None
    base, index = found
    history = histories[base] or 0
    if index >= history:
        return base, (
            f"{name!r}: index {index} is not below objectVersionHistory {history}; allowed: {base}/0 (the latest) to "
            f"{base}/{history - 1} (a file exists only while the vault holds that many enabled versions)"
        )
    return base, None


def mounted_files_text(histories: Mapping[str, int | None]) -> str:
    """The names a ``data[].objectName`` may take, for messages."""
    names = [
        f"'{file}/0'..'{file}/{history - 1}'" if history is not None and history > 1 else repr(file)
        for file, history in sorted(histories.items())
    ]
    return ", ".join(names) or "none"


def check_sync_sources(objects: Sequence[KeyVaultObject], secret_objects: Sequence[SecretObject]) -> None:
    """Refuse a ``data[].objectName`` that names no readable mounted file (the driver reads by file name)."""
    histories = {o.file_name: o.object_version_history for o in objects}
    for secret in secret_objects:
        for entry in secret.data:
            source, problem = sync_source_problem(entry.object_name, histories)
            if source is None:
                raise ValueError(
                    f"secretObjects {secret.secret_name!r}: objectName {entry.object_name!r} is not a mounted file; "
                    f"allowed: {mounted_files_text(histories)} (an object's objectAlias, else its objectName)"
                )
            if problem:
                raise ValueError(f"secretObjects {secret.secret_name!r}: {problem}")


# --- rules across keys, read from the raw settings so they are reported with every other problem ---


def _files(objects: list[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """File name under the mount → the object that writes it (alias, else Key Vault name)."""
    return {str(o.get("objectAlias") or o.get("objectName")): o for o in objects if o.get("objectName")}


def _history(obj: Mapping[str, Any]) -> int | None:
    history = obj.get("objectVersionHistory")
    return history if isinstance(history, int) and not isinstance(history, bool) else None


def workload_sync_problems(workload: Mapping[str, Any], path: str) -> list[str]:
    """One workload's secretObjects against its objects, and its Pod env against its secretObjects."""
    problems: list[str] = []
    objects = as_mappings(workload.get("objects"))
    files = _files(objects)
    histories = {name: _history(o) for name, o in files.items()}
    aliased = {str(o.get("objectName")): str(o.get("objectAlias")) for o in objects if o.get("objectAlias")}
    synced: dict[str, set[str]] = {}
    for i, secret in enumerate(as_mappings(workload.get("secretObjects"))):
        secret_type = secret.get("type", "Opaque")
        data = as_mappings(secret.get("data"))
        synced.setdefault(str(secret.get("secretName")), set()).update(str(d.get("key")) for d in data)
        for j, entry in enumerate(data):
            name = entry.get("objectName")
            where = f"{path}.secretObjects[{i}].data[{j}].objectName"
            if not isinstance(name, str) or not name:
                continue  # reported by the model
            file, problem = sync_source_problem(name, histories)
            if file is None:
                hint = (
                    f"; object {name!r} is written as {aliased[name]!r} (its objectAlias), use that"
                    if name in aliased
                    else ""
                )
                problems.append(
                    f"{where}: {name!r} is not a mounted file{hint}; allowed: {mounted_files_text(histories)} "
                    "(an object's objectAlias, else its objectName)"
                )
                continue
            if problem:
                problems.append(f"{where}: {problem}")
            source = files[file]
            if secret_type == "kubernetes.io/tls" and (
                source.get("objectType") != "secret" or source.get("objectFormat") == "pfx"
            ):
                problems.append(
                    f"{where}: type kubernetes.io/tls splits one PEM file into tls.crt and tls.key; {name!r} must be "
                    "objectType secret on the certificate's name, objectFormat pem (objectType cert has no private key)"
                )
    # A bare Pod or a Deployment's Pod template: the same env rules.
    for template in ("pod", "deployment"):
        given = workload.get(template)
        pod: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        for i, env in enumerate(as_mappings(pod.get("env"))):
            ref = env.get("secretKeyRef")
            if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
                continue
            where = f"{path}.{template}.env[{i}].secretKeyRef"
            secret, key = ref["name"], ref.get("key")
            if secret not in synced:
                problems.append(
                    f"{where}.name: {secret!r} is not a Secret this workload syncs; allowed: {', '.join(sorted(map(repr, synced))) or 'none (add secretObjects)'}"
                )
            elif key not in synced[secret]:
                problems.append(
                    f"{where}.key: {key!r} is not a key of the synced Secret {secret!r}; allowed: {', '.join(sorted(map(repr, synced[secret])))}"
                )
        for i, env_from in enumerate(as_mappings(pod.get("envFrom"))):
            ref = env_from.get("secretRef")
            if isinstance(ref, Mapping) and isinstance(ref.get("name"), str) and ref["name"] not in synced:
                problems.append(
                    f"{path}.{template}.envFrom[{i}].secretRef.name: {ref['name']!r} is not a Secret this workload syncs; "
                    f"allowed: {', '.join(sorted(map(repr, synced))) or 'none (add secretObjects)'}"
                )
        names = [str(e.get("name")) for e in as_mappings(pod.get("env"))]
        for name, count in repeats(names):
            problems.append(f"{path}.{template}.env: {name!r} is set {count} times; the last would silently win")
    return problems


def duplicate_secret_names(workloads: Iterable[tuple[int, Mapping[str, Any]]], prefix: str) -> list[str]:
    """Two secretObjects writing one Secret in one namespace would overwrite each other."""
    seen: dict[tuple[str, str], list[str]] = {}
    for index, workload in workloads:
        namespace = str(workload.get("namespace", "default"))
        for i, secret in enumerate(as_mappings(workload.get("secretObjects"))):
            if isinstance(secret.get("secretName"), str):
                seen.setdefault((namespace, secret["secretName"]), []).append(f"workloads[{index}].secretObjects[{i}]")
    return [
        f"{prefix}{places[0]}: Secret {name!r} is synced {len(places)} times in namespace {namespace!r} ({', '.join(places)}); "
        "give each a distinct secretName"
        for (namespace, name), places in sorted(seen.items())
        if len(places) > 1
    ]
