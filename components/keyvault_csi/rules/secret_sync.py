"""Secret sync: mounted Key Vault objects copied into a Kubernetes Secret, and Pod env from it.

The Secrets Store CSI driver reads a class's ``spec.secretObjects`` when a Pod mounts the class's
volume: for each entry it reads the named *files* from the mount and writes them into a Secret in
the Pod's namespace (and deletes that Secret once no Pod mounts the class). Nothing syncs while no
Pod mounts the volume. Every mistake shows up only in the driver's logs or as a Pod stuck in
``CreateContainerConfigError``, so the driver's and the API server's rules are checked here:

* ``data[].objectName`` is looked up among the mounted files: an object's ``objectAlias`` if it has
  one, else its ``objectName``; an object with ``objectVersionHistory`` N above 1 is a folder, read
  one version of it as ``<file>/<index>`` (``<file>\\<index>`` on Windows nodes; index 0 is the latest;
  allowed here: 0 to N-1); ``<file>.crt`` / ``<file>.key`` of a secret object where the driver writes
  certificates' cert and key separately;
* ``type`` is passed through as given (any non-empty string, such as ``example.com/custom``), with
  the keys the API server requires for that type; ``kubernetes.io/tls`` takes the certificate and the
  private key out of a file and accepts no other key, and JSON keys (``.dockerconfigjson``) must come
  from a secret (:func:`content_problem`);
* ``secretName`` is a DNS-1123 subdomain, unique per namespace; keys are Secret data keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from keyvault_csi.rules.choices import NodeOS, ObjectEncoding, ObjectFormat, ObjectType
from keyvault_csi.rules.metadata import Annotations, Labels
from keyvault_csi.rules.model import Strict, repeats
from keyvault_csi.rules.names import DnsSubdomain, refusing
from keyvault_csi.rules.objects import CERT_FILE_SUFFIXES, KeyVaultObject, writes_cert_parts
from keyvault_csi.rules.paths import join, quoted, separator

# The API server refuses a service-account-token Secret without this annotation.
SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name"
# Keys the API server requires per type (a Secret without them is refused, so nothing syncs). The
# driver passes any non-empty type through (driver pkg/util/secretutil/secret.go GetSecretType).
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
                f"{value!r} is not an environment variable name; "
                "allowed: letters, digits, '_', '-' and '.', not starting with a digit"
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


def version_file(name: str, histories: Mapping[str, int | None], os: NodeOS = NodeOS.LINUX) -> tuple[str, int] | None:
    """(object file, index) if ``name`` is ``<file>/<index>`` (``<file>\\<index>`` on Windows nodes) of an object
    with ``objectVersionHistory`` > 1."""
    base, _, index = name.rpartition(separator(os))
    history = histories.get(base) if base else None
    if history is None or history <= 1 or not (index.isascii() and index.isdigit()) or str(int(index)) != index:
        return None
    return base, int(index)


def sync_source_problem(
    name: str, histories: Mapping[str, int | None], os: NodeOS = NodeOS.LINUX
) -> tuple[str | None, str | None]:
    """(the mounted object's file, why the driver cannot sync ``name`` or None) for one ``data[].objectName``.

    ``histories`` maps each object's file to its ``objectVersionHistory``. The file is None when
    ``name`` is not mounted at all. An object with history N > 1 is a folder: the provider writes
    ``<file>/0`` (latest) onwards (``<file>\\0`` on Windows nodes), skipping disabled versions, and with more
    than N versions also ``<file>/N`` (an off-by-one); only indexes 0 to N-1 are promised
    (docs/azure-rules.md §secretObjects, §objects-windows-paths).
    """
    if name in histories:
        history = histories[name]
        if history is not None and history > 1:
            return name, (
                f"{quoted(name)} has objectVersionHistory {history} and is written as a folder of versions; "
                f"sync one version: {join(os, name, '0')} (the latest) to {join(os, name, str(history - 1))}"
            )
        return name, None
    found = version_file(name, histories, os)
    if found is None:
        return None, None
    base, index = found
    history = histories[base] or 0
    if index >= history:
        return base, (
            f"{quoted(name)}: index {index} is not below objectVersionHistory {history}; allowed: "
            f"{join(os, base, '0')} (the latest) to {join(os, base, str(history - 1))} (a file exists only while the "
            "vault holds that many enabled versions)"
        )
    return base, None


def mounted_files_text(histories: Mapping[str, int | None], os: NodeOS = NodeOS.LINUX) -> str:
    """The names a ``data[].objectName`` may take, for messages."""
    names = [
        f"{quoted(join(os, file, '0'))}..{quoted(join(os, file, str(history - 1)))}"
        if history is not None and history > 1
        else repr(file)
        for file, history in sorted(histories.items())
    ]
    return ", ".join(names) or "none"


def mounted_objects(objects: Iterable[KeyVaultObject]) -> dict[str, KeyVaultObject]:
    """File name under the mount → the object that writes it (objects whose file is known)."""
    return {o.file_name: o for o in objects if o.file_known}


def sync_source(
    name: str, files: Mapping[str, KeyVaultObject], *, os: NodeOS = NodeOS.LINUX, cert_parts: bool | None = False
) -> tuple[KeyVaultObject | None, str, str | None]:
    """(the object whose file ``name`` is, the certificate part ``.crt``/``.key`` or ``""``, why it cannot sync).

    ``files`` is :func:`mounted_objects`. Besides each object's file (and version files, :func:`sync_source_problem`),
    ``<file>.crt`` and ``<file>.key`` of a ``secret`` object are mounted files when the provider writes
    certificates' cert and key in separate files (``cert_parts``: True, False or ``None`` unknown, accepted).
    The object is None when ``name`` is not mounted; the reason then says what is, with the likely mix-up.
    """
    histories = {file: o.object_version_history for file, o in files.items()}
    stem, part = name, ""
    for suffix in CERT_FILE_SUFFIXES:
        if name not in histories and name.endswith(suffix):
            stem, part = name[: -len(suffix)], suffix
    file, problem = sync_source_problem(stem, histories, os)
    obj = files.get(file) if file is not None else None
    if obj is not None and part:
        if not writes_cert_parts(obj):
            obj, problem = None, f"the provider writes {part} files only beside objectType secret"
        elif cert_parts is False:
            obj, problem = (
                None,
                (
                    f"the provider writes {quoted(stem + part)} only with driver.writeCertAndKeyInSeparateFiles true "
                    "(the AKS add-on always does)"
                ),
            )
        elif problem is None and obj.object_format is ObjectFormat.PFX:
            problem = f"{quoted(name)} is empty: with objectFormat pfx the provider finds no PEM to split into {part}"
    if obj is not None:
        return obj, part, problem
    hints = [problem] if problem else []
    aliased = {str(o.object_name): o.file_name for o in files.values() if o.object_alias}
    if name in aliased:
        hints.append(f"object {quoted(name)} is written as {quoted(aliased[name])} (its objectAlias), use that")
    other = name.replace("\\" if os == NodeOS.LINUX else "/", separator(os))
    if other != name and sync_source(other, files, os=os, cert_parts=cert_parts)[0] is not None:
        hints.append(f"on {os} nodes the file is written {quoted(other)}, use that")
    allowed = f"allowed: {mounted_files_text(histories, os)} (an object's objectAlias, else its objectName)"
    return None, "", f"{quoted(name)} is not a mounted file{''.join(f'; {h}' for h in hints)}; {allowed}"


# Secret types whose data key the API server parses as JSON (Kubernetes ValidateSecret).
JSON_KEYS = {"kubernetes.io/dockerconfigjson": ".dockerconfigjson", "kubernetes.io/dockercfg": ".dockercfg"}


def content_problem(secret_type: str, key: str, obj: KeyVaultObject, part: str) -> str | None:
    """Why the file of ``obj`` (or its certificate ``part``) cannot fill ``key`` of a ``secret_type`` Secret.

    kubernetes.io/tls: the driver takes tls.crt from the file's PEM CERTIFICATE blocks and tls.key from its
    other PEM block, each falling back to binary PKCS#12 when the file has no PEM (driver secretutil getCert,
    getPrivateKey). dockerconfigjson and dockercfg: the API server refuses a value that is not JSON
    (docs/azure-rules.md §sync-content).
    """
    kind = f"objectType {obj.object_type}" if not part else f"the {part} file"
    if JSON_KEYS.get(secret_type) == key and (part or obj.object_type is not ObjectType.SECRET):
        return (
            f"type {secret_type} needs JSON under {key}, and {kind} is PEM: the API server would refuse the Secret "
            "on every sync; use an objectType secret that holds the JSON"
        )
    if secret_type != "kubernetes.io/tls" or key not in TLS_KEYS:
        return None
    use = "use objectType secret on the certificate's name"
    if obj.object_type is ObjectType.KEY:
        wants = "a certificate" if key == "tls.crt" else "a private key"
        return f"{key} needs {wants}, and objectType key is the PUBLIC KEY only; {use}"
    if obj.object_type is ObjectType.CERT or part == ".crt":
        return (
            f"tls.key needs a private key, and {kind} holds only the certificate; {use}" if key == "tls.key" else None
        )
    if part == ".key":
        return (
            f"tls.crt needs a certificate, and {kind} holds only the private key; {use}" if key == "tls.crt" else None
        )
    if obj.object_format is ObjectFormat.PFX and obj.object_encoding is not ObjectEncoding.BASE64:
        return (
            f"{key}: objectFormat pfx writes the PKCS#12 as base64 text, which the driver cannot read; "
            "add objectEncoding base64 (binary PKCS#12) or use objectFormat pem"
        )
    return None


def sync_data_problems(
    objects: Sequence[KeyVaultObject],
    secret_objects: Sequence[SecretObject],
    *,
    os: NodeOS = NodeOS.LINUX,
    cert_parts: bool | None = False,
) -> list[tuple[int, int, str]]:
    """(secretObjects index, data index, problem) for each ``data[].objectName`` that cannot sync: not a mounted
    file, or a file whose content the Secret's type cannot take. The one rule for settings and class."""
    files = mounted_objects(objects)
    found: list[tuple[int, int, str]] = []
    for i, secret in enumerate(secret_objects):
        for j, entry in enumerate(secret.data):
            obj, part, problem = sync_source(entry.object_name, files, os=os, cert_parts=cert_parts)
            problem = problem or (content_problem(secret.type, entry.key, obj, part) if obj is not None else None)
            if problem:
                found.append((i, j, problem))
    return found


def check_sync_sources(
    objects: Sequence[KeyVaultObject],
    secret_objects: Sequence[SecretObject],
    *,
    os: NodeOS = NodeOS.LINUX,
    cert_parts: bool | None = False,
) -> None:
    """Refuse a ``data[].objectName`` that names no readable mounted file (the driver reads by file name)."""
    for i, j, problem in sync_data_problems(objects, secret_objects, os=os, cert_parts=cert_parts):
        raise ValueError(f"secretObjects {secret_objects[i].secret_name!r}: data[{j}].objectName {problem}")
