"""Facts about the entity protocol, checked against the real SDK and recorded here.

Sources (the extension, azure-functions-durable-extension ``src/WebJobs.Extensions.DurableTask``):
``Bindings/EntityTriggerAttributeBindingProvider.EntityContextToString`` (the batch request),
``Listener/TaskEntityShim.ExecuteOutOfProcBatch`` (the reply), ``EntityScheduler/RequestMessage``
and ``ResponseMessage`` (the messages), ``ContextImplementations/DurableOrchestrationContext``
(``CallDurableTaskFunctionAsync``, ``NewGuid``) and ``HttpApiHandler`` (the ``entities`` routes).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from durable_local.engine.entities import EntityBatch, EntityId, Request
from durable_local.protocol import EventType
from durable_local.services.loader import load_app
from durable_local.testing import TestHost

from .conftest import API, BANK_APP, get_json, post


def _request(message_id: int, operation: str, input_text: str | None, *, signal: bool = False) -> Request:
    return Request(message_id, operation, input_text, f"id-{message_id}", signal, None if signal else "caller", "exec")


def test_the_sdk_answers_a_batch_with_state_text_and_one_result_per_operation() -> None:
    with load_app(BANK_APP) as registry:
        handle = registry.entities["counter"].handle
        batch = EntityBatch(
            EntityId.of("Counter", "k"),
            None,
            [
                _request(1, "add", json.dumps("5"), signal=True),
                _request(2, "get", json.dumps("null")),
                _request(3, "add_then_fail", json.dumps("10")),
                _request(4, "reset", None, signal=True),
            ],
        )
        request = json.loads(batch.request_json())
        # The request: the lowercased name, the key, no state yet, each op's text input.
        assert request == {
            "self": {"name": "counter", "key": "k"},
            "exists": False,
            "state": None,
            "batch": [
                {"name": "add", "input": '"5"', "isSignal": True},
                {"name": "get", "input": '"null"', "isSignal": False},
                {"name": "add_then_fail", "input": '"10"', "isSignal": False},
                {"name": "reset", "input": None, "isSignal": True},
            ],
        }
        reply = json.loads(handle(batch.request_json()))
    assert set(reply) == {"entityExists", "entityState", "results", "signals"}
    assert reply["entityExists"] is True and reply["entityState"] == "0" and reply["signals"] == []
    results = reply["results"]
    assert [(r["isError"], r["result"]) for r in results] == [
        (False, "null"),
        (False, "5"),
        # the failure's text as JSON; its state change (5 + 10) was kept for the next operation
        (True, json.dumps("counter refused after adding")),
        # no set_result: the last result any operation set ("get") is reported again (SDK quirk)
        (False, "5"),
    ]
    exists, state, outcomes = batch.outcomes(json.dumps(reply))
    commit = batch.commit(datetime(2026, 1, 1, tzinfo=UTC), exists, state, outcomes)
    # Only calls get responses: EventRaised named after the request id, ResponseMessage as input.
    assert [(m.instance_id, m.execution_id, m.event["Name"], m.event["Input"]) for m in commit.messages] == [
        ("caller", "exec", "id-2", '{"result":"5"}'),
        ("caller", "exec", "id-3", '{"result":"\\"counter refused after adding\\"","exceptionType":"Error"}'),
    ]
    assert json.loads(commit.input) == {"exists": True, "state": "0", "sorter": {}}


async def test_a_call_is_an_event_sent_with_the_request_message_and_answered_by_request_id(host: TestHost) -> None:
    instance_id = await host.start("count_to", {"key": "proto", "n": 1}, "proto-caller")
    await host.wait_for(instance_id, "Completed")
    history = await host.history(instance_id)
    sent = [e for e in history if e["EventType"] == EventType.EVENT_SENT]
    assert [(e["EventId"], e["InstanceId"], e["Name"]) for e in sent] == [(0, "@counter@proto", "op"), (1, "@counter@proto", "op")]
    signal, call = (json.loads(e["Input"]) for e in sent)
    assert list(signal) == ["op", "signal", "input", "id", "parent", "parentExecution", "Timestamp", "Predecessor"]
    assert list(call) == ["op", "input", "id", "parent", "parentExecution", "Timestamp", "Predecessor"]
    assert (signal["op"], signal["signal"], signal["input"]) == ("add", True, json.dumps("1"))
    assert (call["op"], call["input"], call["parent"]) == ("get", json.dumps("null"), "proto-caller")
    assert call["Predecessor"] == "0001-01-01T00:00:00"
    # The extension's NewGuid: uuid5 of "{instanceId}_{orchestration time:o}_{counter}".
    started = next(e for e in history if e["EventType"] == EventType.ORCHESTRATOR_STARTED)["Timestamp"]
    namespace = uuid.UUID("9e952959-5e33-4daf-827f-2fa12937b875")
    assert call["id"] == str(uuid.uuid5(namespace, f"proto-caller_{started}_1"))
    [response] = [e for e in history if e["EventType"] == EventType.EVENT_RAISED]
    assert (response["Name"], response["Input"]) == (call["id"], '{"result":"1"}')


async def test_json_inputs_reach_a_python_entity_only_when_encoded_twice(host: TestHost) -> None:
    # application/json body 5 -> input text "5" -> the SDK's get_input() fails on json.loads(5).
    assert await post(host, f"{API}/entities/Counter/enc?op=add", "5") == 202
    assert await post(host, f"{API}/entities/Counter/enc?op=add", '"5"') == 202
    await host.idle()
    operations = await host.host.entity_operations(EntityId.of("Counter", "enc"))
    assert [(o.operation, o.succeeded) for o in reversed(operations)] == [("add", False), ("add", True)]
    assert "the JSON object must be str, bytes or bytearray, not int" in (operations[-1].result or "")
    assert await get_json(host, f"{API}/entities/Counter/enc") == (200, 5)


async def test_entities_are_running_instances_named_by_their_id_and_purge_by_id(host: TestHost) -> None:
    assert await post(host, f"{API}/entities/Counter/listed?op=add", '"2"') == 202
    await host.idle()
    status, instances = await get_json(host, f"{API}/instances")
    assert status == 200
    [entity] = [i for i in instances if i["instanceId"] == "@counter@listed"]
    assert (entity["name"], entity["runtimeStatus"]) == ("@counter@listed", "Running")
    assert entity["input"] == {"exists": True, "state": "2", "sorter": {}}
    assert entity["customStatus"] == {"entityExists": True}
    async with host.http.delete(host.url(f"{API}/instances/@counter@listed")) as reply:
        assert (reply.status, await reply.json()) == (200, {"instancesDeleted": 1})
    assert (await get_json(host, f"{API}/entities/Counter/listed"))[0] == 404


async def test_the_entities_routes_answer_with_the_extensions_status_codes(host: TestHost) -> None:
    async with host.http.post(host.url(f"{API}/entities/Nobody/k?op=x")) as reply:
        assert reply.status == 400
        assert "The function 'nobody' doesn't exist" in (await reply.text())
    async with host.http.post(
        host.url(f"{API}/entities/Counter/k?op=add"), data="{not json", headers={"Content-Type": "application/json"}
    ) as reply:
        assert reply.status == 400 and "Could not parse JSON content" in await reply.text()
    async with host.http.put(host.url(f"{API}/entities/Counter/k")) as reply:
        assert reply.status == 404
    for key in ("a", "b", "c"):
        assert await post(host, f"{API}/entities/Counter/{key}?op=add", '"1"') == 202
    assert await post(host, f"{API}/entities/Account/x?op=deposit", '"1"') == 202
    await host.idle()
    async with host.http.get(host.url(f"{API}/entities/Counter?top=2")) as reply:
        first = await reply.json()
        token = reply.headers["x-ms-continuation-token"]
    assert [item["entityId"]["key"] for item in first] == ["a", "b"] and token
    async with host.http.get(host.url(f"{API}/entities/Counter?top=2"), headers={"x-ms-continuation-token": token}) as reply:
        assert [item["entityId"]["key"] for item in await reply.json()] == ["c"]
        assert reply.headers["x-ms-continuation-token"] == ""  # always present, empty at the end
    _status, everything = await get_json(host, f"{API}/entities")
    assert sorted(i["entityId"]["name"] for i in everything) == ["account", "counter", "counter", "counter"]
    assert all(i["state"] is None for i in everything)  # no state without fetchState=true
    # the empty key is "$" in a URL
    assert await post(host, f"{API}/entities/Counter/$?op=add", '"9"') == 202
    await host.idle()
    assert await get_json(host, f"{API}/entities/Counter/$") == (200, 9)
