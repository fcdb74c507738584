"""Connection settings: one lookup, the storage extensions', at start-up and at run time."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from azure.storage.queue import QueueClient

from durable_local.errors import AppLoadError, BindingError, MissingSettingError
from durable_local.services.bindings import resolve_connection_string
from durable_local.services.loader import load_app
from durable_local.services.loader.checks import check_connection
from durable_local.services.loader.settings import AppSettings
from durable_local.testing import run_host
from tests.triggers.test_startup_checks import write_app

QUEUE_OUTPUT = {"type": "queue", "name": "msg", "direction": "out", "queueName": "q", "connection": "OrdersConn"}

SENDER = """
@app.route(route="send")
@app.queue_output(arg_name="msg", queue_name="%OUT_QUEUE%", connection="OrdersConn")
def send(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    msg.set("hello")
    return func.HttpResponse("sent")
"""

QUEUE_TRIGGER = """
@app.queue_trigger(arg_name="msg", queue_name="orders", connection="{connection}")
def on_order(msg: func.QueueMessage) -> None:
    pass
"""


async def test_a_setting_named_in_another_case_is_found_at_start_up_and_when_the_output_writes(
    azurite: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = f"conn-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("ORDERSCONN", azurite)  # .NET configuration keys are case-insensitive
    monkeypatch.setenv("OUT_QUEUE", queue)
    app = write_app(tmp_path, SENDER)
    async with run_host(app) as host:
        async with host.http.get(host.url("/api/send")) as response:
            assert (response.status, await response.text()) == (200, "sent")
    [message] = QueueClient.from_connection_string(azurite, queue).receive_messages()
    assert message.content == "aGVsbG8="


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({"AzureWebJobsOrdersConn": "AccountName=prefixed", "OrdersConn": "AccountName=plain"}, "AccountName=prefixed", id="prefixed-first"),
        pytest.param({"ConnectionStrings:OrdersConn": "AccountName=section", "OrdersConn": "AccountName=root"}, "AccountName=section", id="connection-strings-first"),
        pytest.param({"ConnectionStrings__AzureWebJobsOrdersConn": "AccountName=both", "AzureWebJobsOrdersConn": "AccountName=x"}, "AccountName=both", id="double-underscore-section"),
        pytest.param({"ordersconn": "AccountName=lower"}, "AccountName=lower", id="any-case"),
    ],
)
def test_the_connection_lookup_follows_the_webjobs_order_at_start_up_and_run_time(
    environ: dict[str, str], expected: str
) -> None:
    check_connection(AppSettings(environ), "send", QUEUE_OUTPUT)  # no refusal
    assert resolve_connection_string("OrdersConn", environ) == expected


def test_an_identity_based_connection_is_refused_at_start_up_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("Ident__queueServiceUri", "https://account.queue.core.windows.net")
    app = write_app(tmp_path, QUEUE_TRIGGER.format(connection="Ident"))
    with pytest.raises(AppLoadError) as caught:
        load_app(app)
    assert not isinstance(caught.value, MissingSettingError)
    message = str(caught.value)
    assert message.startswith("Function 'on_order': binding 'msg' (queueTrigger): Connection 'Ident'")
    assert "identity-based connections are not supported by the local host" in message
    with pytest.raises(BindingError, match="identity-based connections are not supported"):
        resolve_connection_string("Ident", {"IDENT__queueServiceUri": "https://account.queue.core.windows.net"})


def test_an_empty_connection_setting_is_refused_at_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EmptyConn", "")
    app = write_app(tmp_path, QUEUE_TRIGGER.format(connection="EmptyConn"))
    with pytest.raises(MissingSettingError, match="uses the connection setting 'EmptyConn', which is empty"):
        load_app(app)


async def test_local_settings_connection_strings_are_a_connection_source_as_under_func_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.delenv("Orders", raising=False)
    app = write_app(tmp_path, QUEUE_TRIGGER.format(connection="Orders"))
    (tmp_path / "local.settings.json").write_text(
        json.dumps({"Values": {}, "ConnectionStrings": {"Orders": {"ConnectionString": "UseDevelopmentStorage=true", "ProviderName": "x"}}})
    )
    with load_app(app) as registry:
        assert registry.triggered[0].name == "on_order"
        assert os.environ["ConnectionStrings:Orders"] == "UseDevelopmentStorage=true"
    assert "ConnectionStrings:Orders" not in os.environ  # unloaded with the app


async def test_a_connection_setting_gone_after_loading_refuses_start_up_with_app_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LateConn", "UseDevelopmentStorage=true")
    app = write_app(tmp_path, QUEUE_TRIGGER.format(connection="LateConn"))
    with load_app(app) as registry:
        monkeypatch.delenv("LateConn")
        with pytest.raises(AppLoadError, match="Function 'on_order': App setting 'LateConn' is not set"):
            async with run_host(app, registry=registry):
                pass
