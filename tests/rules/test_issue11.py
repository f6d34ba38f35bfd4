"""Issue 11: refuse only what Azure and the driver refuse (paths, versioned sync, Secret types,
the AD FS tenant, use* flags, least-privilege roles, tags, strict booleans)."""

from __future__ import annotations

import posixpath

import pytest
from pydantic import ValidationError

from keyvault_csi.rules.grants import GRANTS, KEY_VAULT_READER, SECRETS_USER, required_roles
from keyvault_csi.rules.objects import KeyVaultObject, file_conflicts, render_objects
from keyvault_csi.rules.parameters import parse_flag, provider_parameters, tenant_problem
from keyvault_csi.rules.paths import go_clean
from keyvault_csi.rules.secret_sync import SecretObject, check_sync_sources, sync_source_problem
from keyvault_csi.rules.tags import tag_problems

GUID = "00000000-0000-0000-0000-000000000001"


def obj(name: str = "a", **fields) -> KeyVaultObject:
    return KeyVaultObject.model_validate({"objectName": name, "objectType": "secret", **fields})


# --- 1. clean relative paths (driver pkg/util/fileutil/writer.go, atomic_writer.go) ---


@pytest.mark.parametrize(
    ("path", "clean"),
    [
        ("", "."),
        (".", "."),
        ("a", "a"),
        ("./a", "a"),
        ("a/", "a"),
        ("a//b", "a/b"),
        ("a/./b", "a/b"),
        ("a/b/../c", "a/c"),
        ("../a", "../a"),
        ("a/../..", ".."),
        ("/../a", "/a"),
        ("//a", "/a"),  # posixpath.normpath keeps the leading '//'
        ("///a//", "/a"),
        ("/", "/"),
        ("a/..", "."),
    ],
)
def test_go_clean_matches_go_filepath_clean(path: str, clean: str) -> None:
    assert go_clean(path) == clean


def test_go_clean_differs_from_normpath_on_a_leading_double_slash() -> None:
    assert posixpath.normpath("//a") == "//a" != go_clean("//a")


@pytest.mark.parametrize("alias", ["./x", "a//b", "a/", "a/./b", ".", "a/."])
def test_unclean_aliases_are_refused(alias: str) -> None:
    with pytest.raises(ValidationError, match="must be a clean path"):
        obj(objectAlias=alias)


@pytest.mark.parametrize("alias", ["x", "dir/file", "a/b/c.pem", "x" * 255, "é" * 127])
def test_clean_aliases_pass(alias: str) -> None:
    assert obj(objectAlias=alias).file_name == alias


def test_a_segment_over_255_bytes_is_refused_counting_bytes() -> None:
    with pytest.raises(ValidationError, match="256 bytes; allowed: at most 255 bytes per segment"):
        obj(objectAlias="d/" + "x" * 256)
    with pytest.raises(ValidationError, match="256 bytes"):
        obj(objectAlias="é" * 128)  # 128 characters, 256 bytes in UTF-8


def test_a_path_over_4096_bytes_is_refused() -> None:
    with pytest.raises(ValidationError, match="at most 4096 bytes"):
        obj(objectAlias="/".join(["y" * 200] * 21))


def test_a_file_that_is_the_directory_of_another_is_refused() -> None:
    problems = file_conflicts([obj("a"), obj("b", objectAlias="a/b")])
    assert problems == [
        "objects[0] writes the file 'a', which objects[1] ('a/b') needs as a directory; give them distinct objectAlias values"
    ]
    with pytest.raises(ValueError, match="needs as a directory"):
        render_objects([obj("b", objectAlias="x/y/z"), obj("c", objectAlias="x/y")])


def test_siblings_and_prefixes_that_are_not_directories_pass() -> None:
    assert file_conflicts([obj("a", objectAlias="d/a"), obj("b", objectAlias="d/b"), obj("c", objectAlias="ab")]) == []


def test_versioned_objects_claim_their_index_files() -> None:
    versioned = obj("v", objectVersionHistory=3)
    assert file_conflicts([versioned, obj("w", objectAlias="v/3")]) != []  # 0..N may be written
    assert file_conflicts([versioned, obj("w", objectAlias="v/0/x")]) != []
    assert file_conflicts([versioned, obj("w", objectAlias="v/4")]) == []
    assert file_conflicts([versioned, obj("w", objectAlias="v/01")]) == []  # strconv.Itoa never writes 01
    assert file_conflicts([obj("v", objectVersionHistory=1), obj("w", objectAlias="v/0")]) != []  # v is a file


def test_duplicates_are_reported_once_with_their_indexes() -> None:
    assert file_conflicts([obj("a"), obj("b", objectAlias="a"), obj("c")], [4, 5, 6]) == [
        "objects [4, 5] all write the file 'a'; give them distinct objectAlias values"
    ]


# --- 2. sync of one version of a versioned object ---


def test_sync_of_a_version_index_below_the_history() -> None:
    histories = {"h": 3, "plain": None}
    assert sync_source_problem("h/0", histories) == ("h", None)
    assert sync_source_problem("h/2", histories) == ("h", None)
    file, problem = sync_source_problem("h/3", histories)
    assert file == "h" and problem and "index 3 is not below objectVersionHistory 3" in problem
    file, problem = sync_source_problem("h", histories)
    assert file == "h" and problem and "sync one version: h/0 (the latest) to h/2" in problem
    assert sync_source_problem("h/x", histories) == (None, None)
    assert sync_source_problem("h/01", histories) == (None, None)
    assert sync_source_problem("plain/0", histories) == (None, None)


