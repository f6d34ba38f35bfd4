"""The multi-language package: the schema Pulumi's analyzer builds, the plugin entry point, and the
YAML and TypeScript consumers, each run through the provider's own construct path (mock runtime)."""

from __future__ import annotations

import functools
import json
import os
import re
import runpy
import subprocess
import sys
import tomllib
import typing
from typing import Any

import jsonschema
import pulumi
import pytest
import yaml
from check_jsonschema.regex_variants import RegexImplementation, RegexVariantName
from pulumi.provider.experimental import host
from pulumi.provider.experimental.component import ComponentProvider
from pydantic import BaseModel

from keyvault_csi import __version__
from keyvault_csi.package import args as typed_args
from keyvault_csi.package import generate
from keyvault_csi.rules.inputs import input_capable
from keyvault_csi.rules.model import is_model, type_in
from keyvault_csi.settings.model import Settings, validate_settings
from keyvault_csi.testing.mockgraph import Graph, evaluate
from tests.support import REFERENCE, ROOT, base_settings

TOKEN = "keyvault-csi:index:AksKeyVaultSecrets"
OUTPUTS = {"identityClientId", "principalIds", "secretProviderClasses", "pods", "serviceAccounts"}
# Settings keys the package leaves out on purpose (the generator's list, with the reason).
NOT_IN_PACKAGE = {(model.__name__, key) for model, key in generate.LEFT_OUT}


@functools.cache
def served() -> ComponentProvider:
    """The provider that provider/__main__.py hosts, run as the CLI runs it with the gRPC server left out."""
    hosted: list[ComponentProvider] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(host, "is_hosting", False)
        patch.setattr(host, "main", lambda provider, args: hosted.append(provider))
        runpy.run_path(str(ROOT / "provider"), run_name="__main__")
    (provider,) = hosted
    return provider


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(served().schema)


def type_hints(typed: type) -> dict[str, Any]:
    # pulumi.Input[str] keeps the forward reference "Output[T]" of pulumi's own alias.
    return typing.get_type_hints(typed, localns={"Output": pulumi.Output, "T": Any})


def typed_dict_of(ref: str) -> type:
    return getattr(typed_args, ref.rsplit(":", 1)[-1])


def refs(prop: dict[str, Any]) -> list[str]:
    # Pulumi's own types (pulumi.json#/Any: a Pod affinity, driver.values) are the schema's, not ours.
    found = [prop["$ref"]] if str(prop.get("$ref", "")).startswith("#/types/") else []
    for nested in ("items", "additionalProperties"):
        if nested in prop:
            found += refs(prop[nested])
    return found


def test_schema_lists_every_argument_with_its_description(schema: dict[str, Any]) -> None:
    resource = schema["resources"][TOKEN]
    assert resource["isComponent"] is True and resource["description"].startswith("Azure Key Vault secrets")
    inputs = resource["inputProperties"]
    assert set(inputs) == set(type_hints(typed_args.AksKeyVaultSecretsArgs))
    assert sorted(resource["requiredInputs"]) == sorted(typed_args.AksKeyVaultSecretsArgs.__required_keys__)
    for name, prop in inputs.items():
        assert prop.get("description"), f"input {name} has no description"
        # Plain: validated and shaping the graph before anything is declared; tenantId may be an Output.
        assert bool(prop.get("plain")) is (name != "tenantId"), name


