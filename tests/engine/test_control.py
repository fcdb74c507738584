"""Management operations: terminate, suspend/resume, restart, purge, and their errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from durable_local.errors import (
    InstanceAlreadyExists,
    InstanceGone,
    InstanceNotFound,
    InvalidInstanceId,
    OrchestratorNotFound,
)
from durable_local.instances import InstanceQuery
from durable_local.protocol import EventType, RuntimeStatus

from .conftest import Engine


async def test_terminate_stops_a_waiting_instance_with_the_reason_as_output(engine: Engine) -> None:
    instance_id = await engine.start("human", 1)
    await engine.idle()
    await engine.host.terminate(instance_id, "no longer needed")
    status = await engine.wait_for(instance_id, "Terminated")
    assert json.loads(status.output) == "no longer needed"
    types = [e["EventType"] for e in await engine.history(instance_id)]
    assert EventType.EXECUTION_TERMINATED in types
    # its timer is gone: a later clock jump delivers nothing
    assert engine.host.store.next_visible_at() is None


async def test_operations_on_a_finished_instance_answer_gone(engine: Engine) -> None:
    instance_id = await engine.start("chaining", ["A"])
    await engine.wait_for(instance_id, "Completed")
    for operation in (
        engine.host.raise_event(instance_id, "E", "1"),
        engine.host.terminate(instance_id, "late"),
        engine.host.suspend(instance_id, None),
        engine.host.resume(instance_id, None),
    ):
        with pytest.raises(InstanceGone):
            await operation


async def test_operations_on_an_unknown_instance_answer_not_found(engine: Engine) -> None:
    with pytest.raises(InstanceNotFound):
        await engine.host.raise_event("nope", "E", "1")
    with pytest.raises(InstanceNotFound):
        await engine.host.terminate("nope", None)
    assert await engine.host.purge("nope") == 0


async def test_suspended_instance_queues_events_until_resumed(engine: Engine) -> None:
    instance_id = await engine.start("human", 1)
    await engine.idle()
    await engine.host.suspend(instance_id, "hold on")
    await engine.wait_for(instance_id, "Suspended")
    await engine.raise_event(instance_id, "Approval", "while suspended")
    await engine.idle()
    assert (await engine.status(instance_id)).runtime_status is RuntimeStatus.SUSPENDED
    await engine.host.resume(instance_id, "go")
    assert await engine.output(instance_id) == {"outcome": "approved", "data": "while suspended"}
    types = [e["EventType"] for e in await engine.history(instance_id)]
    assert types.index(EventType.EXECUTION_SUSPENDED) < types.index(EventType.EXECUTION_RESUMED) < types.index(EventType.EVENT_RAISED)


async def test_start_rejects_unknown_orchestrators_bad_ids_and_running_duplicates(engine: Engine) -> None:
    with pytest.raises(OrchestratorNotFound, match="doesn't exist, is disabled, or is not an orchestrator"):
        await engine.start("no_such_orchestrator")
    for bad in ("a/b", "a\\b", "a#b", "a?b", "@entity", "x" * 257, "tab\there", ""):
        with pytest.raises(InvalidInstanceId):
            await engine.start("chaining", ["A"], instance_id=bad)
    await engine.start("human", 1, instance_id="dup")
    with pytest.raises(InstanceAlreadyExists):
        await engine.start("human", 1, instance_id="dup")


async def test_a_finished_instance_id_can_be_reused(engine: Engine) -> None:
    await engine.start("chaining", ["A"], instance_id="again")
    await engine.wait_for("again", "Completed")
    await engine.start("chaining", ["B"], instance_id="again")
    assert await engine.output("again") == ["Hello B!"]


async def test_restart_runs_the_same_input_under_a_new_or_the_same_id(engine: Engine) -> None:
    first = await engine.start("chaining", ["R"])
    await engine.wait_for(first, "Completed")
    second = await engine.host.restart(first, new_instance_id=True)
    assert second != first and await engine.output(second) == ["Hello R!"]
    same = await engine.host.restart(first, new_instance_id=False)
    assert same == first and await engine.output(first) == ["Hello R!"]


async def test_rewind_of_an_unknown_instance_is_not_found(engine: Engine) -> None:
    with pytest.raises(InstanceNotFound):
        await engine.host.rewind("any", "reason")


async def test_purge_one_and_purge_by_filter(engine: Engine) -> None:
    done = [await engine.start("chaining", [str(i)], instance_id=f"done-{i}") for i in range(3)]
    running = await engine.start("human", 1, instance_id="keep-running")
    for instance_id in done:
        await engine.wait_for(instance_id, "Completed")
    assert await engine.host.purge("done-0") == 1
    assert await engine.status("done-0") is None and await engine.history("done-0") == []
    removed = await engine.host.purge_many(InstanceQuery(statuses=frozenset({RuntimeStatus.COMPLETED})))
    assert removed == 2
    remaining, _ = await engine.host.list_instances(InstanceQuery())
    assert [s.instance_id for s in remaining] == [running]


async def test_list_pages_with_a_continuation_token(engine: Engine) -> None:
    for i in range(5):
        await engine.start("human", 1, instance_id=f"page-{i}")
        engine.clock.advance(timedelta(seconds=1))
    seen: list[str] = []
    token = None
    while True:
        page, token = await engine.host.list_instances(InstanceQuery(top=2, continuation_token=token))
        seen += [s.instance_id for s in page]
        if token is None:
            break
    assert seen == [f"page-{i}" for i in range(5)]
    prefixed, _ = await engine.host.list_instances(InstanceQuery(instance_id_prefix="page-3"))
    assert [s.instance_id for s in prefixed] == ["page-3"]


async def test_changing_the_orchestrator_between_episodes_fails_with_non_determinism(engine: Engine, basic_app) -> None:
    instance_id = await engine.start("versioned")
    await engine.idle()
    basic_app.NEXT_ACTIVITY = "double"  # a redeploy changed which activity the first step calls
    await engine.raise_event(instance_id, "Continue", True)
    status = await engine.wait_for(instance_id)
    assert status.runtime_status is RuntimeStatus.FAILED
    message = json.loads(status.output)
    assert message.startswith("Non-Deterministic workflow detected: A previous execution of this orchestration")
    assert "named 'say_hello'" in message and "named 'double'" in message
