"""The Key Vault objects a SecretProviderClass mounts, and the ``objects`` parameter string.

The Azure provider reads ``spec.parameters.objects`` in two YAML passes: the outer document's
``array`` key holds a list of strings, and each string is itself a YAML document for one object.
A mistake inside one of those strings (a bad indent, a misspelt field, which is silently ignored)
is only seen when a Pod mounts the volume, as a ``FailedMount`` event. So objects are validated
here, with the provider's own field names, and both levels are written by PyYAML, quoting every
value that a YAML 1.1 or 1.2 reader could take for a number, boolean or null (``0644``, ``1e3``,
``true``): whichever reader a tool uses, each field arrives as the string that was meant.

What the provider accepts, :class:`KeyVaultObject` accepts (docs/azure-rules.md
§objects-format-encoding, §objects-alias, §objects-file-permission, §objects-version): any letter
case of ``objectFormat`` and ``objectEncoding``, empty optional fields, ``objectVersion: latest``
with version history, redundant leading zeros in ``filePermission``. Accepted variants of a choice
are kept as the :mod:`~keyvault_csi.rules.choices` member and rendered in its canonical spelling
(``PFX`` as ``pfx``); empty optional fields are left out; free-form strings (``objectVersion``,
``filePermission``) are rendered as given. Each means the same to the provider as what was given.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    StrictInt,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from keyvault_csi.rules.choices import NodeOS, ObjectEncoding, ObjectFormat, ObjectType
from keyvault_csi.rules.inputs import InputOf, Later, is_later
from keyvault_csi.rules.model import Strict, input_keys, repeated
from keyvault_csi.rules.paths import alias_problem, quoted, separator

OBJECT_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
OBJECT_VERSION = re.compile(r"^(|[0-9a-fA-F]{32})$")
# The provider parses filePermission with strconv.ParseInt(v, 8, 32): leading zeros are redundant.
# Only the permission bits: nine of them, as three octal digits.
FILE_PERMISSION = re.compile(r"^0*[0-7]{3}$")
# With objectVersionHistory > 1 the provider starts from the newest version for "" and for this.
LATEST = "latest"
# The provider decodes objectVersionHistory into a Go int32.
INT32_MAX = 2**31 - 1
# The optional fields where the provider reads an empty string as "not set" (its default).
EMPTY_MEANS_DEFAULT = ("objectAlias", "objectFormat", "objectEncoding", "filePermission")
# With writeCertAndKeyInSeparateFiles the provider also writes <file>.crt and <file>.key beside a
# certificate's secret object (provider pkg/provider/provider.go getSecret).
CERT_FILE_SUFFIXES = (".crt", ".key")


def _object_name(value: str) -> str:
    if not OBJECT_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a Key Vault object name; allowed: 1-127 characters of letters, digits and '-'"
        )
    return value


def _object_version(value: str) -> str:
    if not OBJECT_VERSION.match(value):
        raise ValueError(
            f'{value!r} is not a Key Vault object version; allowed: "" (latest) or 32 hexadecimal characters '
            f"('{LATEST}' with objectVersionHistory above 1)"
        )
    return value


def equal_fold(given: str, canonical: str) -> bool:
    """Go's ``strings.EqualFold`` as the provider applies it: equal under Unicode case folding, character by character.

    Exactly Go's simple folding for the ASCII values compared here (``ſ`` folds to ``s``, the Kelvin sign to ``k``).
    """
    return len(given) == len(canonical) and all(
        a == b or a.casefold() == b.casefold() for a, b in zip(given, canonical, strict=True)
    )


def choice(choices: type[StrEnum], value: Any, *, fold: bool) -> Any:
    """``value`` as a member of ``choices`` (any letter case if ``fold``).

    Raises a ``ValueError`` naming it and what is allowed.
    """
    if value is None or isinstance(value, choices):
        return value
    if isinstance(value, str):
        for member in choices:
            if value == member.value or (fold and equal_fold(value, member.value)):
                return member
    case = " (in any letter case)" if fold else ""
    raise ValueError(f"{value!r} is not allowed; use one of: {', '.join(choices)}{case}")


ObjectName = Annotated[str, AfterValidator(_object_name)]
ObjectVersion = Annotated[str, AfterValidator(_object_version)]
# Input-capable: a plain value, or an Output of the embedding program checked by the same rule.
ObjectNameInput = Annotated[str | Later, InputOf(ObjectName)]
ObjectVersionInput = Annotated[str | Later, InputOf(ObjectVersion)]


class KeyVaultObject(Strict):
    """One Key Vault secret, key or certificate to write into the mounted volume.

    Field names are the provider's own, so a class written by hand and one declared here read the
    same. ``objectType: secret`` on a certificate's name gives its private key and chain; ``cert``
    gives only the public leaf certificate; ``key`` only the public key.
    """

    object_name: ObjectNameInput
    """Name of the object in Key Vault."""
    object_type: ObjectType
    """What to read (a certificate's private key and chain: secret on the certificate's name)."""
    object_version: ObjectVersionInput = ""
    """Version to mount; empty for the latest."""
    object_alias: str | None = None
    """File name to write instead of objectName (relative, no '..')."""
    object_format: ObjectFormat | None = None
    """File format; default pem; pfx only with objectType secret."""
    object_encoding: ObjectEncoding | None = None
    """Encoding of the secret's value; default utf-8; only with objectType secret."""
    object_version_history: StrictInt | None = None
    """Number of versions to write as <file>/<index>; above 1 also grants list."""
    file_permission: str | None = None
    """Octal file mode such as "0440"."""

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        # The provider reads these fields empty as not set (docs/azure-rules.md §objects-empty-fields).
        if isinstance(data, dict) and any(data.get(key) == "" for key in EMPTY_MEANS_DEFAULT):
            return {k: v for k, v in data.items() if not (k in EMPTY_MEANS_DEFAULT and v == "")}
        return data

    @field_validator("object_type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        # Compared exactly by the provider ('Secret' is an unknown type): name the value given,
        # which pydantic's own enum message leaves out.
        return choice(ObjectType, value, fold=False)

    @field_validator("object_format", "object_encoding", mode="before")
    @classmethod
    def _folded(cls, value: Any, info: ValidationInfo) -> Any:
        # strings.EqualFold in the provider: 'PFX' and 'Base64' work (docs/azure-rules.md §objects-format-encoding).
        return choice(ObjectFormat if info.field_name == "object_format" else ObjectEncoding, value, fold=True)

    @field_validator("object_version", mode="wrap")
    @classmethod
    def _latest(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # Only as a plain value; _field_combinations requires version history with it.
        return value if value == LATEST else handler(value)

    @field_validator("object_alias")
    @classmethod
    def _alias(cls, value: str | None) -> str | None:
        # What no node OS can write; each workload's OS is checked with the settings (model/checks.py).
        problem = None if value is None else alias_problem(value)
        if problem:
            raise ValueError(f"objectAlias {value!r} {problem}")
        return value

    @field_validator("object_version_history", mode="before")
    @classmethod
    def _history(cls, value: Any) -> Any:
        # bool is an int in Python; YAML would write `true`, which the provider cannot decode.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT32_MAX):
            raise ValueError(f"{value!r} is not allowed; objectVersionHistory is an integer from 0 to {INT32_MAX}")
        return value

    @field_validator("file_permission")
    @classmethod
    def _permission(cls, value: str | None) -> str | None:
        # The provider does not check this: an invalid value silently becomes mode 0 (unreadable).
        if value is not None and not FILE_PERMISSION.match(value):
            raise ValueError(
                f"{value!r} is not a file permission; allowed: an octal string such as '0644' or '440' "
                "(permission bits only; leading zeros are allowed)"
            )
        return value

    @model_validator(mode="after")
    def _field_combinations(self) -> KeyVaultObject:
        # Key Vault returns binary (pfx) or encoded content only for secrets; keys and certs are PEM.
        if self.object_format is ObjectFormat.PFX and self.object_type is not ObjectType.SECRET:
            raise ValueError(
                f"objectFormat 'pfx' is not allowed with objectType '{self.object_type}'; pfx needs objectType 'secret'"
            )
        if self.object_encoding is not None and self.object_type is not ObjectType.SECRET:
            raise ValueError(
                f"objectEncoding '{self.object_encoding}' is not allowed with objectType '{self.object_type}'; "
                "objectEncoding needs objectType 'secret'"
            )
        if self.object_version == LATEST and not self.needs_list:
            raise ValueError(
                "objectVersion 'latest' is allowed only with objectVersionHistory above 1 (for one version the "
                'provider sends it to Key Vault as a version ID); allowed: "" (latest) or 32 hexadecimal characters'
            )
        return self

    @property
    def file_known(self) -> bool:
        """True if :attr:`file_name` is known now: the object has an alias, or its name is not an Output."""
        return bool(self.object_alias) or isinstance(self.object_name, str)

    @property
    def file_name(self) -> str:
        """The file the provider writes under the mount path (a directory of versions if history > 1).

        An object whose name is an Output needs an alias (the settings refuse it otherwise).
        """
        if self.file_known:
            return self.object_alias or str(self.object_name)
        raise ValueError("objectAlias is required when objectName is an Output: the file name must be known")

    def later_fields(self) -> dict[str, Later]:
        """The fields given as Outputs, by attribute name (empty for a plain object)."""
        return {k: v for k, v in self.__dict__.items() if is_later(v)}

    @property
    def needs_list(self) -> bool:
        """True if the provider lists versions for this object, so the grant needs ``list``."""
        return (self.object_version_history or 0) > 1


def _version_index(segment: str, history: int, cert_parts: bool = False) -> bool:
    """True if the provider may write ``<file>/<segment>`` for an object with that history (index 0..N),
    or, with ``cert_parts``, ``<file>/<index>.crt`` or ``.key``."""
    for suffix in CERT_FILE_SUFFIXES if cert_parts else ():
        if segment.endswith(suffix):
            segment = segment[: -len(suffix)]
            break
    return segment.isascii() and segment.isdigit() and str(int(segment)) == segment and int(segment) <= history


def writes_cert_parts(obj: KeyVaultObject) -> bool:
    """True if the provider may write ``<file>.crt`` and ``<file>.key`` for ``obj`` when it writes certificates'
    cert and key in separate files: any ``secret`` object, which may be a certificate's (its kid is only
    known to Key Vault); ``key`` and ``cert`` objects never."""
    return obj.object_type is ObjectType.SECRET


def file_conflicts(
    objects: Sequence[KeyVaultObject],
    indexes: Sequence[int] | None = None,
    fix: str = "",
    *,
    os: NodeOS = NodeOS.LINUX,
    cert_parts: bool = False,
) -> list[str]:
    """Objects of one class whose files collide under the mount (docs/azure-rules.md §objectAlias).

    Two objects writing one path collapse silently in the driver's map; a file that is also the
    directory of another object's file fails the write. An object with ``objectVersionHistory``
    N > 1 writes the directory ``<file>`` with the files ``<file>/0`` .. ``<file>/N`` (``\\`` on
    Windows nodes, ``os``). With ``cert_parts`` (the provider writes certificates' cert and key in
    separate files) a ``secret`` object also writes ``<file>.crt`` and ``<file>.key``.
    ``indexes`` names the objects in the messages (default: their positions); ``fix`` is put before
    the remedy (the policy's ``"fix: "``). The one rule for settings, class parameters and policy pack.
    """
    sep = separator(os)
    places = list(indexes) if indexes is not None else list(range(len(objects)))
    # (object, path it writes, its history if a folder of versions, its cert parts are written, what the path is)
    entries: list[tuple[int, str, int | None, bool, str]] = []
    for at, o in zip(places, objects, strict=True):
        history = o.object_version_history if o.needs_list else None
        parts = cert_parts and writes_cert_parts(o)
        entries.append((at, o.file_name, history, parts, ""))
        if parts and history is None:
            entries += [(at, o.file_name + s, None, False, f"{s} of {quoted(o.file_name)}") for s in CERT_FILE_SUFFIXES]
    notes = {(name, at): what for at, name, _, _, what in entries if what}
    problems = []
    for name, ats in repeated((name, at) for at, name, *_ in entries):
        parts_of = [f"objects[{at}] writes it as the {notes[name, at]}" for at in ats if (name, at) in notes]
        why = f" ({'; '.join(parts_of)}: certificates' cert and key are written in separate files)" if parts_of else ""
        problems.append(
            f"objects {ats} all write the file {quoted(name)}{why}; {fix}give them distinct objectAlias values"
        )
    for first, second in itertools.combinations(entries, 2):
        for (x, outer, history, parts, _), (y, inner, *_) in ((first, second), (second, first)):
            if x == y or not inner.startswith(outer + sep):
                continue
            if history is None:
                problems.append(
                    f"objects[{x}] writes the file {quoted(outer)}, which objects[{y}] ({quoted(inner)}) needs as a "
                    f"directory; {fix}give them distinct objectAlias values"
                )
                continue
            segment = inner[len(outer) + 1 :].split(sep, 1)[0]
            if _version_index(segment, history, parts):
                problems.append(
                    f"objects[{x}] (objectVersionHistory {history}) writes its versions as {quoted(outer)}{sep}0.."
                    f"{history}{' (with .crt and .key)' if parts else ''}, and objects[{y}] writes {quoted(inner)} "
                    f"there; {fix}give them distinct objectAlias values"
                )
    return problems


def _string_fields() -> tuple[str, ...]:
    """The object fields the provider reads as strings: every field but objectVersionHistory."""
    return tuple(key for key in input_keys(KeyVaultObject) if key != "objectVersionHistory")


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper with the seeds' layout; private so PyYAML's globals stay untouched."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key ("array:\n  - |"), as the seeds do.
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if value == "":
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)
# PyYAML resolves scalars by YAML 1.1; Go's YAML libraries also know YAML 1.2 numbers (1e3, 0o17)
# and YAML 1.1's y/n booleans. Teaching the dumper those forms makes it quote such strings.
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
_Dumper.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=2**16)


