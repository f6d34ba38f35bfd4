"""KeyVaultObject rules and the two-level ``objects`` string the Azure provider parses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from keyvault_csi.rules.choices import NodeOS, ObjectEncoding, ObjectFormat, ObjectType
from keyvault_csi.rules.objects import KeyVaultObject, equal_fold, file_conflicts, parse_objects, render_objects
from tests.support import SEEDS, provider_example_classes  # vendored from ../shared/reference

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
        {"filePermission": "00644"},
        {"objectVersion": "latest", "objectVersionHistory": 2},
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
        ({"objectType": "SECRET"}, "'SECRET'", "use one of: secret, key, cert"),
        ({"objectType": ""}, "''", "use one of: secret, key, cert"),
        ({"objectVersion": "latest"}, "'latest'", "32 hexadecimal characters"),
        ({"objectVersion": "latest", "objectVersionHistory": 1}, "'latest'", "only with objectVersionHistory above 1"),
        ({"objectVersion": "Latest", "objectVersionHistory": 5}, "'Latest'", "32 hexadecimal characters"),
        ({"objectVersion": VERSION[:-1]}, VERSION[:-1], "32 hexadecimal characters"),
        ({"objectVersion": VERSION[:-1] + "g"}, VERSION[:-1] + "g", "32 hexadecimal characters"),
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
        ({"objectFormat": "der"}, "'der'", "use one of: pem, pfx (in any letter case)"),
        ({"objectFormat": " pfx"}, "' pfx'", "use one of: pem, pfx"),
        ({"objectFormat": "pfx", "objectType": "cert"}, "'cert'", "pfx needs objectType 'secret'"),
        ({"objectFormat": "PFX", "objectType": "cert"}, "'cert'", "pfx needs objectType 'secret'"),
        ({"objectFormat": "pfx", "objectType": "key"}, "'key'", "pfx needs objectType 'secret'"),
        ({"objectEncoding": "utf8"}, "'utf8'", "use one of: utf-8, hex, base64"),
        ({"objectEncoding": "SECRET_ALIAS"}, "'SECRET_ALIAS'", "use one of: utf-8, hex, base64"),
        ({"objectEncoding": "Base64", "objectType": "key"}, "'key'", "objectEncoding needs objectType 'secret'"),
        ({"objectEncoding": "base64", "objectType": "cert"}, "'cert'", "objectEncoding needs objectType 'secret'"),
        ({"objectEncoding": "utf-8", "objectType": "key"}, "'key'", "objectEncoding needs objectType 'secret'"),
        ({"objectVersionHistory": -1}, "-1", "integer from 0 to 2147483647"),
        ({"objectVersionHistory": 2**31}, "2147483648", "integer from 0 to 2147483647"),
        ({"objectVersionHistory": True}, "True", "integer from 0 to"),
        ({"objectVersionHistory": "3"}, "'3'", "integer from 0 to"),
        ({"objectVersionHistory": 3.0}, "3.0", "integer from 0 to"),
        ({"filePermission": "644x"}, "'644x'", "octal string such as '0644'"),
        ({"filePermission": "0888"}, "'0888'", "octal string"),
        ({"filePermission": "1644"}, "'1644'", "permission bits only"),
        ({"filePermission": "+644"}, "'+644'", "octal string"),
        ({"filePermission": "64"}, "'64'", "octal string"),
        ({"filePermission": "rw-r--r--"}, "'rw-r--r--'", "octal string"),
    ],
)
def test_invalid_objects_name_the_value_and_what_is_allowed(fields, bad, allowed):
    message = error_of(**fields)
    assert bad in message and allowed in message


@pytest.mark.parametrize("fields", [{"objectName": 12}, {"filePermission": 644}, {"objectVersion": None}])
def test_no_type_coercion(fields):
    error_of(**fields)


@pytest.mark.parametrize(
    ("fields", "kept"),
    [
        ({"objectFormat": "PFX"}, {"objectFormat": ObjectFormat.PFX}),
        ({"objectFormat": "Pem"}, {"objectFormat": ObjectFormat.PEM}),
        ({"objectEncoding": "Base64"}, {"objectEncoding": ObjectEncoding.BASE64}),
        ({"objectEncoding": "UTF-8"}, {"objectEncoding": ObjectEncoding.UTF_8}),
        ({"objectEncoding": "HEX"}, {"objectEncoding": ObjectEncoding.HEX}),
        ({"objectEncoding": "baſe64"}, {"objectEncoding": ObjectEncoding.BASE64}),  # Go folds ſ to s
        ({"objectAlias": "", "objectFormat": "", "objectEncoding": "", "filePermission": ""}, {}),
    ],
)
def test_what_the_provider_accepts_is_kept_as_its_canonical_value(fields, kept):
    """The provider compares objectFormat/objectEncoding with strings.EqualFold and reads an empty field as unset."""
    assert obj(**fields).model_dump(exclude_none=True) == {
        "objectName": "secret1",
        "objectType": "secret",
        "objectVersion": "",
        **kept,
    }


def test_choices_are_the_enums_and_render_canonically():
    one = obj(objectFormat="PFX", objectEncoding="Base64")
    assert (one.object_type, one.object_format, one.object_encoding) == (
        ObjectType.SECRET,
        ObjectFormat.PFX,
        ObjectEncoding.BASE64,
    )
    assert render_objects([one]) == render_objects([obj(objectFormat="pfx", objectEncoding="base64")])
    assert "objectFormat: pfx\n" in render_objects([one]) and "objectEncoding: base64\n" in render_objects([one])
    assert render_objects([obj(objectAlias="", filePermission="")]) == render_objects([obj()])


@pytest.mark.parametrize(
    ("given", "canonical", "equal"),
    [
        ("PFX", "pfx", True),
        ("pFx", "pfx", True),
        ("UTF-8", "utf-8", True),
        ("baſe64", "base64", True),
        ("\u212aey", "key", True),  # the Kelvin sign folds to k
        ("pfx ", "pfx", False),
        ("pf", "pfx", False),
        ("utf8", "utf-8", False),
        ("İ", "i", False),  # folds to two characters: not equal in Go either
    ],
)
def test_equal_fold_is_gos(given, canonical, equal):
    assert equal_fold(given, canonical) is equal


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


def test_file_name_is_known_unless_an_output_names_an_object_without_alias():
    class Later:
        def apply(self, func: Any, run_with_unknowns: bool = False) -> Any:
            return self

    later = KeyVaultObject.model_construct(object_name=Later(), object_type="secret", object_version="")
    assert obj().file_known and not later.file_known
    assert later.model_copy(update={"object_alias": "db"}).file_known
    with pytest.raises(ValueError, match="^objectAlias is required when objectName is an Output"):
        _ = later.file_name


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


# --- files written per node OS, and certificates' .crt/.key files -----------------------------------------


def test_aliases_any_node_can_write_are_accepted_until_the_os_is_known():
    assert obj(objectAlias="conf\\secret1").file_name == "conf\\secret1"  # a Windows nested path
    assert obj(objectAlias="conf/secret1").file_name == "conf/secret1"  # a Linux nested path
    assert obj(objectAlias="secret?1").file_name == "secret?1"  # Linux only
    assert "must be a clean path" in error_of(objectAlias="a//b")  # no node writes it


def test_file_conflicts_use_the_node_os_separator():
    nested = [obj(objectName="conf"), obj(objectName="c", objectAlias="conf\\c")]
    assert file_conflicts(nested) == []  # on Linux 'conf\\c' is one file name
    assert file_conflicts(nested, os=NodeOS.WINDOWS) == [
        "objects[0] writes the file 'conf', which objects[1] ('conf\\c') needs as a directory; "
        "give them distinct objectAlias values"
    ]
    versioned = [obj(objectName="v", objectVersionHistory=3), obj(objectName="w", objectAlias="v\\2")]
    (problem,) = file_conflicts(versioned, os=NodeOS.WINDOWS)
    assert "writes its versions as 'v'\\0..3" in problem
    assert file_conflicts(versioned) == []


def test_certificate_parts_are_files_of_secret_objects_only():
    tls = obj(objectName="tls")
    assert file_conflicts([tls, obj(objectName="crt", objectAlias="tls.crt")]) == []
    (problem,) = file_conflicts([tls, obj(objectName="crt", objectAlias="tls.crt")], cert_parts=True)
    assert problem == (
        "objects [0, 1] all write the file 'tls.crt' (objects[0] writes it as the .crt of 'tls': certificates' cert "
        "and key are written in separate files); give them distinct objectAlias values"
    )
    public = obj(objectName="tls", objectType="cert")
    assert file_conflicts([public, obj(objectName="k", objectAlias="tls.key")], cert_parts=True) == []
    versioned = obj(objectName="v", objectVersionHistory=2)
    (problem,) = file_conflicts([versioned, obj(objectName="w", objectAlias="v/1.key")], cert_parts=True)
    assert "writes its versions as 'v'/0..2 (with .crt and .key)" in problem
    assert file_conflicts([versioned, obj(objectName="w", objectAlias="v/1.key")]) == []


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
    text = (
        "array:\n  - |\n    objectName: ok\n    objectType: secret\n"
        "  - |\n    objectName: bad\n     objectType: secret\n"
    )
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


def test_parse_reads_string_fields_as_written_like_go_yaml_into_the_providers_struct():
    """go-yaml v3 fills a Go string field with the scalar's text: an unquoted 0755 stays "0755" (not 493)."""
    text = (
        "array:\n  - |\n    objectName: 007\n    objectType: secret\n    objectAlias: true\n"
        "    filePermission: 0755\n    objectVersion:\n    objectVersionHistory: 5\n"
    )
    assert parse_objects(text) == [
        {
            "objectName": "007",
            "objectType": "secret",
            "objectAlias": "true",
            "filePermission": "0755",
            "objectVersion": "",  # a null leaves the field empty
            "objectVersionHistory": 5,
        }
    ]
    assert KeyVaultObject(**parse_objects(text)[0]).file_permission == "0755"


