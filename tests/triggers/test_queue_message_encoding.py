"""host.json messageEncoding: one encoding for the app's queue outputs and its queue triggers."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from azure.storage.queue import QueueClient

from durable_local.services.bindings import queue_messages
from durable_local.services.bindings.encoding import MessageEncoding, host_message_encoding
from durable_local.testing import run_host
from durable_local.triggers import TriggerOptions
from tests.faults.conditions import wait_until
from tests.triggers.test_startup_checks import write_app

FAST = TriggerOptions(queue_max_polling_s=0.1)

ROUND_TRIP = """
RECEIVED: list[bytes] = []

@app.route(route="send")
@app.queue_output(arg_name="msg", queue_name="%WORK_QUEUE%", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="copy", queue_name="%RAW_QUEUE%", connection="AzureWebJobsStorage")
def send(req: func.HttpRequest, msg: func.Out[str], copy: func.Out[str]) -> func.HttpResponse:
    msg.set("hello")
    copy.set("hello")
    return func.HttpResponse("sent")

@app.queue_trigger(arg_name="msg", queue_name="%WORK_QUEUE%", connection="AzureWebJobsStorage")
def work(msg: func.QueueMessage) -> None:
    RECEIVED.append(msg.get_body())
"""


@pytest.mark.parametrize(
    ("queues", "raw_text"),
    [
        pytest.param({}, "aGVsbG8=", id="base64-default"),
        pytest.param({"messageEncoding": "none"}, "hello", id="none"),
    ],
)
async def test_an_http_functions_queue_output_reaches_the_apps_own_queue_trigger_unchanged(
    azurite: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, queues: dict[str, str], raw_text: str
) -> None:
    suffix = uuid.uuid4().hex[:10]
    monkeypatch.setenv("WORK_QUEUE", f"work-{suffix}")
    monkeypatch.setenv("RAW_QUEUE", f"raw-{suffix}")
    app = write_app(tmp_path, ROUND_TRIP, host_json={"version": "2.0", "extensions": {"queues": queues}})
    async with run_host(app, trigger_options=FAST) as host:
        received = host.host.registry.module.RECEIVED
        async with host.http.get(host.url("/api/send")) as response:
            assert (response.status, await response.text()) == (200, "sent")
        await wait_until(lambda: received, timeout=15, what="the queue trigger to run")
        assert received == [b"hello"]
    # what the output wrote, as any other reader of the queue sees it
    [raw] = QueueClient.from_connection_string(azurite, f"raw-{suffix}").receive_messages()
    assert raw.content == raw_text


def test_queue_messages_follow_the_encoding_given() -> None:
    assert queue_messages(["a", b"b"], MessageEncoding.NONE) == ["a", "b"]
    assert queue_messages("a", MessageEncoding.BASE64) == ["YQ=="]


def test_the_hosts_message_encoding_is_read_case_insensitively_and_checked() -> None:
    assert host_message_encoding({}) is MessageEncoding.BASE64
    assert host_message_encoding({"queues": {"MessageEncoding": "None"}}) is MessageEncoding.NONE
    with pytest.raises(ValueError, match="use 'base64' or 'none'"):
        host_message_encoding({"queues": {"messageEncoding": "utf8"}})
