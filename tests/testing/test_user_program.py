"""Unit tests of your own program that embeds keyvault-csi (the example of docs/embedding.md)."""

import pulumi
import pytest
from pulumi_azure_native import keyvault, resources

from keyvault_csi import AksKeyVaultSecrets, AksKeyVaultSecretsArgs
from keyvault_csi.rules.objects import parse_objects
from keyvault_csi.testing import KeyVaultCsiMocks

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@pytest.fixture(autouse=True)
def mocks() -> KeyVaultCsiMocks:
    # One set_mocks per test: a module-level call in several test files would let the last import win.
    mocks = KeyVaultCsiMocks(subscription_id="00000000-0000-0000-0000-000000000001")
    pulumi.runtime.set_mocks(mocks, preview=False)
    return mocks


def my_program() -> tuple[keyvault.Vault, AksKeyVaultSecrets]:
    """What your __main__.py declares: a vault, a secret in it, and keyvault-csi reading it."""
    group = resources.ResourceGroup("rg", resource_group_name="rg-shop")
    vault = keyvault.Vault(
        "vault",
        vault_name="kv-shop",
        resource_group_name=group.name,
        properties={"tenant_id": TENANT, "sku": {"family": "A", "name": "standard"}, "enable_rbac_authorization": True},
    )
    secret = keyvault.Secret(
        "db",
        secret_name="db-password",  # without it Azure's name (secret.name) gets a random suffix
        vault_name=vault.name,
        resource_group_name=group.name,
        properties={"value": pulumi.Output.secret("example-only")},
    )
    secrets = AksKeyVaultSecrets(
        "shop",
        AksKeyVaultSecretsArgs(
            tenant_id=TENANT,
            key_vault={"name": vault.name, "resource_group": group.name, "permission_model": "rbac"},
            identity={"type": "kubelet", "cluster": {"resource_group": "rg-shop", "name": "aks-shop"}},
            workloads=[
                {
                    "name": "web",
                    "secret_provider_class": "web-secrets",  # the default name needs a plain vault name
                    # secret.name is Azure's name of the secret; a computed object_name needs a plain file name.
                    "objects": [{"object_name": secret.name, "object_alias": "db-password", "object_type": "secret"}],
                }
            ],
        ),
    )
    return vault, secrets


@pulumi.runtime.test
def test_the_class_reads_the_secret_the_program_creates() -> pulumi.Output[None]:
    _, secrets = my_program()
    spc = secrets.workloads["web"].secret_provider_class

    def check(spec: dict) -> None:
        assert spec["parameters"]["keyvaultName"] == "kv-shop"
        assert spec["parameters"]["userAssignedIdentityID"] == "<aks-shop-agentpool.clientId>"
        assert [o["objectName"] for o in parse_objects(spec["parameters"]["objects"])] == ["db-password"]

    return spc.spec.apply(check)


@pulumi.runtime.test
def test_the_grant_is_scoped_to_that_vault(mocks: KeyVaultCsiMocks) -> pulumi.Output[None]:
    vault, secrets = my_program()
    (grant,) = secrets.access["default"].grants

    def check(values: list) -> None:
        scope, vault_id = values
        assert scope == vault_id
        assert vault_id.startswith("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-shop/")
        assert "azure-native:containerservice:getManagedCluster" in {i.token for i in mocks.invokes}

    return pulumi.Output.all(grant.scope, vault.id).apply(check)