def test_parse_refuses_a_field_given_twice_as_go_yaml_does():
    text = "array:\n  - |\n    objectName: a\n    objectType: secret\n    objectName: b\n"
    with pytest.raises(
        ValueError, match=r'^unmarshal failed for keyVaultObjects at index 0: line 3: mapping key "objectName"'
    ):
        parse_objects(text)


def test_parse_applies_merge_keys():
    text = "array:\n  - |\n    base: &b {objectType: secret}\n    <<: *b\n    objectName: a\n"
    assert parse_objects(text) == [{"base": {"objectType": "secret"}, "objectType": "secret", "objectName": "a"}]


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


PREVIOUS = Path(__file__).with_name("render_objects_previous.json")


def test_rendering_is_byte_identical_to_the_previous_writer():
    """The one PyYAML writer gives the bytes the former direct writers gave, over a corpus of awkward values."""
    cases = json.loads(PREVIOUS.read_text())["cases"]
    assert len(cases) > 100
    for case in cases:
        objects = [KeyVaultObject(**fields) for fields in case["objects"]]
        assert render_objects(objects) == case["rendered"], case["objects"]


# The provider's own examples (tests/reference/provider-examples): every object it documents is accepted,
# but for one the provider itself refuses at mount time (validate.go: invalid objectEncoding).
REFUSED_BY_THE_PROVIDER = {("examples/keyvault-secrets/v1alpha1_secretproviderclass_secrets.yaml", 2): "SECRET_ALIAS"}


