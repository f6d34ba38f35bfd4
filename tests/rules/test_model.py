"""The input models' base and the annotation helpers the spelling walk and the args generator share."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from keyvault_csi.rules.model import Strict, unwrapped


class Vault(Strict):
    resource_group: str


def test_unwrapped_drops_annotated_and_none_but_keeps_a_real_union() -> None:
    assert unwrapped(Annotated[dict[str, Vault] | None, Field(min_length=1)]) == dict[str, Vault]
    assert unwrapped(Annotated[int, Field(ge=1)] | None) is int  # a typing.Union, not a types.UnionType
    assert unwrapped(str | int | None) == str | int | None


def test_strict_models_take_both_spellings_and_write_camel_case() -> None:
    assert Vault.model_validate({"resourceGroup": "rg"}) == Vault.model_validate({"resource_group": "rg"})
    assert Vault(resource_group="rg").model_dump() == {"resourceGroup": "rg"}
