"""Queue and table output bindings: what is written, where, and how failures surface."""

from __future__ import annotations

import base64
import json
import uuid

import azure.functions as func
import pytest

from durable_local.errors import BindingError
from durable_local.services.bindings import (
    DEVELOPMENT_CONNECTION_STRING,
    OutputBindings,
    prepare_outputs,
    queue_messages,
    resolve_connection_string,
    set_values,
    table_entities,
)
from durable_local.services.loader import OutputBinding
from tests.bindings.storage import closed_port_connection_string


def queue_binding(queue: str = "outbox", connection: str | None = "QueueConnection") -> OutputBinding:
    settings = {"type": "queue", "name": "msg", "queueName": queue}
    if connection:
        settings["connection"] = connection
    return OutputBinding("msg", "queue", settings)


def table_binding(table: str = "Results", **extra: str) -> OutputBinding:
    return OutputBinding("row", "table", {"type": "table", "name": "row", "tableName": table, **extra})


def test_queue_messages_are_base64_like_the_functions_binding():
    assert queue_messages("héllo") == [base64.b64encode("héllo".encode()).decode()]
    assert queue_messages(b"\x00\x01") == ["AAE="]


def test_a_list_value_is_one_message_per_item():
    assert [base64.b64decode(m).decode() for m in queue_messages(["a", "b", b"c"])] == ["a", "b", "c"]


def test_a_queue_message_object_sends_its_body():
    message = func.QueueMessage(body=b'{"k": 1}')
    assert base64.b64decode(queue_messages(message)[0]) == b'{"k": 1}'


def test_unsupported_queue_values_name_the_type():
    with pytest.raises(TypeError, match="not dict"):
        queue_messages({"k": 1})


def test_table_entities_take_keys_from_the_value_or_the_binding():
    binding = table_binding(partitionKey="p")
    assert table_entities('{"RowKey": "r", "v": 1}', binding) == [{"RowKey": "r", "v": 1, "PartitionKey": "p"}]
    rows = table_entities([{"PartitionKey": 1, "RowKey": 2}], binding)
    assert rows == [{"PartitionKey": "1", "RowKey": "2"}]
    with pytest.raises(TypeError, match="RowKey"):
        table_entities({"v": 1}, binding)


def test_connection_setting_lookup_and_development_storage():
    env = {"QueueConnection": "UseDevelopmentStorage=true", "AzureWebJobsOther": "AccountName=x;AccountKey=y"}
    assert resolve_connection_string("QueueConnection", env) == DEVELOPMENT_CONNECTION_STRING
    assert resolve_connection_string("Other", env) == "AccountName=x;AccountKey=y"
    with pytest.raises(BindingError, match="App setting 'Missing' is not set"):
        resolve_connection_string("Missing", env)


async def test_nothing_is_written_when_the_out_was_never_set():
    bindings = OutputBindings(environ={})
    outs = prepare_outputs((queue_binding(),))
    await bindings.flush((queue_binding(),), set_values(outs))  # no setting needed: nothing to write


async def test_missing_setting_fails_the_invocation_with_binding_error():
    bindings = OutputBindings(environ={})
    binding = queue_binding()
    with pytest.raises(
        BindingError, match=r"Output binding 'msg' \(queue 'outbox', connection setting 'QueueConnection'\)"
    ):
        await bindings.flush((binding,), {"msg": "x"})


@pytest.mark.parametrize("binding", [queue_binding(), table_binding(partitionKey="p", rowKey="r")])
# A hang guard, not a speed measurement: with the Storage SDK's default retry policy this call
# keeps retrying for minutes; the bindings' short policy must make it give up instead.
@pytest.mark.timeout(15)
async def test_unreachable_storage_fails_fast_with_a_clear_binding_error_when_told_not_to_wait(binding):
    connection_string = closed_port_connection_string()
    setting = binding.settings.get("connection") or "AzureWebJobsStorage"
    bindings = OutputBindings(environ={setting: connection_string}, retry_for_s=0)
    with pytest.raises(BindingError) as caught:
        await bindings.flush((binding,), {binding.name: '{"v": 1}'})
    message = str(caught.value)
    assert f"Output binding '{binding.name}'" in message
    assert f"connection setting '{setting}'" in message
    assert "could not write to http://127.0.0.1:" in message
    assert "AccountKey" not in message and "Eby8vdM02" not in message