def test_every_object_the_provider_documents_is_accepted():
    checked = 0
    for file, manifest in provider_example_classes():
        text = manifest["spec"].get("parameters", {}).get("objects")
        if text is None:
            continue  # an excerpt without parameters (see SOURCE.md)
        for index, fields in enumerate(parse_objects(text)):
            checked += 1
            if (file, index) in REFUSED_BY_THE_PROVIDER:
                with pytest.raises(ValidationError, match=REFUSED_BY_THE_PROVIDER[file, index]):
                    KeyVaultObject(**fields)
                continue
            rendered = parse_objects(render_objects([KeyVaultObject(**fields)]))[0]
            # Rendered back, each field means the same to the provider: empty fields left out (objectVersion
            # is always written), the rest as given.
            assert {"objectVersion": "", **{k: v for k, v in fields.items() if v != ""}} == rendered, (file, index)
    assert checked == 45


GUID = "00000000-0000-0000-0000-000000000001"


def named(name: str = "a", **fields) -> KeyVaultObject:
    return KeyVaultObject.model_validate({"objectName": name, "objectType": "secret", **fields})


# --- clean relative paths (driver pkg/util/fileutil/writer.go, atomic_writer.go) ---


@pytest.mark.parametrize("alias", ["./x", "a//b", "a/", "a/./b", ".", "a/."])
def test_unclean_aliases_are_refused(alias: str) -> None:
    with pytest.raises(ValidationError, match="must be a clean path"):
        named(objectAlias=alias)


