"""Durable entities on the local host: calls, signals, failures, deletion, reads."""

from __future__ import annotations

import json
import logging

import pytest

from durable_local.testing import TestHost

from .conftest import API, get_json, post


async def _run(host: TestHost, name: str, input_value: object, instance_id: str | None = None) -> object:
    instance_id = await host.start(name, input_value, instance_id)
    status = await host.wait_for(instance_id, timeout=10)
    assert status.runtime_status == "Completed", status
    return json.loads(status.output or "null")


async def test_a_counter_signalled_by_an_orchestrator_adds_every_signal_before_the_call(host: TestHost) -> None:
    # Signals and the call from one orchestrator reach the entity in the order they were sent.
    assert await _run(host, "count_to", {"key": "k", "n": 4}) == 10
    assert await _run(host, "count_to", {"key": "k", "n": 1}) == 11


async def test_a_counter_signalled_through_the_python_client_keeps_its_state(host: TestHost) -> None:
    for amount in (5, 7):
        async with host.http.post(host.url("/api/counter/cats"), json={"amount": amount}) as reply:
            assert reply.status == 202
    await host.idle()
    status, body = await get_json(host, f"{API}/entities/Counter/cats")
    assert (status, body) == (200, 12)
    async with host.http.get(host.url("/api/counter/cats")) as reply:
        assert await reply.json() == {"exists": True, "state": 12}
    # an entity no operation ever reached: 404 over HTTP, (False, None) through the client
    status, _ = await get_json(host, f"{API}/entities/Counter/dogs")
    assert status == 404
    async with host.http.get(host.url("/api/counter/dogs")) as reply:
        assert await reply.json() == {"exists": False, "state": None}


async def test_operations_from_one_sender_run_in_the_order_they_were_sent(host: TestHost) -> None:
    # A text body becomes the input as a JSON string, and the SDK's get_input() decodes twice:
    # the text itself must be JSON (here a JSON string), on Azure as here.
    for entry in ("first", "second", "third", "fourth"):
        assert await post(host, f"{API}/entities/Journal/j?op=append", json.dumps(entry), "text/plain") == 202
    assert await _run(host, "read_journal", "j") == ["first", "second", "third", "fourth"]


async def test_a_transfer_between_two_accounts_moves_the_money(host: TestHost) -> None:
    assert await post(host, f"{API}/entities/Account/alice?op=deposit", '"100"') == 202
    result = await _run(host, "transfer", {"from": "alice", "to": "bob", "amount": 30})
    assert result == {"moved": True, "balances": [70, 30]}


async def test_a_failed_withdrawal_reaches_the_caller_as_a_catchable_error_with_the_entity_message(host: TestHost) -> None:
    assert await post(host, f"{API}/entities/Account/carol?op=deposit", '"10"') == 202
    result = await _run(host, "transfer", {"from": "carol", "to": "dave", "amount": 50})
    assert result == {"moved": False, "reason": "insufficient funds: balance 10, asked 50"}
    status, body = await get_json(host, f"{API}/entities/Account/carol")
    assert (status, body) == (200, 10)
    assert (await get_json(host, f"{API}/entities/Account/dave"))[0] == 404  # nothing was deposited


async def test_an_entity_error_caught_by_the_orchestrator_carries_the_entity_message(host: TestHost) -> None:
    result = await _run(host, "flaky_caller", "catch")
    # the SDK raises a plain Exception whose text is the entity's str(exc), cause not included
    assert result == {"caught": "flaky entity failed\r\nsecond line of the failure"}


async def test_an_uncaught_entity_error_fails_the_orchestration_with_the_extensions_wording(host: TestHost) -> None:
    instance_id = await host.start("flaky_caller", "rethrow")
    status = await host.wait_for(instance_id, timeout=10)
    assert status.runtime_status == "Failed"
    assert json.loads(status.output or "").startswith(
        "Orchestrator function 'flaky_caller' failed: flaky entity failed\r\nsecond line of the failure"
    )


async def test_a_caller_that_retries_after_an_entity_error_gets_the_second_result(
    host: TestHost, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="durable_local"):
        assert await _run(host, "flaky_caller", "retry") == {"attempt": 2}
    failed = [r.getMessage() for r in caplog.records if "failed 'try' operation" in r.getMessage()]
    # ext EndToEndTraceHelper: redacted exception = len of the JSON-encoded str(exc), one line
    assert len(failed) == 1 and "Function 'flaky (Entity)' failed 'try' operation" in failed[0]
    assert f"with exception (Redacted {len(json.dumps('flaky entity failed' + chr(13) + chr(10) + 'second line of the failure'))} characters)" in failed[0]


async def test_an_operation_that_raises_keeps_its_state_change_as_on_azure(host: TestHost) -> None:
    # The SDK does not roll back and the extension copies the reply's state for Python batches.
    assert await post(host, f"{API}/entities/Counter/norollback?op=add", '"1"') == 202
    assert await post(host, f"{API}/entities/Counter/norollback?op=add_then_fail", '"10"') == 202
    await host.idle()
    assert await get_json(host, f"{API}/entities/Counter/norollback") == (200, 11)


async def test_destruct_on_exit_deletes_the_entity_and_clean_storage_removes_it(host: TestHost) -> None:
    assert await post(host, f"{API}/entities/Counter/gone?op=add", '"3"') == 202
    assert await post(host, f"{API}/entities/Counter/kept?op=add", '"4"') == 202
    await host.idle()
    async with host.http.delete(host.url(f"{API}/entities/Counter/gone")) as reply:  # operation "delete"
        assert reply.status == 202
    await host.idle()
    # As on Azure Storage: a deleted Python entity keeps the state text "null" and reads as null.
    assert await get_json(host, f"{API}/entities/Counter/gone") == (200, None)
    async with host.http.get(host.url("/api/counter/gone")) as reply:
        assert await reply.json() == {"exists": True, "state": ""}  # the SDK turns a null body into ""
    listed = (await get_json(host, f"{API}/entities/Counter"))[1]
    assert [item["entityId"]["key"] for item in listed] == ["kept"]
    with_state = (await get_json(host, f"{API}/entities/Counter?fetchState=true"))[1]
    assert {item["entityId"]["key"]: item["state"] for item in with_state} == {"gone": None, "kept": 4}
    assert await host.host.clean_entity_storage() == 1
    assert (await get_json(host, f"{API}/entities/Counter/gone"))[0] == 404
    # a new operation brings it back from nothing
    assert await post(host, f"{API}/entities/Counter/gone?op=add", '"1"') == 202
    await host.idle()
    assert await get_json(host, f"{API}/entities/Counter/gone") == (200, 1)


async def test_calling_an_entity_that_does_not_exist_fails_the_orchestration(host: TestHost) -> None:
    instance_id = await host.start("call_unknown_entity")
    status = await host.wait_for(instance_id, timeout=10)
    assert status.runtime_status == "Failed"
    assert "The function 'nobody' doesn't exist, is disabled, or is not an entity function." in (status.output or "")
    assert "The following are the known entity functions: 'account', 'counter', 'flaky', 'journal'." in (
        status.output or ""
    )
