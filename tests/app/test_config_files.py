"""host.json and local.settings.json.example: valid against SchemaStore's schemas, and as meant.

The schemas are copies of SchemaStore's (``https://json.schemastore.org/host.json`` and
``.../local.settings.json``) kept in ``tests/data/schemas`` (see ``tests/data/README.md``), so the
check needs no network and nothing outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from approval.domain import ApprovalSettings

from .conftest import APP_DIR

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def schema_errors(document: Any, schema_name: str) -> list[str]:
    schema = load(SCHEMAS / schema_name)
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


@pytest.fixture(scope="module")
def host_json() -> dict[str, Any]:
    return load(APP_DIR / "host.json")


@pytest.fixture(scope="module")
def local_settings() -> dict[str, Any]:
    return load(APP_DIR / "local.settings.json.example")


def test_host_json_is_valid_against_the_schema(host_json: dict[str, Any]) -> None:
    assert schema_errors(host_json, "host.json.schema.json") == []


def test_the_schema_check_catches_a_misspelt_setting(host_json: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(host_json))
    broken["extensions"]["durableTask"]["hubname"] = "typo"
    assert schema_errors(broken, "host.json.schema.json") != []


def test_host_json_uses_bundle_4_a_named_hub_python_concurrency_and_base64_queues(
    host_json: dict[str, Any],
) -> None:
    assert host_json["version"] == "2.0"
    assert host_json["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }
    durable = host_json["extensions"]["durableTask"]
    assert durable["hubName"] == "ApprovalHub"
    assert durable["maxConcurrentActivityFunctions"] <= 10
    assert durable["maxConcurrentOrchestratorFunctions"] <= 5
    assert host_json["extensions"]["queues"]["messageEncoding"] == "base64"
    assert "logLevel" in host_json["logging"]


def test_local_settings_example_is_valid_against_the_schema(
    local_settings: dict[str, Any],
) -> None:
    assert schema_errors(local_settings, "local.settings.json.schema.json") == []


def test_local_settings_example_targets_azurite_python_and_sets_the_workflow_defaults(
    local_settings: dict[str, Any],
) -> None:
    values = local_settings["Values"]
    assert local_settings["IsEncrypted"] is False
    assert values["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert all(isinstance(v, str) for v in values.values())
    # The example's workflow settings are usable as they are.
    settings = ApprovalSettings.from_environ(values)
    assert settings.escalate_to == values["ESCALATE_TO"]


def test_requirements_pin_only_the_two_azure_packages() -> None:
    lines = [
        line.split("#", 1)[0].strip()
        for line in (APP_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    ]
    assert [line for line in lines if line] == [
        "azure-functions==1.26.0",
        "azure-functions-durable==1.7.0",
    ]
