"""The Durable Functions patterns, run through the real SDK on the local engine."""

from __future__ import annotations

import json
from datetime import timedelta

from durable_local.protocol import EventType, RuntimeStatus

from .conftest import Engine


def _types(events: list[dict]) -> list[int]:
    return [e["EventType"] for e in events]


async def test_function_chaining_runs_activities_in_order(engine: Engine) -> None:
    instance_id = await engine.start("chaining", ["Tokyo", "Seattle", "London"])
    assert await engine.output(instance_id) == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    history = await engine.history(instance_id)
    scheduled = [e for e in history if e["EventType"] == EventType.TASK_SCHEDULED]
    assert [e["EventId"] for e in scheduled] == [0, 1, 2]
    assert [e["Name"] for e in scheduled] == ["say_hello"] * 3
    completed = [e["TaskScheduledId"] for e in history if e["EventType"] == EventType.TASK_COMPLETED]
    assert completed == [0, 1, 2]


async def test_fan_out_fan_in_sums_parallel_results(engine: Engine, basic_app) -> None:
    instance_id = await engine.start("fan_out", 10)
    assert await engine.output(instance_id) == sum(i * 2 for i in range(10))
    assert basic_app.CALLS["double"] == 10
    history = await engine.history(instance_id)
    assert sorted(e["EventId"] for e in history if e["EventType"] == EventType.TASK_SCHEDULED) == list(range(10))


async def test_retry_succeeds_on_a_later_attempt_with_timer_ids_between(engine: Engine, basic_app) -> None:
    instance_id = await engine.start("retrying", {"key": "ok", "succeed_on": 3, "attempts": 5})
    await engine.advance(timedelta(seconds=10))
    assert await engine.output(instance_id) == {"result": "ok after 3", "after": "Hello after retry!"}
    history = await engine.history(instance_id)
    # attempt(0) fails -> timer(1) -> attempt(2) fails -> timer(3) -> attempt(4) ok -> say_hello(5)
    ids = [(e["EventType"], e["EventId"]) for e in history if e["EventType"] in (EventType.TASK_SCHEDULED, EventType.TIMER_CREATED)]
    assert ids == [(4, 0), (10, 1), (4, 2), (10, 3), (4, 4), (4, 5)]
    assert basic_app.CALLS["flaky:ok"] == 3


async def test_retry_exhaustion_surfaces_the_last_failure(engine: Engine) -> None:
    instance_id = await engine.start("retrying", {"key": "never", "succeed_on": 99, "attempts": 2})
    await engine.advance(timedelta(seconds=10))
    output = await engine.output(instance_id)
    assert output == {"failed": "Activity function 'flaky' failed:  ValueError: attempt 2 failed "}
    history = await engine.history(instance_id)
    timers = [e for e in history if e["EventType"] == EventType.TIMER_CREATED]
    # one timer between the two attempts and DTFx's extra zero-delay timer after the last one
    assert [t["EventId"] for t in timers] == [1, 3]


async def test_orchestrator_exception_fails_the_instance_with_the_extension_wording(engine: Engine) -> None:
    instance_id = await engine.start("failing")
    status = await engine.wait_for(instance_id)
    assert status.runtime_status is RuntimeStatus.FAILED
    assert json.loads(status.output) == "Orchestrator function 'failing' failed: the orchestrator gave up"
    history = await engine.history(instance_id)
    completed = [e for e in history if e["EventType"] == EventType.EXECUTION_COMPLETED]
    assert completed[-1]["OrchestrationStatus"] == 3  # DTFx OrchestrationStatus.Failed


async def test_activity_failure_can_be_caught_by_the_orchestrator(engine: Engine) -> None:
    instance_id = await engine.start("catching")
    # Two spaces after "failed:": the extension cuts the worker's RpcException message after
    # "\nException:", keeping the space that follows (ext OutOfProcExceptionHelpers).
    assert await engine.output(instance_id) == {"caught": "Activity function 'explode' failed:  RuntimeError: kaboom "}
    failed = [e for e in await engine.history(instance_id) if e["EventType"] == EventType.TASK_FAILED]
    assert failed[0]["Reason"] == "Activity function 'explode' failed:  RuntimeError: kaboom"
    # Details: the serialized cause, one line of JSON whose Message is the friendly text and
    # whose inner RpcException carries the worker's message and the user's stack.
    cause = json.loads(failed[0]["Details"])
    assert "\n" not in failed[0]["Details"]
    assert (cause["ClassName"], cause["Message"]) == ("System.Exception", " RuntimeError: kaboom")
    inner = cause["InnerException"]["Message"]
    assert inner.startswith("Result: Failure\nException: RuntimeError: kaboom\nStack: ")
    assert "function_app.py" in inner and "durable_local" not in inner


async def test_human_interaction_event_before_deadline_cancels_the_timer(engine: Engine) -> None:
    instance_id = await engine.start("human", 1)
    await engine.idle()
    await engine.raise_event(instance_id, "Approval", {"by": "ana"})
    assert await engine.output(instance_id) == {"outcome": "approved", "data": {"by": "ana"}}
    # the cancelled timer no longer waits in the store
    assert engine.host.store.next_visible_at() is None


