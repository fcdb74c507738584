"""HTTP functions are invoked like the Python worker invokes them, over a real socket."""

from __future__ import annotations

import json
import logging

from durable_local.services.bindings import OutputBindings
from tests.bindings.storage import closed_port_connection_string
from tests.http.conftest import serve


async def test_sync_function_receives_route_params_query_and_headers(http):
    response = await http.get("/api/hello/world?q=search", headers={"X-Test": "header value"})
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    body = await response.json()
    assert body["name"] == "world"
    assert body["q"] == "search"
    assert body["header"] == "header value"
    assert body["method"] == "GET"
    assert body["url"].endswith("/api/hello/world?q=search")


async def test_async_function_gets_body_and_its_http_response_is_sent_as_is(http):
    response = await http.put("/api/echo", data=b"\x00binary\xff")
    assert response.status == 201
    assert response.headers["X-Echo"] == "yes"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Set-Cookie"] == "a=1"
    assert await response.read() == b"\x00binary\xff"


async def test_request_json_body_is_available_through_get_json(http):
    response = await http.post("/api/json-body", json={"a": [1, 2]})
    assert await response.json() == {"received": {"a": [1, 2]}}


async def test_plain_string_return_is_a_200_text_response(http):
    response = await http.get("/api/text")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert await response.text() == "plain text"


async def test_typed_route_constraints_pick_the_function(http):
    assert await (await http.get("/api/items/42")).text() == "id 42"
    assert await (await http.get("/api/items/abc")).text() == "slug abc"
    # Routes are tried in function-name order, as the Functions host does: item_by_slug's
    # {slug:alpha} sorts before item_new and takes "new", so item_new's literal route never answers.
    assert await (await http.get("/api/items/new")).text() == "slug new"
    response = await http.get("/api/items/4x2")
    assert response.status == 404


async def test_optional_route_parameter(http):
    assert await (await http.get("/api/optional/x")).text() == "part=x"
    assert await (await http.get("/api/optional")).text() == "part=None"


async def test_unknown_route_is_an_empty_404_as_from_the_functions_host(http):
    response = await http.get("/api/does-not-exist")
    assert (response.status, await response.read()) == (404, b"")


async def test_wrong_method_on_a_known_route_is_an_empty_404_not_a_405(http):
    # azure-functions-host #10098: the method constraint fails like any other, so no route matches.
    response = await http.delete("/api/echo")
    assert (response.status, await response.read()) == (404, b"")
    assert "Allow" not in response.headers


async def test_returning_a_dict_fails_like_the_worker(http, caplog):
    with caplog.at_level(logging.INFO, logger="durable_local"):
        response = await http.get("/api/returns-dict")
    assert response.status == 500
    body = await response.json()
    assert 'unsupported type "http" for Python type "dict"' in body["error"]
    assert "Executed 'Functions.returns_dict' (Failed" in caplog.text


async def test_exception_in_function_is_500_json_and_logged(http, caplog):
    with caplog.at_level(logging.INFO, logger="durable_local"):
        response = await http.get("/api/boom")
    assert response.status == 500
    body = await response.json()
    assert body["error"] == "RuntimeError: kaboom"
    assert body["invocationId"]
    assert "kaboom" in caplog.text
    # The server survives.
    assert (await http.get("/api/text")).status == 200


async def test_invocations_are_logged_like_func_start(http, caplog):
    with caplog.at_level(logging.INFO, logger="durable_local"):
        await http.get("/api/text")
    messages = [r.getMessage() for r in caplog.records]
    executing = [m for m in messages if m.startswith("Executing 'Functions.text'")]
    assert executing and "Reason='This function was programmatically called via the host APIs.'" in executing[0]
    assert any(m.startswith("Executed 'Functions.text' (Succeeded, Id=") and "Duration=" in m for m in messages)


async def test_context_parameter_is_passed_when_declared(http):
    assert await (await http.get("/api/with-context")).text() == "with_context 36"


async def test_client_function_receives_binding_whose_links_use_the_host(http, fake_host):
    body = await (await http.get("/api/client-binding")).json()
    assert body["id"] == "abc"
    assert body["statusQueryGetUri"].startswith(f"{fake_host.base_url}/runtime/webhooks/durabletask/instances/abc?")


async def test_starter_function_round_trips_through_the_sdk_client(http, fake_host):
    response = await http.post("/api/orchestrators/hello_orchestrator", data=json.dumps({"city": "Oslo"}))
    assert response.status == 202
    payload = await response.json()
    instance_id = payload["id"]
    assert response.headers["Location"] == payload["statusQueryGetUri"]
    assert response.headers["Retry-After"] == "10"
    # The SDK double-encodes the input; the host stores the decoded JSON string, like the extension.
    assert fake_host.instances[instance_id].input == json.dumps(json.dumps({"city": "Oslo"}))
    status = await http.get(payload["statusQueryGetUri"].replace(fake_host.base_url, ""))
    assert status.status == 202
    assert (await status.json())["input"] == json.dumps({"city": "Oslo"})


async def test_starter_surfaces_unknown_orchestrator_as_function_failure(http):
    response = await http.post("/api/orchestrators/nope")
    assert response.status == 500
    assert "doesn't exist" in (await response.json())["error"]


async def test_root_and_host_status_answer_for_readiness_checks(http):
    assert (await http.get("/")).status == 200
    assert (await (await http.get("/admin/host/status")).json())["state"] == "Running"


async def test_output_binding_failure_fails_the_invocation_once_storage_retries_are_over(fake_host, monkeypatch):
    monkeypatch.setenv("QueueConnection", closed_port_connection_string())
    http = await serve(fake_host, OutputBindings(retry_for_s=0))  # no waiting for storage to come up
    try:
        response = await http.post("/api/enqueue", data="hello")
        assert response.status == 500
        error = (await response.json())["error"]
    finally:
        await http.close()
    assert error.startswith("BindingError: Output binding 'msg' (queue 'outbox', connection setting 'QueueConnection')")


async def test_output_binding_is_written_after_the_function_returns(http, monkeypatch, azurite):
    from azure.storage.queue import QueueClient, TextBase64DecodePolicy

    monkeypatch.setenv("QueueConnection", azurite)
    response = await http.post("/api/enqueue", data="hello queue")
    assert response.status == 200
    queue = QueueClient.from_connection_string(azurite, "outbox", message_decode_policy=TextBase64DecodePolicy())
    assert "hello queue" in [m.content for m in queue.receive_messages(messages_per_page=32)]
