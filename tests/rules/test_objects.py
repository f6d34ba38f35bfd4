"""KeyVaultObject rules and the two-level ``objects`` string the Azure provider parses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from keyvault_csi.rules.objects import KeyVaultObject, parse_objects, render_objects
from tests.support import SEEDS  # vendored from ../shared/reference

VERSION = "0123456789abcdef0123456789ABCDEF"


def obj(**fields) -> KeyVaultObject:
    return KeyVaultObject(**{"objectName": "secret1", "objectType": "secret", **fields})


def error_of(**fields) -> str:
    with pytest.raises(ValidationError) as caught:
        obj(**fields)
    return str(caught.value)


# --- field rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"objectName": "a"},
        {"objectName": "x" * 127},
        {"objectName": "My-Secret-01"},
        {"objectType": "key"},
        {"objectType": "cert"},
        {"objectVersion": VERSION},
        {"objectAlias": "tls.crt"},
        {"objectAlias": "certs/app/tls.crt"},
        {"objectAlias": "a.b.c"},
        {"objectFormat": "pem", "objectType": "cert"},
        {"objectFormat": "pem", "objectType": "key"},
        {"objectFormat": "pfx"},
        {"objectEncoding": "utf-8"},
        {"objectEncoding": "hex"},
        {"objectEncoding": "base64"},
        {"objectVersionHistory": 0},
        {"objectVersionHistory": 5},
        {"objectVersionHistory": 2**31 - 1},
        {"filePermission": "0644"},
        {"filePermission": "0400"},
        {"filePermission": "755"},
    ],
)
def test_valid_objects(fields):
    assert obj(**fields).model_dump(exclude_none=True) == {
        "objectName": "secret1",
        "objectType": "secret",
        "objectVersion": "",
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "bad", "allowed"),
    [
        ({"objectName": ""}, "''", "1-127 characters"),
        ({"objectName": "x" * 128}, "'xxx", "1-127 characters"),
        ({"objectName": "my_secret"}, "'my_secret'", "letters, digits and '-'"),
        ({"objectName": "my.secret"}, "'my.secret'", "letters, digits and '-'"),
        ({"objectType": "Secret"}, "'Secret'", "use one of: secret, key, cert"),
        ({"objectType": "certificate"}, "'certificate'", "use one of: secret, key, cert"),
        ({"objectVersion": "latest"}, "'latest'", "32 hexadecimal characters"),
        ({"objectVersion": VERSION[:-1]}, VERSION[:-1], "32 hexadecimal characters"),
        ({"objectVersion": VERSION[:-1] + "g"}, VERSION[:-1] + "g", "32 hexadecimal characters"),
        ({"objectAlias": ""}, "''", "must not be empty"),
        ({"objectAlias": "/etc/passwd"}, "'/etc/passwd'", "relative path"),
        ({"objectAlias": "\\\\server\\share"}, "server", "relative path"),
        ({"objectAlias": "\\tls.crt"}, "tls.crt", "relative path"),
        ({"objectAlias": "C:\\tls.crt"}, "tls.crt", "relative path"),
        ({"objectAlias": "c:tls.crt"}, "'c:tls.crt'", "relative path"),
        ({"objectAlias": ".."}, "'..'", "must not contain '..'"),
        ({"objectAlias": "../tls.crt"}, "'../tls.crt'", "must not contain '..'"),
        ({"objectAlias": "certs/../../tls.crt"}, "'certs/../../tls.crt'", "must not contain '..'"),
        ({"objectAlias": "certs\\..\\tls.crt"}, "tls.crt", "must not contain '..'"),
        ({"objectAlias": "a..b"}, "'a..b'", "must not contain '..'"),
        ({"objectAlias": " tls.crt"}, "' tls.crt'", "whitespace"),
        ({"objectAlias": "tls\n.crt"}, "tls\\n.crt", "control characters"),
        ({"objectFormat": "PFX"}, "'PFX'", "use one of: pem, pfx"),
        ({"objectFormat": "der"}, "'der'", "use one of: pem, pfx"),
        ({"objectFormat": "pfx", "objectType": "cert"}, "'cert'", "pfx needs objectType 'secret'"),
        ({"objectFormat": "pfx", "objectType": "key"}, "'key'", "pfx needs objectType 'secret'"),
        ({"objectEncoding": "utf8"}, "'utf8'", "use one of: utf-8, hex, base64"),
        ({"objectEncoding": "base64", "objectType": "cert"}, "'cert'", "objectEncoding needs objectType 'secret'"),
        ({"objectEncoding": "utf-8", "objectType": "key"}, "'key'", "objectEncoding needs objectType 'secret'"),
        ({"objectVersionHistory": -1}, "-1", "integer from 0 to 2147483647"),
        ({"objectVersionHistory": 2**31}, "2147483648", "integer from 0 to 2147483647"),
        ({"objectVersionHistory": True}, "True", "integer from 0 to"),
        ({"objectVersionHistory": "3"}, "'3'", "integer from 0 to"),
        ({"objectVersionHistory": 3.0}, "3.0", "integer from 0 to"),
        ({"filePermission": "644x"}, "'644x'", "octal string such as '0644'"),
        ({"filePermission": "0888"}, "'0888'", "octal string"),
        ({"filePermission": "00644"}, "'00644'", "octal string"),
        ({"filePermission": "rw-r--r--"}, "'rw-r--r--'", "octal string"),
    ],
)
def test_invalid_objects_name_the_value_and_what_is_allowed(fields, bad, allowed):
    message = error_of(**fields)
    assert bad in message and allowed in message


@pytest.mark.parametrize("fields", [{"objectName": 12}, {"filePermission": 644}, {"objectVersion": None}])
def test_no_type_coercion(fields):
    error_of(**fields)


def test_unknown_and_misspelt_fields_are_refused_and_python_names_accepted():
    assert "objectname" in error_of(objectname="x")
    assert "objectalias" in error_of(objectalias="x")
    assert obj(object_alias="x") == obj(objectAlias="x")


def test_objects_are_frozen_and_hashable():
    one = obj()
    with pytest.raises(ValidationError):
        one.object_name = "other"  # type: ignore[misc]
    assert {one, obj()} == {one}


def test_file_name_is_alias_else_name():
    assert obj().file_name == "secret1"
    assert obj(objectAlias="app/secret.txt").file_name == "app/secret.txt"


@pytest.mark.parametrize(("history", "needs_list"), [(None, False), (0, False), (1, False), (2, True), (10, True)])
def test_needs_list_above_one_version(history, needs_list):
    assert obj(objectVersionHistory=history).needs_list is needs_list


# --- rendering and parsing ---------------------------------------------------------------------

EVERYTHING = [
    obj(),
    obj(objectName="key1", objectType="key", objectVersion=VERSION),
    obj(objectName="tls", objectType="cert", objectAlias="certs/tls.crt", objectFormat="pem", filePermission="0644"),
    obj(
        objectName="bundle",
        objectAlias="bundle.pfx",
        objectFormat="pfx",
        objectEncoding="base64",
        objectVersionHistory=3,
    ),
]


def test_render_layout_is_the_seeds_literal_block_style():
    assert render_objects([obj(), obj(objectName="key1", objectType="key")]) == (
        "array:\n"
        "  - |\n"
        "    objectName: secret1\n"
        "    objectType: secret\n"
        '    objectVersion: ""\n'
        "  - |\n"
        "    objectName: key1\n"
        "    objectType: key\n"
        '    objectVersion: ""\n'
    )


def test_render_fixed_field_order_omits_none_keeps_object_version():
    text = render_objects([EVERYTHING[2], EVERYTHING[3]])
    blocks = yaml.safe_load(text)["array"]
    keys = [[line.split(":")[0] for line in block.splitlines()] for block in blocks]
    assert keys == [
        ["objectName", "objectType", "objectVersion", "objectAlias", "objectFormat", "filePermission"],
        [
            "objectName",
            "objectType",
            "objectVersion",
            "objectAlias",
            "objectFormat",
            "objectEncoding",
            "objectVersionHistory",
        ],
    ]


def test_round_trip_equals_the_input_fields():
    assert parse_objects(render_objects(EVERYTHING)) == [o.model_dump(exclude_none=True) for o in EVERYTHING]


def test_rendering_is_byte_identical_across_calls():
    first = render_objects(EVERYTHING)
    assert render_objects(list(EVERYTHING)) == first
    assert render_objects(tuple(KeyVaultObject(**o.model_dump()) for o in EVERYTHING)) == first


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("objectName", "true"),
        ("objectName", "null"),
        ("objectName", "yes"),
        ("objectName", "y"),
        ("objectName", "N"),
        ("objectName", "0123"),
        ("objectName", "1e3"),
        ("objectName", "123"),
        ("objectName", "0x1F"),
        ("objectName", "0o17"),
        ("objectName", "-1"),
        ("objectVersion", "12345678901234567890123456789012"),
        ("objectVersion", "1234567e123456789012345678901234"),
        ("objectAlias", "null"),
        ("objectAlias", "1.5"),
        ("objectAlias", "key: value"),
        ("objectAlias", "#tls"),
        ("filePermission", "0644"),
        ("filePermission", "644"),
    ],
)
def test_values_that_yaml_would_read_as_non_strings_are_quoted(field, value):
    text = render_objects([obj(**{field: value})])
    line = next(line.strip() for line in yaml.safe_load(text)["array"][0].splitlines() if line.startswith(field + ":"))
    assert re.fullmatch(rf"{field}: (['\"]).*\1", line), line
    assert parse_objects(text)[0][field] == value


def test_names_with_leading_digits_round_trip():
    names = ["1password", "2fa-seed", "007", "1-2", "12e"]
    text = render_objects([obj(objectName=n, objectAlias=f"f{i}") for i, n in enumerate(names)])
    assert [o["objectName"] for o in parse_objects(text)] == names


def test_pyyaml_globals_are_untouched():
    render_objects(EVERYTHING)
    assert yaml.safe_dump("1e3") == "1e3\n...\n"
    assert yaml.safe_dump("") == "''\n"
    assert yaml.safe_dump(["a\nb\n"]) == "- 'a\n\n  b\n\n  '\n"


def test_render_refuses_empty_and_clashing_files():
    with pytest.raises(ValueError, match="must not be empty"):
        render_objects([])
    with pytest.raises(ValueError, match="'tls.crt'.*distinct objectAlias"):
        render_objects([obj(objectAlias="tls.crt"), obj(objectName="tls", objectType="cert", objectAlias="tls.crt")])
    with pytest.raises(ValueError, match="'secret1'"):
        render_objects([obj(), obj(objectType="cert")])


def _seed_objects(path: Path) -> tuple[str, list[KeyVaultObject]]:
    """The seed's SecretProviderClass ``objects`` string, and the objects it describes."""
    manifest = yaml.safe_load(path.read_text().split("```yaml", 1)[1].split("```", 1)[0])
    text = manifest["spec"]["parameters"]["objects"]
    return text, [KeyVaultObject(**fields) for fields in parse_objects(text)]


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_seed_objects_render_to_the_same_objects(seed):
    text, objects = _seed_objects(seed)
    assert [o.object_name for o in objects] == ["secret1", "key1"]
    assert parse_objects(render_objects(objects)) == parse_objects(text)


