"""Loading an app the way the Python worker does, and refusing what the local host cannot run."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from durable_local.errors import AppLoadError, UnsupportedBindingError
from durable_local.services.loader import Registry, load_app

HEADER = """
import azure.functions as func
import azure.durable_functions as df
app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
"""


def _app(tmp_path: Path, body: str, *, host_json: str = '{"version": "2.0"}', settings: str | None = None) -> Path:
    (tmp_path / "function_app.py").write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    (tmp_path / "host.json").write_text(host_json, encoding="utf-8")
    if settings is not None:
        (tmp_path / "local.settings.json").write_text(settings, encoding="utf-8")
    return tmp_path


def test_indexes_orchestrators_activities_and_http_functions_with_their_bindings(tmp_path: Path) -> None:
    app_dir = _app(
        tmp_path,
        """
        @app.route(route="items/{id:int}", methods=["GET", "POST"])
        @app.durable_client_input(client_name="client")
        async def starter(req: func.HttpRequest, client) -> func.HttpResponse:
            return func.HttpResponse("ok")

        @app.orchestration_trigger(context_name="context", orchestration="Renamed")
        def orchestrator(context):
            yield context.call_activity("work", 1)

        @app.activity_trigger(input_name="payload")
        @app.queue_output(arg_name="msg", queue_name="out", connection="AzureWebJobsStorage")
        def work(payload, msg: func.Out[str]) -> int:
            return payload
        """,
        host_json='{"version": "2.0", "extensions": {"http": {"routePrefix": "v1"}, "durableTask": {"hubName": "Hub"}}}',
        settings='{"Values": {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}}',
    )
    with load_app(app_dir) as registry:
        _check_index(registry)


def _check_index(registry: Registry) -> None:
    assert list(registry.orchestrators) == ["Renamed"]
    assert registry.orchestrators["Renamed"].function_name == "orchestrator"
    work = registry.activities["work"]
    assert work.input_name == "payload"
    assert [(o.name, o.type, o.settings["queueName"]) for o in work.outputs] == [("msg", "queue", "out")]
    [http] = registry.http
    assert (http.route, http.methods, http.auth_level, http.client_name) == ("items/{id:int}", ("GET", "POST"), "function", "client")
    assert (registry.host.route_prefix, registry.host.hub_name) == ("v1", "Hub")


def test_entities_register_under_their_lowercased_entity_name_or_function_name(tmp_path: Path) -> None:
    # ext EntityTriggerAttributeBindingProvider: EntityName ?? FunctionName, matched ignoring case.
    app_dir = _app(
        tmp_path,
        """
        @app.entity_trigger(context_name="context")
        def Counter(context):
            context.set_state(1)

        @app.entity_trigger(context_name="context", entity_name="Account")
        def account_entity(context):
            context.set_state(2)
        """,
    )
    with load_app(app_dir) as registry:
        assert {name: f.function_name for name, f in registry.entities.items()} == {
            "counter": "Counter",
            "account": "account_entity",
        }


def test_an_entity_whose_context_is_not_named_context_is_refused_as_the_worker_refuses_it(tmp_path: Path) -> None:
    # The SDK registers Entity.create(fn).handle, whose only parameter is "context": the Python
    # worker's parameter check then finds the binding name nowhere in the signature.
    app_dir = _app(
        tmp_path,
        """
        @app.entity_trigger(context_name="ctx")
        def counter(ctx):
            ctx.set_state(1)
        """,
    )
    with pytest.raises(AppLoadError, match=r"cannot load the counter function: .* but not in Python: \{'ctx'\}"):
        load_app(app_dir)


def test_an_unsupported_trigger_is_a_startup_error_never_a_silent_skip(tmp_path: Path) -> None:
    app_dir = _app(
        tmp_path,
        """
        @app.service_bus_queue_trigger(arg_name="msg", queue_name="orders", connection="ServiceBus")
        def on_order(msg: func.ServiceBusMessage) -> None:
            pass
        """,
    )
    with pytest.raises(UnsupportedBindingError, match="'on_order' uses binding type 'serviceBusTrigger'"):
        load_app(app_dir)


def test_local_settings_values_become_environment_variables_unless_already_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALREADY_SET", "from-environment")
    monkeypatch.delenv("ONLY_IN_SETTINGS", raising=False)
    app_dir = _app(
        tmp_path,
        "",
        settings='{"IsEncrypted": false, "Values": {"ALREADY_SET": "from-file", "ONLY_IN_SETTINGS": "42"}}',
    )
    with load_app(app_dir):
        assert os.environ["ALREADY_SET"] == "from-environment"
        assert os.environ["ONLY_IN_SETTINGS"] == "42"
    # closing the app takes back what it exported, and only that
    assert "ONLY_IN_SETTINGS" not in os.environ
    assert os.environ["ALREADY_SET"] == "from-environment"


def test_a_malformed_host_json_is_reported_with_its_path(tmp_path: Path) -> None:
    app_dir = _app(tmp_path, "", host_json='{"version": "2.0"}{"version": "2.0"}')
    with pytest.raises(AppLoadError, match=r"host\.json is not valid JSON"):
        load_app(app_dir)


@pytest.mark.parametrize(
    ("host_json", "message"),
    [
        ('{"logging": {}}', "The host.json file is missing the required 'version' property. See https://aka.ms/functions-hostjson"),
        ('{"version": "4.0"}', "'4.0' is an invalid value for host.json 'version' property. We recommend you set the 'version' property to '2.0'. See"),
        ('{"version": "3.0"}', "This does not correspond to the function runtime version, only to the schema version of the host.json file."),
    ],
)
def test_a_host_json_without_version_2_is_refused_in_the_hosts_words(tmp_path: Path, host_json: str, message: str) -> None:
    app_dir = _app(tmp_path, "", host_json=host_json)
    with pytest.raises(AppLoadError) as caught:
        load_app(app_dir)
    assert message in str(caught.value)


def test_an_empty_host_json_is_taken_as_version_2(tmp_path: Path) -> None:
    # host HostJsonFileConfigurationSource: an empty configuration is replaced by {"version": "2.0"}.
    app_dir = _app(tmp_path, "import azure.durable_functions as df\napp = df.DFApp()\n", host_json="{}")
    with load_app(app_dir) as registry:
        assert registry.host.route_prefix == "api"


def test_an_import_error_in_the_app_names_the_script(tmp_path: Path) -> None:
    app_dir = _app(tmp_path, "import a_module_that_does_not_exist\n")
    with pytest.raises(AppLoadError, match=r"Importing .*function_app\.py failed: ModuleNotFoundError"):
        load_app(app_dir)


def test_a_directory_without_function_app_py_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AppLoadError, match=r"Did not find either 'function_app\.py' \(V2\) or 'function\.json' files \(V1\)"):
        load_app(tmp_path)
