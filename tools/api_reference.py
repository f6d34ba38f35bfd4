"""Writes ``docs/api.md``: every public name of ``keyvault_csi``, every argument key and every output, from the code.

The reference is rendered from what the package itself holds, so it cannot drift: the exports of
``keyvault_csi.__all__`` with their signatures and docstrings, the input model
(:class:`keyvault_csi.model.settings.Settings` and the models it nests: each key in Python's and the
stack file's spelling, its type, whether it is required, its description), the allowed values of each
enum, and the outputs of :class:`keyvault_csi.AksKeyVaultSecrets`.

``python -m tools.api_reference`` rewrites the file; ``--check`` only compares (``tests/tools`` runs it).
"""

from __future__ import annotations

import ast
import enum
import inspect
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

import keyvault_csi
from keyvault_csi.component import AksKeyVaultSecrets
from keyvault_csi.model.settings import Settings, StackSettings
from keyvault_csi.rules.inputs import input_capable
from tools.generate_args import schema_name
from tools.generated import first_paragraph, generated_file_main

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "api.md"
COMMAND = "python -m tools.api_reference"


def _type(annotation: Any, models: list[type[BaseModel]], enums: list[type[enum.Enum]]) -> str:
    """A short, readable type: ``str``, ``list[VaultObject]``, ``map of KeyVault``, ``IdentityType``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type(typing.get_args(annotation)[0], models, enums)
    if origin in (typing.Union, types.UnionType):
        parts = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(dict.fromkeys(_type(a, models, enums) for a in parts))
    if origin is list:
        return f"list[{_type(typing.get_args(annotation)[0], models, enums)}]"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"map[{_type(key, models, enums)}, {_type(value, models, enums)}]"
    if origin is typing.Literal:
        return " or ".join(repr(v) for v in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if annotation not in enums:
            enums.append(annotation)
        return annotation.__name__
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in models:
            models.append(annotation)
        return f"[{schema_name(annotation)}](#{schema_name(annotation).lower()})"
    if annotation is Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation)).replace("SecretStr", "str (secret)")


def _model_table(model: type[BaseModel], models: list[type[BaseModel]], enums: list[type[enum.Enum]]) -> list[str]:
    lines = [
        f"### {schema_name(model)}",
        "",
        first_paragraph(model.__doc__),
        "",
        "| Python | stack file | type | required | description |",
        "|---|---|---|---|---|",
    ]
    for name, field in model.model_fields.items():
        kind = "str (or an Output)" if input_capable(field) else _type(field.annotation, models, enums)
        description = (field.description or "").replace("|", "\\|")
        required = "yes" if field.is_required() else ""
        lines.append(f"| `{name}` | `{field.alias or name}` | {kind} | {required} | {description} |")
    return [*lines, ""]


def _enum_table(choices: type[enum.Enum]) -> list[str]:
    lines = [
        f"### {choices.__name__}",
        "",
        first_paragraph(choices.__doc__),
        "",
        "| value | member | meaning |",
        "|---|---|---|",
    ]
    docs = _docs_below(choices)
    for name, member in choices.__members__.items():
        lines.append(f"| `{member.value}` | `{choices.__name__}.{name}` | {docs.get(name, '')} |")
    return [*lines, ""]


def _docs_below(cls: type) -> dict[str, str]:
    """The string under each name the class body assigns (an enum's ``NAME = "value"``, an annotated
    ``name: T``), read from the source."""
    docs: dict[str, str] = {}
    body = ast.parse(inspect.getsource(cls)).body[0]
    assert isinstance(body, ast.ClassDef)
    for first, second in zip(body.body, body.body[1:], strict=False):
        if not (isinstance(second, ast.Expr) and isinstance(second.value, ast.Constant)):
            continue
        if isinstance(first, ast.Assign):
            target = first.targets[0]
        elif isinstance(first, ast.AnnAssign):
            target = first.target
        else:
            continue
        if isinstance(target, ast.Name):
            docs[target.id] = str(second.value.value)
    return docs


def _outputs() -> list[str]:
    lines = [
        "| Python attribute | schema output | type | description |",
        "|---|---|---|---|",
    ]
    docs = _docs_below(AksKeyVaultSecrets)
    for name, annotation in inspect.get_annotations(AksKeyVaultSecrets).items():
        inner = typing.get_args(annotation)[0] if typing.get_args(annotation) else annotation
        lines.append(f"| `{name}` | `{to_camel(name)}` | `{_type(inner, [], [])}` | {docs.get(name, '')} |")
    return lines


def _exports() -> list[str]:
    lines = ["| name | kind | from | what |", "|---|---|---|---|"]
    for name in sorted(keyvault_csi.__all__, key=str.lower):
        if name == "__version__":
            lines.append("| `__version__` | str | `keyvault_csi` | the installed version (pyproject.toml's) |")
            continue
        value = getattr(keyvault_csi, name)
        if isinstance(value, type) and issubclass(value, enum.Enum):
            kind = "str enum"
        elif isinstance(value, type):
            kind = "class" if not typing.is_typeddict(value) else "TypedDict"
        else:
            # A default that is a function prints its address: leave that out, the output must not vary.
            signature = re.sub(r" at 0x[0-9a-f]+>", ">", str(inspect.signature(value)))
            kind = f"function `{name}{signature}`".replace("|", "\\|")
        module = getattr(value, "__module__", "keyvault_csi")
        what = first_paragraph(value.__doc__).replace("|", "\\|")
        lines.append(f"| `{name}` | {kind} | `{module}` | {what} |")
    return lines


def render() -> str:
    models: list[type[BaseModel]] = [Settings]
    enums: list[type[enum.Enum]] = []
    sections: list[str] = []
    index = 0
    while index < len(models):  # nested models are appended as they are met
        sections += _model_table(models[index], models, enums)
        index += 1
    stack_only = [
        f"| `{name}` | `{f.alias or name}` | {_type(f.annotation, models, enums)} | {f.description} |"
        for name, f in StackSettings.model_fields.items()
        if name not in Settings.model_fields
    ]
    while index < len(models):  # the models only the program's keys use
        stack_only_models = _model_table(models[index], models, enums)
        stack_only += ["", *stack_only_models]
        index += 1
    signature = str(inspect.signature(AksKeyVaultSecrets.__init__)).replace("self, ", "")
    lines = [
        f"<!-- Generated by `{COMMAND}` from the code; do not edit. -->",
        "# keyvault-csi API reference",
        "",
        f"Version {keyvault_csi.__version__}. Import everything below from `keyvault_csi`.",
        "",
        "## Public names",
        "",
        *_exports(),
        "",
        "## AksKeyVaultSecrets",
        "",
        first_paragraph(AksKeyVaultSecrets.__doc__),
        "",
        "```python",
        f"AksKeyVaultSecrets{signature}",
        "```",
        "",
        first_paragraph(AksKeyVaultSecrets.__init__.__doc__),
        "",
        "Type token `keyvault-csi:index:AksKeyVaultSecrets`. Python callers write the keys of `args` in Python's",
        "spelling (`AksKeyVaultSecretsArgs(tenant_id=...)`); a mapping in the stack file's camelCase means the same;",
        "other languages use the camelCase names of the schema. Keys marked *(or an Output)* take values known only",
        "at deploy time; every other key shapes the graph and must be plain.",
        "",
        "### Outputs",
        "",
        *_outputs(),
        "",
        "## Arguments",
        "",
        *sections,
        "## Keys of the keyvault-csi program only",
        "",
        "Stack config (`keyvault-csi:<key>`) takes every argument above plus:",
        "",
        "| Python | stack file | type | description |",
        "|---|---|---|---|",
        *stack_only,
        "",
        "`azure-native:location` and `azure-native:environment` give `location` and `environment`.",
        "",
        "## Allowed values",
        "",
    ]
    for choices in sorted(enums, key=lambda e: e.__name__):
        lines += _enum_table(choices)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    return generated_file_main(
        argv,
        target=TARGET,
        render=render,
        command=COMMAND,
        description=__doc__.splitlines()[0] if __doc__ else None,
        source="the code",
    )


if __name__ == "__main__":
    raise SystemExit(main())