async def test_queue_output_writes_base64_messages_to_azurite(azurite):
    from azure.storage.queue import QueueClient, TextBase64DecodePolicy

    queue = f"out-{uuid.uuid4().hex[:12]}"
    binding = queue_binding(queue, connection=None)  # default: AzureWebJobsStorage, set by the fixture
    bindings = OutputBindings()
    await bindings.flush((binding,), {"msg": ["first", json.dumps({"second": 2})]})

    raw = QueueClient.from_connection_string(azurite, queue)
    texts = [m.content for m in raw.receive_messages(messages_per_page=10)]
    assert texts == [base64.b64encode(b"first").decode(), base64.b64encode(b'{"second": 2}').decode()]
    decoded = QueueClient.from_connection_string(azurite, queue, message_decode_policy=TextBase64DecodePolicy())
    assert decoded.get_queue_properties().approximate_message_count == 2


async def test_table_output_upserts_entities_in_azurite(azurite):
    from azure.data.tables import TableClient

    table = f"out{uuid.uuid4().hex[:12]}"
    binding = table_binding(table, partitionKey="approvals")
    bindings = OutputBindings()
    await bindings.flush((binding,), {"row": json.dumps([{"RowKey": "r1", "state": "new"}, {"RowKey": "r2", "state": "new"}])})
    await bindings.flush((binding,), {"row": json.dumps({"RowKey": "r1", "state": "approved"})})

    client = TableClient.from_connection_string(azurite, table_name=table)
    rows = {e["RowKey"]: e["state"] for e in client.list_entities()}
    assert rows == {"r1": "approved", "r2": "new"}


async def test_stopping_the_host_ends_a_storage_retry_at_once_with_a_binding_error(caplog: pytest.LogCaptureFixture) -> None:
    import asyncio
    import logging

    from tests.faults.conditions import wait_until

    binding = queue_binding("outbox", connection="Down")
    bindings = OutputBindings(environ={"Down": closed_port_connection_string()}, retry_for_s=300, retry_max_delay_s=60)
    with caplog.at_level(logging.WARNING, logger="durable_local.services.bindings.outputs"):
        write = asyncio.create_task(bindings.flush((binding,), {"msg": "x"}))
        await wait_until(lambda: "retrying in" in caplog.text, timeout=15, what="the first failed attempt")
        bindings.stop_retrying()
        with pytest.raises(BindingError, match=r"could not write to .*\(not retried: the host is stopping\)$"):
            await asyncio.wait_for(write, timeout=10)  # a hang guard: the retry window is 300 s
        # later writes are not retried either, until a host starts with these bindings again
        with pytest.raises(BindingError, match="not retried: the host is stopping"):
            await asyncio.wait_for(bindings.flush((binding,), {"msg": "y"}), timeout=10)


async def test_an_http_function_waiting_for_storage_does_not_hold_up_the_hosts_shutdown(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio
    import logging

    import aiohttp

    from durable_local.testing import run_host
    from tests.faults.conditions import wait_until
    from tests.triggers.test_startup_checks import write_app

    monkeypatch.setenv("DownStorage", closed_port_connection_string())
    app = write_app(tmp_path, """
        @app.route(route="send")
        @app.queue_output(arg_name="msg", queue_name="outbox", connection="DownStorage")
        def send(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
            msg.set("hello")
            return func.HttpResponse("sent")
        """)
    bindings = OutputBindings(retry_for_s=300, retry_max_delay_s=60)
    with caplog.at_level(logging.WARNING):
        async with aiohttp.ClientSession() as session:
            async with run_host(app, bindings=bindings) as host:
                request = asyncio.create_task(session.get(host.url("/api/send")))
                await wait_until(lambda: "retrying in" in caplog.text, timeout=15, what="the write to wait for storage")
            response = await asyncio.wait_for(request, timeout=10)  # answered while the host stopped
            assert response.status == 500
    assert "not retried: the host is stopping" in caplog.text