def render_objects(objects: Sequence[KeyVaultObject]) -> str:
    """The ``objects`` parameter: ``array`` of one YAML document per object, as literal blocks.

    Fields keep the model's order, ``None`` fields are left out and ``objectVersion`` is always
    written. The same objects always give the same bytes, so a re-run shows no diff.
    """
    if not objects:
        raise ValueError("objects must not be empty; give at least one Key Vault object to mount")
    conflicts = file_conflicts(objects)
    if conflicts:
        raise ValueError("; ".join(conflicts))
    later = [f"objects[{i}].{to_camel(k)}" for i, o in enumerate(objects) for k in o.later_fields()]
    if later:
        raise ValueError(
            f"{', '.join(later)} not known yet: render once resolved (keyvault_csi.model.outputs.objects_parameter)"
        )
    # Only the provider's own fields: a subclass may carry more (the settings' keyVault of an object).
    fields = set(KeyVaultObject.model_fields)
    return _dump({"array": [_dump(o.model_dump(mode="json", exclude_none=True, include=fields)) for o in objects]})


def parse_objects(text: str) -> list[dict[str, Any]]:
    """Read an ``objects`` string back the way the provider does: outer document, then each string.

    Each object is decoded as go-yaml v3 fills the provider's struct: a string field takes the
    scalar's text as written (unquoted ``filePermission: 0755`` is the string ``"0755"``, a null is
    ``""``), and a key given twice is an error. Raises ``ValueError`` with the provider's wording
    where the provider's decoding would fail.
    """
    try:
        outer = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"failed to yaml unmarshal objects: {error}") from error
    outer = {} if outer is None else outer
    if not isinstance(outer, dict):
        raise ValueError(f"failed to yaml unmarshal objects: expected a mapping with key 'array', got {outer!r}")
    array = outer.get("array") or []
    if not isinstance(array, list) or not all(isinstance(item, str) for item in array):
        raise ValueError(f"failed to yaml unmarshal objects: 'array' must be a list of strings, got {array!r}")
    return [_parse_one(index, item) for index, item in enumerate(array)]