def test_parse_names_the_index_of_a_bad_inner_document():
    text = "array:\n  - |\n    objectName: ok\n    objectType: secret\n  - |\n    objectName: bad\n     objectType: secret\n"
    with pytest.raises(ValueError, match=r"^unmarshal failed for keyVaultObjects at index 1: "):
        parse_objects(text)


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("array:\n  - objectName\n", 0),
        ("array:\n  - 'objectName: a'\n  - '[1, 2]'\n", 1),
        ("array:\n  - 'objectName: {a: 1}'\n", 0),
        ("array:\n  - 'objectName: a'\n  - 'objectName: b'\n  - 'objectVersionHistory: \"2\"'\n", 2),
    ],
)
def test_parse_refuses_inner_documents_the_provider_cannot_decode(text, index):
    with pytest.raises(ValueError, match=rf"^unmarshal failed for keyVaultObjects at index {index}: "):
        parse_objects(text)


@pytest.mark.parametrize("text", ["array: [", "- a\n- b\n", "array:\n  a: b\n", "array:\n  - {objectName: a}\n"])
def test_parse_refuses_a_bad_outer_document(text):
    with pytest.raises(ValueError, match="^failed to yaml unmarshal objects"):
        parse_objects(text)


def test_parse_reads_unquoted_octal_as_a_number_which_is_why_rendering_quotes_it():
    assert parse_objects("array:\n  - |\n    objectName: a\n    filePermission: 0644\n")[0]["filePermission"] == 420