async def test_human_interaction_deadline_wins_without_an_event(engine: Engine) -> None:
    instance_id = await engine.start("human", 1)
    await engine.advance(timedelta(minutes=59))
    assert (await engine.status(instance_id)).runtime_status is RuntimeStatus.RUNNING
    await engine.advance(timedelta(minutes=2))
    assert await engine.output(instance_id) == {"outcome": "timed out"}


async def test_uncancelled_timer_keeps_the_instance_running_until_it_fires(engine: Engine) -> None:
    instance_id = await engine.start("uncancelled")
    await engine.idle()
    await engine.raise_event(instance_id, "Go", True)
    await engine.idle()
    # The SDK answers isDone with the timer still open; DTFx completes only without open tasks.
    assert (await engine.status(instance_id)).runtime_status is RuntimeStatus.RUNNING
    await engine.advance(timedelta(hours=1, seconds=1))
    assert await engine.output(instance_id) == "done"


async def test_events_that_arrive_early_are_buffered_until_awaited(engine: Engine) -> None:
    instance_id = await engine.start("waiter")
    await engine.idle()
    await engine.raise_event(instance_id, "Other", "second")  # nobody waits for it yet
    await engine.idle()
    assert (await engine.status(instance_id)).runtime_status is RuntimeStatus.RUNNING
    await engine.raise_event(instance_id, "Step", "first")
    assert await engine.output(instance_id) == ["first", "second"]


async def test_sub_orchestrations_with_explicit_and_generated_ids_and_failure(engine: Engine) -> None:
    instance_id = await engine.start("parent", instance_id="p1")
    output = await engine.output(instance_id)
    assert output == {
        "explicit": ["Hello A!", "Hello B!"],
        "generated": 6,
        "failure": "Orchestrator function 'failing' failed: the orchestrator gave up ",
    }
    child = await engine.status("child-p1")
    assert child.runtime_status is RuntimeStatus.COMPLETED and child.parent_instance_id == "p1"
    history = await engine.history("p1")
    execution_id = history[1]["OrchestrationInstance"]["ExecutionId"]
    created = [e for e in history if e["EventType"] == EventType.SUB_ORCHESTRATION_CREATED]
    # DTFx names an unnamed child "<parent execution id>:<sequence id>"
    assert [e["InstanceId"] for e in created] == ["child-p1", f"{execution_id}:1", f"{execution_id}:2"]


async def test_monitor_continues_as_new_with_fresh_history_and_sequence_ids(engine: Engine) -> None:
    instance_id = await engine.start("monitor", {"round": 0, "max": 3})
    for _ in range(3):
        await engine.advance(timedelta(minutes=31))
    status = await engine.wait_for(instance_id)
    assert json.loads(status.output)["rounds"] == 3
    assert json.loads(status.custom_status) == {"round": 2}
    history = await engine.history(instance_id)
    assert _types(history)[:2] == [EventType.ORCHESTRATOR_STARTED, EventType.EXECUTION_STARTED]
    assert history[1]["Generation"] == 2
    assert [e["EventId"] for e in history if e["EventType"] == EventType.TIMER_CREATED] == [0]


async def test_custom_status_over_16_kb_fails_with_the_extension_error(engine: Engine) -> None:
    instance_id = await engine.start("big_status")
    status = await engine.wait_for(instance_id)
    assert status.runtime_status is RuntimeStatus.FAILED
    assert "The UTF-16 size of the JSON-serialized payload must not exceed 16 KB" in json.loads(status.output)


async def test_long_timer_is_split_into_three_day_chunks_under_azure_storage_settings(engine: Engine) -> None:
    instance_id = await engine.start("long_wait")
    await engine.advance(timedelta(days=15))
    assert await engine.output(instance_id) == "expired"
    fire_times = [e["FireAt"] for e in await engine.history(instance_id) if e["EventType"] == EventType.TIMER_CREATED]
    # 3-day chunks while more than 6 days remain, then the exact deadline (SDK LongTimerTask)
    assert [t[:10] for t in fire_times] == ["2026-01-04", "2026-01-07", "2026-01-10", "2026-01-15"]


async def test_cancelling_a_long_timer_leaves_the_instance_running_as_sdk_bug_573(engine: Engine) -> None:
    # azure-functions-durable-python #573: LongTimerTask.cancel() flags the parent action only,
    # so the emitted chunk keeps isCanceled false and the instance stays Running, as on Azure.
    instance_id = await engine.start("long_wait")
    await engine.idle()
    await engine.raise_event(instance_id, "Approval", True)
    await engine.idle()
    assert (await engine.status(instance_id)).runtime_status is RuntimeStatus.RUNNING
    await engine.advance(timedelta(days=3, seconds=1))
    assert await engine.output(instance_id) == "approved"