@pytest.mark.parametrize("alias", ["x", "dir/file", "a/b/c.pem", "x" * 255, "é" * 127])
def test_clean_aliases_pass(alias: str) -> None:
    assert named(objectAlias=alias).file_name == alias


def test_a_segment_over_255_bytes_is_refused_counting_bytes() -> None:
    with pytest.raises(ValidationError, match="256 bytes; allowed: at most 255 bytes per segment"):
        named(objectAlias="d/" + "x" * 256)
    with pytest.raises(ValidationError, match="256 bytes"):
        named(objectAlias="é" * 128)  # 128 characters, 256 bytes in UTF-8


def test_a_path_over_4096_bytes_is_refused() -> None:
    with pytest.raises(ValidationError, match="at most 4096 bytes"):
        named(objectAlias="/".join(["y" * 200] * 21))


def test_a_file_that_is_the_directory_of_another_is_refused() -> None:
    problems = file_conflicts([named("a"), named("b", objectAlias="a/b")])
    assert problems == [
        "objects[0] writes the file 'a', which objects[1] ('a/b') needs as a directory; "
        "give them distinct objectAlias values"
    ]
    with pytest.raises(ValueError, match="needs as a directory"):
        render_objects([named("b", objectAlias="x/y/z"), named("c", objectAlias="x/y")])


def test_siblings_and_prefixes_that_are_not_directories_pass() -> None:
    assert (
        file_conflicts([named("a", objectAlias="d/a"), named("b", objectAlias="d/b"), named("c", objectAlias="ab")])
        == []
    )


def test_versioned_objects_claim_their_index_files() -> None:
    versioned = named("v", objectVersionHistory=3)
    assert file_conflicts([versioned, named("w", objectAlias="v/3")]) != []  # 0..N may be written
    assert file_conflicts([versioned, named("w", objectAlias="v/0/x")]) != []
    assert file_conflicts([versioned, named("w", objectAlias="v/4")]) == []
    assert file_conflicts([versioned, named("w", objectAlias="v/01")]) == []  # strconv.Itoa never writes 01
    assert file_conflicts([named("v", objectVersionHistory=1), named("w", objectAlias="v/0")]) != []  # v is a file


def test_duplicates_are_reported_once_with_their_indexes() -> None:
    assert file_conflicts([named("a"), named("b", objectAlias="a"), named("c")], [4, 5, 6]) == [
        "objects [4, 5] all write the file 'a'; give them distinct objectAlias values"
    ]
