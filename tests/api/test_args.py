"""The multi-language package: the schema Pulumi's analyzer builds, the plugin entry point, and the
YAML and TypeScript consumers, each run through the provider's own construct path (mock runtime)."""

from __future__ import annotations

import json
import os
import re
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
from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from keyvault_csi import __version__
from keyvault_csi.api import args as typed_args
from keyvault_csi.component import TYPE as TOKEN
from keyvault_csi.model.settings import KeyVaultSettings, Settings
from keyvault_csi.model.validate import validate_settings
from keyvault_csi.rules.inputs import input_capable
from keyvault_csi.rules.model import is_model, type_in
from keyvault_csi.rules.workload_identity import POD_LABELS
from keyvault_csi.testing.mockgraph import evaluate
from tests.support import REFERENCE, ROOT, base_settings, construct, served
from tools import generate_args as generate

PACKAGE = TOKEN.split(":", 1)[0]
OUTPUTS = {
    "identityClientId",
    "identityResourceId",
    "principalIds",
    "namespaces",
    "secretProviderClasses",
    "pods",
    "deployments",
    "serviceAccounts",
    "podLabels",
    "volumes",
    "volumeMounts",
    "nodePlacement",
    "rolloutAnnotations",
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(served().schema)


def type_hints(typed: type) -> dict[str, Any]:
    # pulumi.Input[str] keeps the forward reference "Output[T]" of pulumi's own alias.
    return typing.get_type_hints(typed, localns={"Output": pulumi.Output, "T": Any})


def schema_keys(typed: type) -> set[str]:
    """The keys of a TypedDict as the analyzer writes them into the schema (camelCase)."""
    return {to_camel(name) for name in type_hints(typed)}


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
    assert "\n" not in resource["description"]  # AksKeyVaultSecrets.__doc__: adjacent literals, no line breaks
    inputs = resource["inputProperties"]
    assert (
        set(inputs)
        == schema_keys(typed_args.AksKeyVaultSecretsArgs)
        == {f.alias for f in Settings.model_fields.values()}
    )
    assert sorted(resource["requiredInputs"]) == sorted(
        to_camel(k) for k in typed_args.AksKeyVaultSecretsArgs.__required_keys__
    )
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
                nested = schema["types"][ref.removeprefix("#/types/")]
                walk_schema(nested.get("properties", {}), f"{path}{name}.")  # an enum has none

    def walk_model(model: type[BaseModel], path: str) -> None:
        for attribute, field in model.model_fields.items():
            name = field.alias or attribute
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
        if "enum" in spec:
            continue
        assert set(spec["properties"]) == schema_keys(source), token
        assert sorted(spec.get("required", [])) == sorted(to_camel(k) for k in source.__required_keys__), token
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
    assert outputs["identityClientId"]["type"] == outputs["identityResourceId"]["type"] == "string"
    for name in ("principalIds", "namespaces", "pods", "deployments", "serviceAccounts"):
        assert outputs[name]["additionalProperties"]["type"] == "string", name
    assert outputs["secretProviderClasses"]["additionalProperties"]["items"]["type"] == "string"
    assert outputs["podLabels"]["additionalProperties"]["additionalProperties"]["type"] == "string"
    assert outputs["rolloutAnnotations"]["additionalProperties"]["additionalProperties"]["type"] == "string"
    for name in ("volumes", "volumeMounts"):
        assert outputs[name]["additionalProperties"]["items"]["$ref"] == "pulumi.json#/Any", name


def test_typed_arguments_match_the_config_models() -> None:
    """Every key the config accepts is a typed argument (and the reverse), required alike."""
    problems: list[str] = []

    def compare(model: type[BaseModel], typed: type, path: str) -> None:
        hints = type_hints(typed)
        for name, field in model.model_fields.items():
            if name not in hints:
                problems.append(
                    f"{path}.{name}: accepted by {model.__name__} "
                    f"but missing from keyvault_csi/api/args.py {typed.__name__}"
                )
                continue
            if field.is_required() != (name in typed.__required_keys__):
                problems.append(
                    f"{path}.{name}: required in {model.__name__} is {field.is_required()}, "
                    f"in {typed.__name__} the opposite"
                )
            nested_model, nested_typed = type_in(field.annotation, is_model), type_in(hints[name], typing.is_typeddict)
            if (nested_model is None) != (nested_typed is None):
                problems.append(
                    f"{path}.{name}: {model.__name__} and {typed.__name__} disagree on whether it is an object"
                )
            elif nested_model and nested_typed:
                compare(nested_model, nested_typed, f"{path}.{name}")
        for name in set(hints) - set(model.model_fields):
            problems.append(
                f"{path}.{name}: in keyvault_csi/api/args.py {typed.__name__} but not accepted by {model.__name__}"
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
        ["keyvault_csi.component.aks_key_vault_secrets.AksKeyVaultSecrets"],
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


def test_construct_declares_the_python_graph_under_the_package_component() -> None:
    inputs = base_settings("workload")
    inputs["workloads"][0]["objects"][0]["objectVersionHistory"] = 3.0  # numbers arrive as floats
    graph, state = construct(inputs)
    assert {key: state[key] for key in ("identityClientId", "principalIds", "secretProviderClasses", "pods")} == {
        "identityClientId": "<id-app.clientId>",
        "principalIds": {"identity": "<id-app.principalId>"},
        "secretProviderClasses": {"nginx": ["azure-kvname-nginx"]},
        "pods": {"nginx": "nginx-secrets-store-inline"},
    }
    assert (state["serviceAccounts"], state["podLabels"]) == ({"nginx": "nginx"}, {"nginx": POD_LABELS})
    assert state["volumes"]["nginx"][0]["csi"]["volumeAttributes"] == {"secretProviderClass": "azure-kvname-nginx"}
    (component,) = graph.by_type(TOKEN)  # one component, one type token
    children = {r.type for r in graph.resources if component.urn in graph.ancestors(r) and r.custom}
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
    computed_namespace = base_settings("workload")
    computed_namespace["workloads"][0]["namespace"] = pulumi.Output.from_input("shop")
    computed_type = base_settings("workload")
    computed_type["identity"] = {**computed_type["identity"], "type": pulumi.Output.from_input("workload")}
    errors: list[Exception] = []
    provider = served()

    def program() -> None:
        for bad in (computed_namespace, {**base_settings("workload"), "tenantId": "contoso"}, computed_type):
            try:
                provider.construct("app", TOKEN, bad, pulumi.ResourceOptions())
            except Exception as error:  # the provider wraps it as ComponentInitError
                errors.append(error)

    assert evaluate(program).resources == []
    assert "workloads[0].namespace: must be a plain value, not an Output: it names Kubernetes objects" in str(errors[0])
    assert "tenant_id: 'contoso' is not a tenant ID" in str(errors[1])  # the host hands over Python's names
    # An enum is a plain value in the schema: the provider host refuses an Output for it before we run.
    assert "identity.type" in str(errors[2]) and "for enum \\'IdentityType\\'" in str(errors[2])


def test_the_plugin_names_keys_as_other_languages_write_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin process serves other languages: messages use the schema's camelCase keys."""

    monkeypatch.setattr(host, "is_hosting", True)
    errors: list[Exception] = []
    provider = served()

    def program() -> None:
        try:
            provider.construct(
                "app", TOKEN, {**base_settings("workload"), "tenantId": "contoso"}, pulumi.ResourceOptions()
            )
        except Exception as error:  # the provider wraps it as ComponentInitError
            errors.append(error)

    evaluate(program)
    assert "  - tenantId: 'contoso' is not a tenant ID" in str(errors[0])


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
    assert state["serviceAccounts"] == {"storefront": "storefront"}
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
    assert state["serviceAccounts"] == {"storefront": "storefront"}
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
    assert current == generate.render(), f"keyvault_csi/api/args.py is out of date; run: {generate.COMMAND}"
    assert current.startswith(f"# Generated by `{generate.COMMAND}`") and "do not edit" in current.splitlines()[0]
    assert generate.main(["--check"]) == 0


def test_generator_check_fails_on_a_stale_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    stale = tmp_path / "args.py"
    stale.write_text(generate.render().replace('"""Name of the object in Key Vault."""', '"""edited by hand"""'))
    monkeypatch.setattr(generate, "TARGET", stale)
    assert generate.main(["--check"]) == 1
    assert generate.COMMAND in capsys.readouterr().err
    assert generate.main([]) == 0 and stale.read_text() == generate.render()


def test_schema_descriptions_come_from_the_models_and_allowed_values_are_enums(schema: dict[str, Any]) -> None:
    from keyvault_csi.rules.choices import IdentityType, NodeOS
    from keyvault_csi.rules.objects import KeyVaultObject

    identity = schema["types"]["keyvault-csi:index:Identity"]["properties"]["type"]
    assert identity["$ref"] == "#/types/keyvault-csi:index:IdentityType"
    enum = schema["types"]["keyvault-csi:index:IdentityType"]
    assert [member["value"] for member in enum["enum"]] == list(IdentityType)
    assert all(member["description"] for member in enum["enum"])
    vault_object = schema["types"]["keyvault-csi:index:VaultObject"]["properties"]
    assert vault_object["objectName"]["description"] == KeyVaultObject.model_fields["object_name"].description
    # Too long for one line of args.py, so adjacent literals there: the schema still gets the model's text as it is.
    key_vault = schema["types"]["keyvault-csi:index:KeyVault"]["properties"]
    assert key_vault["subscriptionId"]["description"] == KeyVaultSettings.model_fields["subscription_id"].description
    assert vault_object["objectVersionHistory"]["type"] == "integer"
    pod = schema["types"]["keyvault-csi:index:WorkloadPod"]["properties"]
    assert "C:\\mnt\\secrets-store" in pod["mountPath"]["description"]
    assert pod["os"]["$ref"] == "#/types/keyvault-csi:index:NodeOS"
    assert [m["value"] for m in schema["types"]["keyvault-csi:index:NodeOS"]["enum"]] == list(NodeOS)
    # Any non-empty Secret type is passed through (rules.secret_sync): a plain string.
    secret_type = schema["types"]["keyvault-csi:index:SecretObject"]["properties"]["type"]
    assert secret_type["type"] == "string" and "$ref" not in secret_type


def test_generator_refuses_a_field_without_a_description(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KeyVaultSettings.model_fields["name"], "description", "")
    with pytest.raises(ValueError, match="KeyVaultSettings.name has no docstring"):
        generate.render()


def test_typed_dicts_of_inputs_are_only_the_generated_ones() -> None:
    """One shape per input: components take the validated models, never a TypedDict copy of them."""
    import importlib
    import pkgutil

    import keyvault_csi

    allowed = {
        "keyvault_csi.api.args",  # the public boundary, generated from the models
        "keyvault_csi.azure.keeping",  # resource options, not an input
        "keyvault_csi.node_identity.resource",  # the dynamic resource's own inputs (Pulumi property names)
    }
    found = set()
    for module in pkgutil.walk_packages(keyvault_csi.__path__, "keyvault_csi."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        for value in vars(loaded).values():
            if typing.is_typeddict(value) and value.__module__ == module.name:
                found.add(module.name)
    assert found <= allowed, found - allowed


def test_construct_keeps_map_keys_and_names_what_each_workloads_volumes_wait_for() -> None:
    """Another language gets a volume spec for its own workload, with the resources its mount needs.

    The provider answers Construct with the outputs and, per output, the URNs it depends on (the
    same ``serialize_properties`` the provider server runs), and only after every child exists.
    """
    inputs = base_settings("workload")
    (workload,) = inputs["workloads"]
    workload.pop("pod")  # the user's own StatefulSet, Job or chart mounts the class
    inputs["workloads"].append(
        {
            "name": "web",
            "objects": [{"objectName": "secret1", "objectType": "secret"}],
            "deployment": {
                "labels": {"teamName": "a"},
                "annotations": {"fooBar/bazQux": "x"},
                # Numbers cross the wire as floats; Kubernetes wants integers.
                "tolerations": [{"key": "k", "effect": "NoExecute", "tolerationSeconds": 30.0}],
                "ports": [{"containerPort": 8080.0, "name": "http"}],
            },
        }
    )
    provider = served()

    def program() -> None:
        result = provider.construct("app", TOKEN, inputs, pulumi.ResourceOptions())
        dependencies: dict[str, list[pulumi.Resource]] = {}

        async def urns() -> dict[str, list[str]]:
            await pulumi.runtime.rpc.serialize_properties(result.state, dependencies)
            return {key: sorted([await r.urn.future() for r in found]) for key, found in dependencies.items()}

        pulumi.export("state", result.state)
        pulumi.export("dependencies", pulumi.Output.from_input(urns()))

    graph = evaluate(program)
    state, waits = graph.stack_outputs["state"], graph.stack_outputs["dependencies"]
    assert state["pods"] == {} and state["deployments"] == {"web": "web"}
    assert state["volumes"]["nginx"][0]["csi"]["volumeAttributes"] == {"secretProviderClass": "azure-kvname-nginx"}
    assert state["volumeMounts"]["nginx"] == [
        {"name": "secrets-store-inline", "mountPath": "/mnt/secrets-store", "readOnly": True}
    ]
    assert (state["serviceAccounts"]["nginx"], state["podLabels"]["nginx"]) == ("nginx", POD_LABELS)
    needed = {
        r.urn
        for r in graph.resources
        # The class, the Key Vault grants, the ServiceAccount and its federated credential.
        if r.name in ("app-default-azure-kvname-nginx", "app-access", "app-workload-identity-default_nginx")
    }
    assert len(needed) == 4 and needed <= set(waits["volumes"])
    # Map keys are the user's, never respelt: labels and annotations arrive as written.
    (deployment,) = graph.by_type("kubernetes:apps/v1:Deployment")
    assert deployment.inputs["metadata"]["labels"]["teamName"] == "a"
    assert deployment.inputs["spec"]["template"]["metadata"]["annotations"]["fooBar/bazQux"] == "x"
    spec = validate_settings(inputs).workloads[1].deployment
    assert spec is not None and spec.tolerations[0].toleration_seconds == 30 and spec.ports[0].container_port == 8080
