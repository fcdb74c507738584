"""Start-up checks with the Python worker's, the host's and func start's wording."""

from __future__ import annotations

import asyncio
import json
import socket
import textwrap
from pathlib import Path

import pytest

from durable_local.errors import AppLoadError, FunctionLoadError, MissingSettingError
from durable_local.services.loader import load_app
from durable_local.testing import run_host
from tests.bindings.storage import closed_port_connection_string

HEADER = """
import azure.functions as func
import azure.durable_functions as df
app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
"""

STARTER = """
@app.route(route="start/{name}")
@app.durable_client_input(client_name="client")
async def starter(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["name"])
    return client.create_check_status_response(req, instance_id)

@app.orchestration_trigger(context_name="context")
def hello(context):
    return "hi"
"""


def write_app(root: Path, body: str, *, host_json: dict | None = None, script: str = "function_app.py") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / script).write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    (root / "host.json").write_text(json.dumps(host_json or {"version": "2.0"}), encoding="utf-8")
    return root


def test_a_parameter_without_a_binding_is_refused_with_the_workers_message(tmp_path: Path) -> None:
    app = write_app(
        tmp_path,
        """
        @app.route(route="start")
        async def starter(req: func.HttpRequest, client) -> func.HttpResponse:
            return func.HttpResponse("never")
        """,
    )
    with pytest.raises(FunctionLoadError) as caught:
        load_app(app)
    assert str(caught.value) == (
        "FunctionLoadError: cannot load the starter function: the following parameters are declared in Python "
        "but not in the function definition (function.json or function decorators):  {'client'}"
    )


def test_a_binding_without_a_parameter_is_refused_with_the_workers_message(tmp_path: Path) -> None:
    app = write_app(
        tmp_path,
        """
        @app.route(route="start")
        @app.durable_client_input(client_name="client")
        async def starter(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("never")
        """,
    )
    with pytest.raises(FunctionLoadError, match=r"the following parameters are declared in the function definition \(function\.json or function decorators\) but not in Python: \{'client'\}"):
        load_app(app)


def test_an_out_annotation_on_an_input_binding_is_refused(tmp_path: Path) -> None:
    app = write_app(
        tmp_path,
        """
        @app.route(route="read")
        @app.blob_input(arg_name="doc", path="docs/a.txt", connection="AzureWebJobsStorage")
        def read(req: func.HttpRequest, doc: func.Out[str]) -> func.HttpResponse:
            return func.HttpResponse("never")
        """,
    )
    (tmp_path / "local.settings.json").write_text('{"Values": {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}}')
    with pytest.raises(FunctionLoadError, match=r'binding doc is declared to have the "in" direction .* but its annotation is azure\.functions\.Out in Python'):
        load_app(app)