def test_exactly_the_input_capable_keys_take_outputs_in_the_schema(schema: dict[str, Any]) -> None:
    """Every schema property that takes an Output is an ``InputOf`` field of the settings, and the reverse."""
    in_schema: set[str] = set()
    in_models: set[str] = set()

    def walk_schema(properties: dict[str, Any], path: str) -> None:
        for name, prop in properties.items():
            if not prop.get("plain") and "$ref" not in prop and prop.get("type") == "string":
                in_schema.add(f"{path}{name}")
            for ref in refs(prop):
                walk_schema(schema["types"][ref.removeprefix("#/types/")]["properties"], f"{path}{name}.")

    def walk_model(model: type[BaseModel], path: str) -> None:
        for attribute, field in model.model_fields.items():
            name = field.alias or attribute
            if (model.__name__, name) in NOT_IN_PACKAGE:
                continue
            if input_capable(field):
                in_models.add(f"{path}{name}")
            nested = type_in(field.annotation, is_model)
            if nested is not None:
                walk_model(nested, f"{path}{name}.")

    walk_schema(schema["resources"][TOKEN]["inputProperties"], "")
    walk_model(Settings, "")
    assert in_schema == in_models
    assert {"tenantId", "keyVault.name", "nodes.scaleSets.resourceGroup", "workloads.objects.objectName"} <= in_models
    assert not {"identity.type", "nodes.scaleSets.name", "workloads.name"} & in_schema


def test_every_nested_type_is_described_key_by_key(schema: dict[str, Any]) -> None:
    seen, todo = set(), [r for p in schema["resources"][TOKEN]["inputProperties"].values() for r in refs(p)]
    while todo:
        ref = todo.pop()
        token = ref.removeprefix("#/types/")
        if token in seen:
            continue
        seen.add(token)
        spec, source = schema["types"][token], typed_dict_of(token)
        assert spec.get("description"), f"type {token} has no description"
        assert set(spec["properties"]) == set(type_hints(source)), token
        assert sorted(spec.get("required", [])) == sorted(source.__required_keys__), token
        for name, prop in spec["properties"].items():
            assert prop.get("description"), f"{token}.{name} has no description"
            todo += refs(prop)
    assert seen == set(schema["types"]), "types in the schema that no argument reaches"
    assert {t.rsplit(":", 1)[-1] for t in seen} >= {
        "Workload",
        "VaultObject",
        "SecretObject",
        "EnvVar",
        "Identity",
        "KeyVault",
    }


def test_schema_lists_every_output_with_its_description(schema: dict[str, Any]) -> None:
    outputs = schema["resources"][TOKEN]["properties"]
    assert set(outputs) == OUTPUTS
    for name, prop in outputs.items():
        assert prop.get("description"), f"output {name} has no description"
    assert outputs["identityClientId"]["type"] == "string"
    assert outputs["principalIds"]["additionalProperties"]["type"] == "string"
    assert all(outputs[n]["items"]["type"] == "string" for n in ("secretProviderClasses", "pods", "serviceAccounts"))


def test_typed_arguments_match_the_config_models() -> None:
    """Every key the config accepts is a typed argument (and the reverse), required alike."""
    problems: list[str] = []

    def compare(model: type[BaseModel], typed: type, path: str) -> None:
        hints = type_hints(typed)
        for attribute, field in model.model_fields.items():
            name = field.alias or attribute  # the argument key (camelCase)
            if (model.__name__, name) in NOT_IN_PACKAGE:
                continue
            if name not in hints:
                problems.append(
                    f"{path}.{name}: accepted by {model.__name__} but missing from keyvault_csi/package/args.py {typed.__name__}"
                )
                continue
            if field.is_required() != (name in typed.__required_keys__):
                problems.append(
                    f"{path}.{name}: required in {model.__name__} is {field.is_required()}, in {typed.__name__} the opposite"
                )
            nested_model, nested_typed = type_in(field.annotation, is_model), type_in(hints[name], typing.is_typeddict)
            if (nested_model is None) != (nested_typed is None):
                problems.append(
                    f"{path}.{name}: {model.__name__} and {typed.__name__} disagree on whether it is an object"
                )
            elif nested_model and nested_typed:
                compare(nested_model, nested_typed, f"{path}.{name}")
        for name in set(hints) - {f.alias or n for n, f in model.model_fields.items()}:
            problems.append(
                f"{path}.{name}: in keyvault_csi/package/args.py {typed.__name__} but not accepted by {model.__name__}"
            )

    compare(Settings, typed_args.AksKeyVaultSecretsArgs, "args")
    assert not problems, "\n".join(problems)


