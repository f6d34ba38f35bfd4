"""What a Key Vault 403 says, read from the corpus's real bodies: model, caller, vault, object, action."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from keyvault_csi.doctor.catalogue import classify
from keyvault_csi.doctor.denial import Denial, read_denial

CORPUS = yaml.safe_load((Path(__file__).parent / "corpus" / "messages.yaml").read_text(encoding="utf-8"))


def corpus(cause: str, source: str) -> str:
    """The one corpus message of ``cause`` whose source starts with ``source``."""
    (message,) = [e["message"] for e in CORPUS["messages"] if e["cause"] == cause and e["source"].startswith(source)]
    return str(message)


def denial(message: str) -> Denial | None:
    return read_denial(message, classify(message))


TERRAFORM_AKS = "driver wrapper + Key Vault RBAC 403 body"
RBAC_BODY = Denial(
    model="rbac",
    appid="0XXXXXXXX6",
    oid="5XXXXXXXXa",
    vault="test-piyush-kv-1011",
    object_type="secret",
    object_name="7cXXXXXXXX96",
    action="Microsoft.KeyVault/vaults/secrets/getSecret/action",
)


def test_rbac_and_access_policy_403s_are_told_apart_with_their_callers() -> None:
    rbac = corpus("rbac-denied", TERRAFORM_AKS)
    access_policy = corpus("access-policy-denied", "driver wrapper (versions of a secret)")
    assert (classify(rbac), classify(access_policy)) == ("rbac-denied", "access-policy-denied")
    assert denial(rbac) == RBAC_BODY
    assert denial(access_policy) == Denial(
        model="accessPolicy",
        appid="dcfa956d-b453-448c-b06b-4c1383c2afeb",
        oid="09e7a3cd-4fc8-4d55-bb62-aaef76a8b439",
        vault="diskvault001",
        object_type="secret",
        object_name="db-password",
        permission="secrets list",
    )


def test_azcore_layout_reads_as_the_autorest_one() -> None:
    # Provider >= 1.5 prints azcore's indented body: real line breaks, the message's \r\n kept as escapes.
    assert denial(corpus("rbac-denied", "driver wrapper + azcore ResponseError layout")) == RBAC_BODY


def test_firewall_403_names_the_client_address_and_the_vault() -> None:
    without_caller = denial(corpus("vault-firewall", "aranaescobedo/aks"))
    with_caller = denial(corpus("vault-firewall", "driver wrapper (objectType:key)"))
    assert without_caller == Denial(
        model="firewall",
        vault="<KEY_VAULT_NAME>",
        object_type="secret",
        object_name="<SECRETNAME>",
        client_address="<IP_ADDRESS> from unknown subnet",
    )
    assert with_caller == Denial(
        model="firewall",
        appid="XXX",
        oid="YYY",
        vault="miswiercdemovault-86f1",
        object_type="key",
        object_name="default-database-key",
        client_address="<SOME_IP>",
    )


def test_breaks_without_backslashes_and_the_old_access_policy_wording() -> None:
    # A thread turned "\r\n" into " r n"; the vault's older words: "Caller was not found on any access policy".
    old = denial(corpus("access-policy-denied", "https://github.com/microsoft/RockPaperScissorsLizardSpock"))
    assert old == Denial(
        model="accessPolicy",
        appid="6e2584bf-XXXXXXXXXXXXXXXX",
        oid="087127d7-XXXXXXXXXXXXXX",
        vault="rpslskvXXXXXXXXXXX",
    )
    assert old.family is None and old.verb is None


def test_escaped_quotes_and_a_cut_body() -> None:
    # azcore's body inside a log line (quotes and \n escaped) as quoted, cut, in azureossd/azureossd.github.io's
    # post "Using a Dapr Secret Store with Azure Key Vault ..." (2023-02-23): a Key Vault access-policy 403.
    logged = (
        'level=error msg="error getting secret: GET https://some-keyvault.vault.azure.net/secrets/secretname/\\n'
        "--------------------------------------------------------------------------------\\nRESPONSE 403: 403 "
        "Forbidden\\nERROR CODE: Forbidden\\n--------------------------------------------------------------------"
        '------------\\n{\\n \\"error\\": {\\n \\"code\\": \\"Forbidden\\",\\n \\"message\\": \\"The user, group or '
        "application 'appid=00000000-0000-0000-0000-000000000000;oid=00000000-0000-0000-0000-000000000000;iss=https://"
        "sts.windows.net/00000000-0000-0000-0000-000000000000/' does not have secrets get permission on key vault "
        "'some-keyvault"
    )
    assert denial(logged) == Denial(
        model="accessPolicy",
        appid="00000000-0000-0000-0000-000000000000",
        oid="00000000-0000-0000-0000-000000000000",
        vault="some-keyvault",
        object_type="secret",
        object_name="secretname",
        permission="secrets get",
    )


def test_a_cut_message_leaves_what_it_lost_empty() -> None:
    cut = denial(corpus("rbac-denied", "https://github.com/Azure/secrets-store-csi-driver-provider-azure/issues/906"))
    assert cut == Denial(model="rbac", object_type="secret", object_name="{secretObjectName}")
    assert cut.describe() == "caller not in the message; vault not in the message; secret '{secretObjectName}'"
    title = denial(corpus("permission-denied", "https://github.com/Azure/secrets-store-csi-driver-provider-azure"))
    assert title == Denial(model=None)


def test_other_causes_carry_no_denial() -> None:
    not_found = next(e["message"] for e in CORPUS["messages"] if e["cause"] == "object-not-found")
    assert read_denial(not_found, "object-not-found") is None


@pytest.mark.parametrize(
    ("fields", "family", "verb"),
    [
        ({"object_type": "cert"}, "certificates", None),
        ({"action": "Microsoft.KeyVault/vaults/secrets/readMetadata/action"}, "secrets", "list"),
        ({"action": "Microsoft.KeyVault/vaults/keys/read"}, "keys", "get"),
        ({"permission": "certificates list"}, "certificates", "list"),
        ({"object_type": "key", "permission": "keys get"}, "keys", "get"),
    ],
)
def test_family_and_verb_of_the_refused_read(fields: dict[str, str], family: str, verb: str | None) -> None:
    found = Denial(model="rbac", **fields)
    assert (found.family, found.verb) == (family, verb)


def test_describe_and_json_name_every_field() -> None:
    assert RBAC_BODY.describe() == (
        "caller appid 0XXXXXXXX6, oid 5XXXXXXXXa; vault test-piyush-kv-1011; secret '7cXXXXXXXX96'; "
        "action Microsoft.KeyVault/vaults/secrets/getSecret/action"
    )
    assert RBAC_BODY.as_json() == {
        "model": "rbac",
        "appid": "0XXXXXXXX6",
        "oid": "5XXXXXXXXa",
        "vault": "test-piyush-kv-1011",
        "objectType": "secret",
        "objectName": "7cXXXXXXXX96",
        "action": "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "permission": None,
        "clientAddress": None,
    }