def test_a_v1_model_app_is_told_the_v1_model_is_not_supported(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    (tmp_path / "HttpStart").mkdir()
    (tmp_path / "HttpStart" / "function.json").write_text('{"bindings": []}')
    (tmp_path / "HttpStart" / "__init__.py").write_text("def main(req): pass\n")
    with pytest.raises(AppLoadError) as caught:
        load_app(tmp_path)
    message = str(caught.value)
    assert "Python v1-model app (function.json in HttpStart)" in message
    assert "runs only the v2 programming model" in message
    assert "A v2 app has a function_app.py at its root" in message


def test_python_script_file_name_selects_the_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_SCRIPT_FILE_NAME", "main.py")
    app = write_app(tmp_path, STARTER, script="main.py")
    with load_app(app) as registry:
        assert list(registry.orchestrators) == ["hello"]
        assert registry.module is not None and registry.module.__name__ == "main"


def test_a_missing_connection_setting_names_the_setting_and_the_azurite_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OrdersStorage", raising=False)
    app = write_app(
        tmp_path,
        """
        @app.queue_trigger(arg_name="msg", queue_name="orders", connection="OrdersStorage")
        def on_order(msg: func.QueueMessage) -> None:
            pass
        """,
    )
    with pytest.raises(MissingSettingError) as caught:
        load_app(app)
    message = str(caught.value)
    assert "uses the connection setting 'OrdersStorage', which is not set" in message
    assert '"OrdersStorage": "UseDevelopmentStorage=true"' in message
    assert "Storage account connection string 'AzureWebJobsOrdersStorage' does not exist." in message


def test_an_unknown_setting_in_a_queue_name_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    monkeypatch.delenv("ORDERS_QUEUE_NAME", raising=False)
    app = write_app(
        tmp_path,
        """
        @app.queue_trigger(arg_name="msg", queue_name="%ORDERS_QUEUE_NAME%", connection="AzureWebJobsStorage")
        def on_order(msg: func.QueueMessage) -> None:
            pass
        """,
    )
    with pytest.raises(MissingSettingError) as caught:
        load_app(app)
    message = str(caught.value)
    assert "The 'on_order' function is in error" in message
    assert "'%ORDERS_QUEUE_NAME%' does not resolve to a value." in message
    assert "Add ORDERS_QUEUE_NAME to local.settings.json Values" in message


def test_an_invalid_queue_name_is_refused_with_the_extensions_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    app = write_app(
        tmp_path,
        """
        @app.queue_trigger(arg_name="msg", queue_name="Orders--Incoming", connection="AzureWebJobsStorage")
        def on_order(msg: func.QueueMessage) -> None:
            pass
        """,
    )

    async def start() -> None:
        async with run_host(app):
            pass

    with pytest.raises(AppLoadError, match=r"A queue name cannot contain consecutive dash\(-\) characters\."):
        asyncio.run(start())


async def test_the_hub_name_setting_is_resolved_into_the_check_status_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKHUB_NAME", "OrdersHub")
    app = write_app(tmp_path, STARTER, host_json={"version": "2.0", "extensions": {"durableTask": {"hubName": "%TASKHUB_NAME%"}}})
    async with run_host(app) as host:
        response = await host.http.post(host.url("/api/start/hello"))
        body = await response.json()
        assert host.host.hub_name == "OrdersHub"
    assert response.status == 202
    assert "taskHub=OrdersHub&" in body["statusQueryGetUri"]
    assert "%25" not in json.dumps(body)


def test_an_unset_hub_name_setting_is_refused_with_the_setting_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKHUB_NAME", raising=False)
    app = write_app(tmp_path, STARTER, host_json={"version": "2.0", "extensions": {"durableTask": {"hubName": "%TASKHUB_NAME%"}}})
    with pytest.raises(MissingSettingError) as caught:
        load_app(app)
    assert "'%TASKHUB_NAME%' does not resolve to a value." in str(caught.value)
    assert "Task hub name '%TASKHUB_NAME%' should contain only alphanumeric characters" in str(caught.value)
    assert "Add TASKHUB_NAME to local.settings.json Values" in str(caught.value)
    assert "the Azure Storage provider rejects: the host does not start." in str(caught.value)
    assert "disable this function" not in str(caught.value)  # a hub name belongs to no function


async def test_another_storage_provider_is_accepted_with_a_one_line_notice(tmp_path: Path) -> None:
    provider = {"type": "azureManaged", "connectionStringName": "DURABLE_TASK_SCHEDULER_CONNECTION_STRING"}
    app = write_app(tmp_path, STARTER, host_json={"version": "2.0", "extensions": {"durableTask": {"storageProvider": provider}}})
    async with run_host(app, timer_settings=None) as host:
        notices = [n.message for n in host.host.notices]
        # the long-timer settings belong to the Azure Storage provider only
        assert host.host.dispatcher.options.timer_settings is False
    assert notices == [
        "host.json storageProvider 'azureManaged' accepted: the local host keeps orchestration state in its own "
        "SQLite file whatever the provider."
    ]


def test_an_unknown_storage_provider_is_refused_with_the_extensions_message(tmp_path: Path) -> None:
    app = write_app(tmp_path, STARTER, host_json={"version": "2.0", "extensions": {"durableTask": {"storageProvider": {"type": "Cosmos"}}}})
    with pytest.raises(AppLoadError, match=r"^Storage provider type \(Cosmos\) was not found\. Available storage providers: AzureStorage, mssql, Netherite, AzureManaged\."):
        load_app(app)


async def test_functions_run_in_the_apps_root_directory(tmp_path: Path) -> None:
    app = write_app(
        tmp_path / "app",
        """
        @app.route(route="motd")
        def motd(req: func.HttpRequest) -> func.HttpResponse:
            with open("data/motd.txt", encoding="utf-8") as source:
                return func.HttpResponse(source.read())
        """,
    )
    (app / "data").mkdir()
    (app / "data" / "motd.txt").write_text("read relative to the app root")
    async with run_host(app) as host:
        response = await host.http.get(host.url("/api/motd"))
        assert (response.status, await response.text()) == (200, "read relative to the app root")
    assert Path.cwd() != app  # restored when the app closed


async def test_unreachable_storage_is_a_start_up_warning_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OutboxStorage", closed_port_connection_string())
    app = write_app(
        tmp_path,
        """
        @app.route(route="send")
        @app.queue_output(arg_name="msg", queue_name="outbox", connection="OutboxStorage")
        def send(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
            msg.set("hello")
            return func.HttpResponse("sent")
        """,
    )
    async with run_host(app) as host:
        [warning] = host.host.notices
    assert warning.level == "warning"
    assert warning.message.startswith("Storage for 'OutboxStorage' is not reachable at http://127.0.0.1:")
    assert "start Azurite (e.g. `npx azurite`)" in warning.message
    assert "make run" not in warning.message  # any app's host, not this repository's Makefile


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def test_output_bindings_retry_while_storage_comes_up(azurite: str, caplog: pytest.LogCaptureFixture) -> None:
    """The queue endpoint is closed at first; a proxy to Azurite opens there after the first failure."""
    import logging
    import re
    import uuid

    from azure.storage.queue import QueueClient

    from durable_local.services.bindings import OutputBindings
    from durable_local.services.loader import OutputBinding
    from tests.faults.conditions import wait_until

    azurite_port = int(re.search(r"QueueEndpoint=http://127\.0\.0\.1:(\d+)/", azurite)[1])
    port = _free_port()
    late = re.sub(r"(QueueEndpoint=http://127\.0\.0\.1:)\d+/", rf"\g<1>{port}/", azurite)
    queue = f"late-{uuid.uuid4().hex[:10]}"
    binding = OutputBinding("msg", "queue", {"type": "queue", "name": "msg", "queueName": queue, "connection": "Late"})
    bindings = OutputBindings(environ={"Late": late}, retry_for_s=30, retry_max_delay_s=0.2)

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", azurite_port)
        await asyncio.gather(_forward(reader, upstream_writer), _forward(upstream_reader, writer))

    with caplog.at_level(logging.WARNING, logger="durable_local.services.bindings.outputs"):
        write = asyncio.create_task(bindings.flush((binding,), {"msg": "written once storage was up"}))
        await wait_until(lambda: "retrying in" in caplog.text, timeout=15, what="the first failed attempt")
        server = await asyncio.start_server(proxy, "127.0.0.1", port)
        try:
            await asyncio.wait_for(write, timeout=20)
        finally:
            server.close()
            await server.wait_closed()
    messages = QueueClient.from_connection_string(azurite, queue).receive_messages()
    assert [m.content for m in messages] == ["d3JpdHRlbiBvbmNlIHN0b3JhZ2Ugd2FzIHVw"]  # base64 of the text


def test_a_folder_without_host_json_or_local_settings_is_refused_with_core_tools_message(tmp_path: Path) -> None:
    app = write_app(tmp_path, STARTER)
    (app / "host.json").unlink()
    with pytest.raises(AppLoadError) as caught:
        load_app(app)
    assert str(caught.value).startswith(
        "Unable to find project root. Expecting to find one of host.json, local.settings.json in project root."
    )


def test_an_app_without_host_json_is_refused_because_azure_would_run_it_without_the_bundle(tmp_path: Path) -> None:
    app = write_app(tmp_path, STARTER)
    (app / "host.json").unlink()
    (app / "local.settings.json").write_text('{"Values": {}}')
    with pytest.raises(AppLoadError) as caught:
        load_app(app)
    message = str(caught.value)
    assert message.startswith(f"No host.json in {app}. func start would write a default one there")
    assert '"extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle"' in message
    assert not (app / "host.json").exists()  # nothing written into the app


def test_an_input_binding_on_an_activity_is_refused_with_the_trigger_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    app = write_app(
        tmp_path,
        """
        @app.activity_trigger(input_name="name")
        @app.blob_input(arg_name="doc", path="docs/a.txt", connection="AzureWebJobsStorage")
        def greet(name: str, doc: str) -> str:
            return name
        """,
    )
    with pytest.raises(AppLoadError, match=r"not on an activityTrigger\.$"):
        load_app(app)