_NULL_TAG = "tag:yaml.org,2002:null"


def _parse_one(index: int, document: str) -> dict[str, Any]:
    failed = f"unmarshal failed for keyVaultObjects at index {index}"
    loader = yaml.SafeLoader(document)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise ValueError(f"{failed}: expected a mapping, got {loader.construct_document(node)!r}")
        return _decode_fields(loader, node, failed)
    except yaml.YAMLError as error:
        raise ValueError(f"{failed}: {error}") from error
    finally:
        loader.dispose()


def _decode_fields(loader: yaml.SafeLoader, node: yaml.MappingNode, failed: str) -> dict[str, Any]:
    """One object's mapping as go-yaml v3 fills the provider's struct (see :func:`parse_objects`)."""
    loader.flatten_mapping(node)  # merge keys (<<), which go-yaml also applies
    strings = _string_fields()
    parsed: dict[str, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ValueError(f"{failed}: a mapping key must be a scalar, got {loader.construct_object(key_node)!r}")
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if key in lines:
            raise ValueError(f'{failed}: line {line}: mapping key "{key}" already defined at line {lines[key]}')
        lines[key] = line
        if key not in strings:
            parsed[key] = loader.construct_object(value_node, deep=True)
        elif isinstance(value_node, yaml.ScalarNode):
            # The text as written, never a number or a boolean; a null leaves the field empty.
            parsed[key] = "" if value_node.tag == _NULL_TAG else value_node.value
        else:
            raise ValueError(
                f"{failed}: {key} must be a string, got {loader.construct_object(value_node, deep=True)!r}"
            )
    history = parsed.get("objectVersionHistory")
    if history is not None and (isinstance(history, bool) or not isinstance(history, int)):
        raise ValueError(f"{failed}: objectVersionHistory must be an integer, got {history!r}")
    return parsed
