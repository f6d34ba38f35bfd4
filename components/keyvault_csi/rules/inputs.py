"""Fields that may be given as a value known only later (a ``pulumi.Output`` of the embedding program).

``Annotated[str | <later type>, InputOf(Rule)]`` marks a field input-capable with one annotation:
a plain value is validated by ``Rule`` as before; a :class:`Deferred` stand-in (what the settings
layer puts where the caller gave an Output) is handed the very same ``Rule`` and returns the
value that applies it once resolved. This layer imports no Pulumi: the stand-in does the deferring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from pydantic import GetCoreSchemaHandler, TypeAdapter
from pydantic_core import core_schema

from keyvault_csi.rules.model import type_in


@runtime_checkable
class Deferred(Protocol):
    """A value known only later, as the settings layer wraps it before validation."""

    path: str
    """The key path of the value (``keyVault.name``), for messages."""

    def defer(self, check: Callable[[Any], Any]) -> Any:
        """The later value with ``check`` applied once it is known (``check`` raises on a bad value)."""
        ...


@runtime_checkable
class Later(Protocol):
    """What a deferred field holds after validation: anything with ``apply`` (a ``pulumi.Output``)."""

    def apply(self, func: Callable[[Any], Any], run_with_unknowns: bool = False) -> Any: ...


_PLAIN = (str, bytes, int, float, type(None))


def is_later(value: object) -> bool:
    """True for a value known only later (an Output), False for a plain value."""
    # Plain values first: a runtime Protocol check costs microseconds, and every field is asked.
    return not isinstance(value, _PLAIN) and isinstance(value, Later)


class InputOf:
    """Marks a field input-capable; ``rule`` (a type, usually an ``Annotated`` rule) checks its value."""

    def __init__(self, rule: Any) -> None:
        self.rule = rule

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        adapter: TypeAdapter[Any] = TypeAdapter(self.rule)

        def validate(value: Any, plain: core_schema.ValidatorFunctionWrapHandler) -> Any:
            if not isinstance(value, _PLAIN) and isinstance(value, Deferred):  # plain first: see is_later
                return value.defer(adapter.validate_python)
            return plain(value)

        return core_schema.no_info_wrap_validator_function(
            validate,
            handler.generate_schema(self.rule),
            # A resolved-later value is serialised as is (it is never rendered before it resolves).
            serialization=core_schema.plain_serializer_function_ser_schema(lambda value: value),
        )


def input_capable(field: Any) -> bool:
    """True if a pydantic field is marked with :class:`InputOf` (directly or inside ``X | None``)."""

    def marked(annotation: Any) -> bool:
        return any(isinstance(m, InputOf) for m in getattr(annotation, "__metadata__", ()))

    return any(isinstance(m, InputOf) for m in field.metadata) or type_in(field.annotation, marked) is not None