def test_plugin_manifest_and_entry_point() -> None:
    manifest = yaml.safe_load((ROOT / "provider" / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert os.path.normpath(ROOT / "provider" / manifest["runtime"]["options"]["virtualenv"]) == str(ROOT / ".venv")
    # Run the entry point the way the language host does (its folder first on the path, another
    # working directory), with the host stubbed to report what it would serve.
    probe = (
        "import json, runpy, sys\n"
        "import pulumi.provider.experimental as experimental\n"
        "experimental.component_provider_host = lambda components, name, **kw: print(json.dumps("
        "[[c.__module__ + '.' + c.__name__ for c in components], name, kw]))\n"
        f"runpy.run_path({str(ROOT / 'provider')!r}, run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd="/", capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        ["keyvault_csi.package.component.AksKeyVaultSecrets"],
        "keyvault-csi",
        {"namespace": "keyvault-csi", "version": __version__},
    ]


def test_schema_is_a_valid_pulumi_package_in_our_namespace_at_the_project_version(schema: dict[str, Any]) -> None:
    """The CLI's metaschema (tests/reference/pulumi) accepts the served schema; the namespace names the SDKs."""
    metaschema = json.loads((REFERENCE / "pulumi" / "package-metaschema.json").read_text())
    ecma = RegexImplementation(RegexVariantName.default)  # its patterns are ECMA regexes (named groups)
    validator = jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        {"pattern": ecma.pattern_keyword, "patternProperties": ecma.patternProperties_keyword},
    )(metaschema)
    assert [error.message for error in validator.iter_errors(schema)] == []
    assert [error.message for error in validator.iter_errors({**schema, "namespace": "KeyVault_CSI"})] != []
    assert (schema["name"], schema["namespace"]) == ("keyvault-csi", "keyvault-csi")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert schema["version"] == __version__ == pyproject["version"]


def construct(inputs: dict[str, Any]) -> tuple[Graph, dict[str, Any]]:
    """``inputs`` through the provider's construct (schema-name mapping included) under the mock runtime."""
    provider = served()

    def program() -> None:
        result = provider.construct("app", TOKEN, inputs, pulumi.ResourceOptions())
        pulumi.export("state", result.state)

    graph = evaluate(program)
    return graph, graph.stack_outputs["state"]


def test_construct_declares_the_python_graph_under_the_package_component() -> None:
    inputs = base_settings("workload")
    inputs["workloads"][0]["objects"][0]["objectVersionHistory"] = 3.0  # numbers arrive as floats
    graph, state = construct(inputs)
    assert state == {
        "identityClientId": "<id-app.clientId>",
        "principalIds": {"identity": "<id-app.principalId>"},
        "secretProviderClasses": ["default/azure-kvname-nginx"],
        "pods": ["default/nginx-secrets-store-inline"],
        "serviceAccounts": ["default/nginx"],
    }
    (outer, inner) = graph.by_type(TOKEN)
    assert inner.parent == outer.urn
    children = {r.type for r in graph.resources if inner.urn in graph.ancestors(r) and r.custom}
    assert children >= {
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:managedidentity:FederatedIdentityCredential",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
        "kubernetes:core/v1:Pod",
    }
    (policy,) = graph.by_type("azure-native:keyvault:AccessPolicy")
    assert policy.inputs["policy"]["permissions"] == {"keys": ["get"], "secrets": ["get", "list"]}


def test_construct_refuses_outputs_and_bad_values_before_declaring_anything() -> None:
    inputs = base_settings("workload")
    inputs["identity"] = {**inputs["identity"], "type": pulumi.Output.from_input("workload")}
    errors: list[Exception] = []
    provider = served()

    def program() -> None:
        for bad in (inputs, {**base_settings("workload"), "tenantId": "contoso"}):
            try:
                provider.construct("app", TOKEN, bad, pulumi.ResourceOptions())
            except Exception as error:  # the provider wraps it as ComponentInitError
                errors.append(error)

    assert evaluate(program).resources == []
    assert "identity.type: must be a plain value, not an Output: it decides which resources" in str(errors[0])
    assert "tenantId: 'contoso' is not a tenant ID" in str(errors[1])


def test_yaml_example_uses_the_package_as_the_schema_describes(schema: dict[str, Any]) -> None:
    folder = ROOT / "examples" / "yaml"
    program = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    assert program["runtime"] == "yaml"
    assert (folder / program["packages"]["keyvault-csi"] / "PulumiPlugin.yaml").is_file()
    component = program["resources"]["secrets"]
    assert component["type"] == TOKEN and component["options"]["providers"] == ["${azure}", "${cluster}"]
    for name, expression in program["outputs"].items():
        assert expression == f"${{secrets.{name}}}" and name in schema["resources"][TOKEN]["properties"]
    stack = yaml.safe_load((folder / "Pulumi.dev.yaml").read_text())["config"]
    properties = json.loads(
        json.dumps(component["properties"]).replace("${tenantId}", stack[f"{program['name']}:tenantId"])
    )
    graph, state = construct(properties)
    assert state["serviceAccounts"] == ["shop/storefront"]
    (spc,) = graph.by_type("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert spc.inputs["spec"]["secretObjects"][0]["secretName"] == "storefront-db"


def typescript_arguments(source: str) -> dict[str, Any]:
    """The object literal given to ``new keyvaultCsi.AksKeyVaultSecrets(...)``, read as JSON."""
    start = source.index("new keyvaultCsi.AksKeyVaultSecrets(")
    body = source[source.index("{", start) :]
    depth = 0
    for end, char in enumerate(body):  # noqa: B007 (end is read after the loop)
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            break
    literal = re.sub(r"//[^\n]*", "", body[: end + 1])
    literal = literal.replace('config.require("tenantId")', '"00000000-0000-0000-0000-000000000000"')
    literal = re.sub(r"([{,]\s*)([A-Za-z_]\w*)\s*:", r'\1"\2":', literal)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", literal))


def test_typescript_example_uses_the_package_as_the_schema_describes(schema: dict[str, Any]) -> None:
    folder = ROOT / "examples" / "typescript"
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "nodejs"
    assert (folder / project["packages"]["keyvault-csi"] / "PulumiPlugin.yaml").is_file()
    # pulumi package add writes the SDK to sdks/<namespace>-<name> and names it @<namespace>/<name>.
    npm_name = f"@{schema['namespace']}/{schema['name']}"
    package = json.loads((folder / "package.json").read_text())
    assert package["dependencies"][npm_name] == f"file:sdks/{schema['namespace']}-{schema['name']}"
    source = (folder / "index.ts").read_text()
    assert f'import * as keyvaultCsi from "{npm_name}";' in source
    assert "{ providers: [azureProvider, k8sProvider] }" in source
    for output in re.findall(r"secrets\.(\w+);", source):
        assert output in schema["resources"][TOKEN]["properties"], output
    arguments = typescript_arguments(source)
    validate_settings(arguments)
    graph, state = construct(arguments)
    assert state["serviceAccounts"] == ["shop/storefront"]
    (spc,) = graph.by_type("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert [s["type"] for s in spc.inputs["spec"]["secretObjects"]] == ["Opaque", "kubernetes.io/tls"]


def test_construct_takes_an_output_for_a_key_that_names_a_cloud_object() -> None:
    """Another language passes the vault's name as an Output: the class carries it once resolved."""
    provider = served()

    def program() -> None:
        inputs = base_settings("workload")
        inputs["keyVault"] = {**inputs["keyVault"], "name": pulumi.Output.from_input("kv-other").apply(str)}
        inputs["workloads"][0]["secretProviderClass"] = "nginx-secrets"
        provider.construct("app", TOKEN, inputs, pulumi.ResourceOptions())

    (spc,) = evaluate(program).by_type("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert spc.inputs["spec"]["parameters"]["keyvaultName"] == "kv-other"


def test_checked_in_args_are_what_the_generator_writes_from_the_models() -> None:
    current = generate.TARGET.read_text()
    assert current == generate.render(), f"keyvault_csi/package/args.py is out of date; run: {generate.COMMAND}"
    assert current.startswith(f"# Generated by `{generate.COMMAND}`") and "do not edit" in current.splitlines()[0]
    assert generate.main(["--check"]) == 0


def test_generator_check_fails_on_a_stale_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    stale = tmp_path / "args.py"
    stale.write_text(generate.render().replace('"""Name of the object in Key Vault."""', '"""edited by hand"""'))
    monkeypatch.setattr(generate, "TARGET", stale)
    assert generate.main(["--check"]) == 1
    assert generate.COMMAND in capsys.readouterr().err
    assert generate.main([]) == 0 and stale.read_text() == generate.render()


def test_schema_descriptions_come_from_the_models_and_list_literal_values(schema: dict[str, Any]) -> None:
    from keyvault_csi.rules.objects import KeyVaultObject

    identity = schema["types"]["keyvault-csi:index:Identity"]["properties"]["type"]
    assert identity["type"] == "string"
    assert identity["description"].endswith("One of: userAssigned, systemAssigned, kubelet, workload, aksAddon.")
    vault_object = schema["types"]["keyvault-csi:index:VaultObject"]["properties"]
    assert vault_object["objectName"]["description"] == KeyVaultObject.model_fields["object_name"].description
    assert vault_object["objectVersionHistory"]["type"] == "integer"
    assert vault_object["objectFormat"]["description"].endswith("One of: pem, pfx.")
    pod = schema["types"]["keyvault-csi:index:WorkloadPod"]["properties"]
    assert "C:\\mnt\\secrets-store" in pod["mountPath"]["description"]
    assert pod["os"]["description"].endswith("One of: linux, windows.")
    # Any non-empty Secret type is passed through (rules.secret_sync): the description lists no values.
    secret_type = schema["types"]["keyvault-csi:index:SecretObject"]["properties"]["type"]
    assert secret_type["type"] == "string" and "One of:" not in secret_type["description"]


def test_generator_refuses_a_field_without_a_description() -> None:
    from keyvault_csi.rules.model import Strict

    class Undocumented(Strict):
        """A model with a key nobody described."""

        some_key: str

    with pytest.raises(ValueError, match="Undocumented.some_key has no docstring"):
        generate._typed_dict(Undocumented, [])


def test_component_arguments_reuse_the_generated_input_shapes() -> None:
    """Component-specific argument TypedDicts nest the one shape of each input, not a copy."""
    from keyvault_csi.azure.identity import ManagedIdentityArgs
    from keyvault_csi.azure.keyvault_access import KeyVaultAccessArgs
    from keyvault_csi.azure.workload_identity import WorkloadIdentityArgs
    from keyvault_csi.kubernetes.pod import SecretsStorePodArgs
    from keyvault_csi.node_identity.assignments import NodeArgs
    from keyvault_csi.rules.choices import IdentityType, PermissionModel
    from keyvault_csi.settings.model import IdentitySettings, KeyVaultSettings

    assert type_hints(ManagedIdentityArgs)["cluster"] is typed_args.AksCluster
    assert type_hints(WorkloadIdentityArgs)["cluster"] is typed_args.AksCluster
    shared: list[object] = [IdentityType, PermissionModel]  # the Literals of rules/choices.py
    assert [type_hints(ManagedIdentityArgs)["type"], IdentitySettings.model_fields["type"].annotation] == [
        shared[0]
    ] * 2
    assert [
        type_hints(KeyVaultAccessArgs)["permissionModel"],
        KeyVaultSettings.model_fields["permission_model"].annotation,
    ] == [shared[1]] * 2
    pod = type_hints(SecretsStorePodArgs)
    assert (pod["securityContext"], pod["resources"]) == (typed_args.PodSecurity, typed_args.PodResources)
    assert set(type_hints(NodeArgs)) == set(type_hints(typed_args.ComputeNode)) | {
        "kind",
        "clusterName",
    }