def test_check_sync_sources_accepts_a_version_file() -> None:
    objects = [obj("h", objectVersionHistory=2)]
    secret = SecretObject.model_validate({"secretName": "s", "data": [{"objectName": "h/1", "key": "previous"}]})
    check_sync_sources(objects, [secret])
    bad = SecretObject.model_validate({"secretName": "s", "data": [{"objectName": "h", "key": "k"}]})
    with pytest.raises(ValueError, match="folder of versions; sync one version: h/0"):
        check_sync_sources(objects, [bad])


# --- 3. any non-empty Secret type ---


@pytest.mark.parametrize("secret_type", ["example.com/custom", "bootstrap.kubernetes.io/token", "opaque", "Custom"])
def test_custom_secret_types_pass_through(secret_type: str) -> None:
    secret = SecretObject.model_validate(
        {"secretName": "s", "type": secret_type, "data": [{"objectName": "a", "key": "k"}]}
    )
    assert secret.manifest()["type"] == secret_type


def test_empty_secret_type_is_refused_as_the_driver_does() -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        SecretObject.model_validate({"secretName": "s", "type": "", "data": [{"objectName": "a", "key": "k"}]})


def test_service_account_token_type_needs_its_annotation() -> None:
    data = {"secretName": "s", "type": "kubernetes.io/service-account-token", "data": [{"objectName": "a", "key": "k"}]}
    with pytest.raises(ValidationError, match="kubernetes.io/service-account.name"):
        SecretObject.model_validate(data)
    SecretObject.model_validate({**data, "annotations": {"kubernetes.io/service-account.name": "sa"}})


# --- 4. tenant 'adfs' only on Azure Stack Hub ---


def test_adfs_tenant_only_when_every_class_is_azure_stack() -> None:
    assert tenant_problem(GUID, ["", "AzureChinaCloud"]) is None
    assert tenant_problem("adfs", ["AzureStackCloud", "azurestackcloud"]) is None
    problem = tenant_problem("adfs", ["AzureStackCloud", ""])
    assert problem and "every workload needs cloudName AzureStackCloud; got AzurePublicCloud" in problem
    assert "not a tenant ID" in (tenant_problem("ADFS", ["AzureStackCloud"]) or "")
    assert "not a tenant ID" in (tenant_problem("contoso.onmicrosoft.com", [""]) or "")


def test_provider_parameters_take_adfs_with_azure_stack_only() -> None:
    common = {"keyvault_name": "kvname", "tenant_id": "adfs", "objects": [obj()], "user_assigned_identity_id": ""}
    parameters = provider_parameters(
        **common, cloud_name="AzureStackCloud", cloud_env_file_name="/etc/kubernetes/stack.json"
    )
    assert parameters["tenantID"] == "adfs"
    with pytest.raises(ValueError, match="'adfs' is only for Azure Stack Hub"):
        provider_parameters(**common)


# --- 5. use* flags as strconv.ParseBool after TrimSpace ---


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True", " true ", "\ttrue\n"])
def test_parse_flag_true(text: str) -> None:
    assert parse_flag(text) is True


@pytest.mark.parametrize("text", ["", "  ", "0", "f", "F", "FALSE", "false", "False"])
def test_parse_flag_false(text: str) -> None:
    assert parse_flag(text) is False


@pytest.mark.parametrize("text", ["yes", "no", "tRUE", "on", "2", "truee"])
def test_parse_flag_refuses_what_go_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="strconv.ParseBool"):
        parse_flag(text)


# --- 6. least privilege: Key Vault Reader for key and cert objects ---


def test_keys_and_certs_get_key_vault_reader_secrets_get_secrets_user() -> None:
    assert (
        GRANTS["key"][1:]
        == GRANTS["cert"][1:]
        == KEY_VAULT_READER
        == (
            "Key Vault Reader",
            "21090545-7ca7-4776-b22c-e363652d74d2",
        )
    )
    assert GRANTS["secret"][1:] == SECRETS_USER
    objects = [obj("s"), obj("k", objectType="key"), obj("c", objectType="cert")]
    assert required_roles(objects) == [KEY_VAULT_READER, SECRETS_USER]


# --- 7. Azure tag limits ---


def test_tag_limits() -> None:
    assert tag_problems({"env": "dev", "Cost Center": "x" * 256, "n" * 512: ""}) == []
    assert tag_problems({f"t{i}": "" for i in range(51)}) == ["51 tags; allowed: at most 50 per resource"]
    assert "has 513 characters" in tag_problems({"n" * 513: ""})[0]
    assert "value of 257 characters" in tag_problems({"a": "v" * 257})[0]
    assert "contains / ?" in tag_problems({"a/b?": ""})[0]
    for character in "<>%&\\?/":
        assert tag_problems({f"x{character}": ""}), character
    assert "differ only in case" in tag_problems({"Env": "a", "env": "b"})[0]
    assert "1 to 512" in tag_problems({"": "v"})[0]