def test_rendering_an_object_whose_field_is_not_known_yet_names_the_field() -> None:
    """An Output (anything with ``apply``) cannot be written into the string: a ValueError says which field,
    not a serializer's traceback. ``objects_parameter`` renders such objects once they resolve."""

    class Later:
        def apply(self, func: Any, run_with_unknowns: bool = False) -> Any:
            return self

    known = KeyVaultObject(objectName="db", objectType="secret")
    later = KeyVaultObject.model_construct(
        object_name=Later(), object_type="secret", object_version="", object_alias="api"
    )
    with pytest.raises(ValueError, match=r"^objects\[1\]\.objectName not known yet"):
        render_objects([known, later])


# Values a YAML emitter may write plainly, quoted or as a block: the fast paths of render_objects
# must write each exactly as PyYAML's own emitter does.
EMITTER_CORPUS = [
    "", " ", "a b", "a: b", "a #b", "#a", "-a", "- a", "?a", "a,b", "[a]", "{a}", "*a", "&a", "!a", "|a", ">a",
    "'a", '"a', "%a", "@a", "`a", "a'b", 'a"b', "é", "日本語", "a\tb", "a\nb", "a\n", "\n", "0", "00", "0644",
    "1e3", "1_000", "0x1F", "0o17", ".5", "-.inf", ".nan", "true", "True", "yes", "no", "on", "off", "y", "n", "~",
    "null", "Null", "2026-12-01", "12:30", "1:20:30", "a" * 300, "x ", " x", "a\x7fb", "\u2028", "secret-0001",
]  # fmt: skip


