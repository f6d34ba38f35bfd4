"""Every settings problem as one message: the key path in the caller's spelling, the bad value, what is allowed.

``pulumi preview`` prints a :class:`pulumi.RunError` without a traceback, so each problem is one
line ``<key path>: <what is wrong>; <what is allowed>``, and all of them come at once.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr

from keyvault_csi.model.offline import is_secure_placeholder, secure_value_problem
from keyvault_csi.model.spelling import config_key, display, fields_along, model_at
from keyvault_csi.rules.parameters import DERIVED_PARAMETERS

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One problem at a key path (configuration spelling); ``indexes`` names the list items it concerns."""

    loc: Loc
    message: str
    indexes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Paths:
    """How key paths are written in one validation: the root model, the prefix, the caller's spelling."""

    root: type[BaseModel]
    prefix: str = ""
    python: bool = False

    def __call__(self, loc: Sequence[Any]) -> str:
        """``keyvault-csi:workloads[0].objects[1].objectName``: a location as the caller writes it."""
        shown = display(tuple(loc), self.root, self.python)
        if not shown:
            return self.prefix.rstrip(":") or "settings"
        text = self.prefix + str(shown[0])
        for part in shown[1:]:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text

    def key(self, model: type[BaseModel], name: str) -> str:
        """A field's key in the caller's spelling."""
        return name if self.python else config_key(name, model.model_fields[name])

    def render(self, problem: Problem) -> str:
        where = f" {list(problem.indexes)}" if problem.indexes else ""
        return f"{self(problem.loc)}{where}: {problem.message}"


def render_problems(problems: Sequence[str]) -> str:
    """The one message for every settings problem at once, each once, in first-seen order."""
    unique = list(dict.fromkeys(problems))
    lines = "\n".join(f"  - {p}" for p in unique)
    return f"invalid keyvault-csi settings ({len(unique)} problem{'s' * (len(unique) > 1)}):\n{lines}"


# pydantic's names for a function validator and for a dict key in a location: not keys.
_VALIDATOR_LOCS = {"function-after[check()]", "[key]"}
# Provider parameters people copy from hand-written classes (any spelling); keyvault-csi renders them itself.
_DERIVED = {key.lower(): source for key, source in DERIVED_PARAMETERS.items()}


def describe(error: Mapping[str, Any], paths: Paths) -> str:
    """One pydantic error as a problem line."""
    loc = [p for p in error["loc"] if p not in _VALIDATOR_LOCS]
    path = paths(loc)
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(loc, path, paths)
    if kind == "missing":
        return f"{path}: required but not set"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "enum":  # pydantic's "Input should be 'a' or 'b'" names no value
        expected = str(error["ctx"]["expected"]).replace("'", "").replace(" or ", ", ")
        message = f"{value!r} is not allowed; use one of: {expected}"
    if is_secure_placeholder(value):
        return secure_value_problem(path, value, message)
    if value is None and kind in (
        "model_type",
        "dict_type",
    ):  # an empty list item (`- `) or `key:` with nothing after it
        return f"{path}: is empty (null); expected a mapping{_required_keys(loc, paths)}"
    if loc and loc[-1] == "filePermission" and isinstance(value, int) and not isinstance(value, bool):
        return _unquoted_permission(path, value)
    if kind.startswith("value_error") or kind in ("assertion_error", "enum"):
        return f"{path}: {message}"
    if _is_secret_field(loc, paths.root):  # a kubeconfig must never reach the preview output
        return f"{path}: {message}; got a {type(value).__name__} (value not shown: secret)"
    return f"{path}: {message}; got {value!r}"


_COMPONENT_KUBERNETES = (
    "only the keyvault-csi program reads it (from stack config); a component uses the Kubernetes provider it "
    "is given: AksKeyVaultSecrets(name, args, pulumi.ResourceOptions(providers=[azure, k8s]))"
)


def _unknown_key(loc: list[Any], path: str, paths: Paths) -> str:
    key = str(loc[-1])
    if loc == ["kubernetes"]:  # a stack key, copied into component arguments
        return f"{path}: {_COMPONENT_KUBERNETES}"
    derived = _DERIVED.get(key.lower()) if len(loc) > 1 else None
    if derived:
        return (
            f"{path}: unknown key {key!r}; the SecretProviderClass parameter is derived from "
            f"keyvault-csi:{derived}, do not set it"
        )
    model = model_at(tuple(loc[:-1]), paths.root)
    allowed = sorted(_keys(model, paths)) if model is not None else []
    guess = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    return f"{path}: unknown key {key!r}; {hint}allowed: {', '.join(allowed)}"


def _keys(model: type[BaseModel], paths: Paths) -> list[str]:
    return [paths.key(model, name) for name in model.model_fields]


def field_at(loc: Sequence[Any], root: type[BaseModel]) -> Any:
    """The pydantic field at a key path, or None if the path does not end on a field."""
    along = fields_along(tuple(loc), root)
    return along[-1][1] if along and along[-1] is not None else None


def _required_keys(loc: list[Any], paths: Paths) -> str:
    model = model_at(tuple(loc), paths.root)
    if model is None:
        return ""
    required = [paths.key(model, name) for name, f in model.model_fields.items() if f.is_required()]
    return f" with {', '.join(required)}" if required else ""


def _is_secret_field(loc: list[Any], root: type[BaseModel]) -> bool:
    field = field_at(loc, root)
    return field is not None and SecretStr in (field.annotation, *typing.get_args(field.annotation))


def _unquoted_permission(path: str, value: int) -> str:
    # YAML 1.1 (PyYAML) and go-yaml v3 (the Pulumi CLI) both read an unquoted 0440 as octal: 288.
    octal = f"0{value:o}"
    hint = f'filePermission: "{octal}"'
    if (
        str(value) != octal.lstrip("0")
        and 0 <= value <= 0o777
        and str(value).isdigit()
        and set(str(value)) <= set("01234567")
    ):
        hint += f' (or "{value}" if you wrote {value})'
    return (
        f"{path}: got the number {value}; YAML reads an unquoted mode as a number ({octal} becomes {value}), "
        f"quote it: {hint}"
    )