def test_an_object_written_directly_is_exactly_what_pyyaml_writes() -> None:
    from keyvault_csi.rules import objects

    corpus = [*EMITTER_CORPUS, "\x85", "a\x00b", "\ufeffa", "a\u00a0b", "a.b", "a/b", "a_b", "1.5.0", "12e", "3f2"]
    direct = set()
    for value in corpus:
        for fields in ({"objectName": value, "objectType": "secret", "objectVersion": ""}, {"objectAlias": value}):
            written = objects._plain_document(fields)
            if written is not None:
                direct.add(value)
                assert written == objects._dump(fields), repr(value)
    # Names, versions and file names take the fast path; what would read back otherwise, PyYAML.
    assert direct == {"", "secret-0001", "a" * 300, "a.b", "a/b", "a_b", "1.5.0", "12e", "3f2"}
    for fields in ({"objectName": "a", "objectVersionHistory": 3}, {"objectName": "secret1", "objectVersion": ""}):
        assert objects._plain_document(fields) == objects._dump(fields)
    assert objects._plain_document({"objectName": "a", "flag": True}) is None  # a bool is not an int


def test_the_array_is_written_exactly_as_pyyaml_writes_it() -> None:
    from keyvault_csi.rules import objects

    documents = [objects._dump({"objectName": value, "objectType": "secret"}) for value in EMITTER_CORPUS]
    documents += [" lead\n", "a\n\nb\n", "trail \n", "no break", "two\n\n", "é\n", "a\n  b\n", "a\n b \n"]
    for document in documents:
        assert objects._dump_array([document]) == objects._dump({"array": [document]}), repr(document)
    assert objects._dump_array(documents[:5]) == objects._dump({"array": documents[:5]})
    plain = [d for d in documents if objects._PLAIN_LITERAL.fullmatch(d)]
    assert len(plain) > len(EMITTER_CORPUS) // 2  # most documents take the fast path; the rest, PyYAML
