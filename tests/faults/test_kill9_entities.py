"""SIGKILL of the host process with durable entities: committed entity work survives, queued work runs once.

Each test runs ``python -m durable_local start`` on the ``journal`` fixture app
(``apps/journal``: an order-sensitive ``Journal`` entity that appends each operation's input
to a list, and the ``append_and_read`` orchestrator that calls it) as a child process on a state
file in ``tmp_path``, kills it with SIGKILL and starts it again on the same file. Between the
two runs the file is read directly (``state_file.read_state``): it shows exactly what was
committed when the host died, the entity's state and the operation requests still queued.

* an entity's committed state is there after the restart, and later operations (a client
  signal, an orchestrator's call) continue from it;
* a burst of signals accepted with 202 and still queued at the kill is run after the restart:
  the final list is the state committed at the kill followed by the queued requests in arrival
  order, every accepted input exactly once; the entity's own log shows that after the restart
  it ran exactly the queued operations, once each, and never one committed before the kill;
* an orchestration waiting for a ``call_entity`` response when the host dies gets it after the
  restart and completes with the right result; its call is neither lost nor sent twice.

The entity is made slow by the app (``DELAY_ENV``: each ``append`` takes a few milliseconds of
real time) so that the kill finds requests queued; the tests wait on conditions only.

Sizes (reduced by default; ``DURABLE_LOCAL_FULL=1`` for full size): the burst is 120 signals
(400 full), the orchestration queues behind 60 (200 full).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from durable_local.protocol import EventType

from .apps.journal.function_app import DELAY_ENV, LOG_ENV
from .conditions import wait_until
from .host_process import HostProcess, host_environment
from .invariants import history_problems
from .state_file import EntityRequest, StateSnapshot, read_state

pytestmark = [pytest.mark.fault, pytest.mark.e2e]

FULL = os.environ.get("DURABLE_LOCAL_FULL") == "1"
APP = Path(__file__).parent / "apps" / "journal"
API = "/runtime/webhooks/durabletask"
BURST = 400 if FULL else 120
AHEAD_OF_CALL = 200 if FULL else 60
#: host.json maxEntityOperationBatchSize of the journal app: at most this many operations ran
#: in the batch the kill interrupted (run, not committed).
BATCH_SIZE = 4
#: seconds each append takes (app behaviour): 120 appends keep the entity busy for about 2.4 s
APPEND_DELAY = "0.02"


# -- helpers --------------------------------------------------------------------------------


def journal_id(key: str) -> str:
    """The entity's instance id (ext ``EntityId``: ``@`` + lowercased name + ``@`` + key)."""
    return f"@journal@{key}"


def operation_value(request: EntityRequest) -> Any:
    """The value an ``append`` request carries, decoded as the SDK's ``get_input()`` decodes it (twice)."""
    assert request.input_text is not None, request
    return json.loads(json.loads(request.input_text))


def queued_values(snapshot: StateSnapshot, key: str) -> list[Any]:
    """Inputs of the ``append`` requests queued for ``Journal(key)``, in arrival order."""
    requests = snapshot.entity_requests(journal_id(key))
    assert {r.operation for r in requests} <= {"append"}, requests
    return [operation_value(r) for r in requests]


def committed_entries(snapshot: StateSnapshot, key: str) -> list[Any]:
    row = snapshot.entities.get(journal_id(key))
    return list(row.state or []) if row is not None else []


def read_journal_log(path: Path) -> list[tuple[int, str, int]]:
    """``(pid, key, value)`` per complete line the entity wrote when it ran an ``append``."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            entries.append((int(parts[0]), parts[1], int(parts[2])))
    return entries


def runs_in(log: list[tuple[int, str, int]], pid: int, key: str) -> list[int]:
    return [value for run_pid, run_key, value in log if run_pid == pid and run_key == key]


async def signal_append(http: aiohttp.ClientSession, base: str, key: str, value: int) -> int:
    # The HTTP API's signal route with a JSON body: the body is the operation input's JSON text,
    # and the SDK's get_input() decodes that text twice, so the value goes as a JSON string.
    async with http.post(
        f"{base}{API}/entities/Journal/{key}",
        params={"op": "append"},
        data=json.dumps(json.dumps(value)),
        headers={"Content-Type": "application/json"},
    ) as reply:
        await reply.read()
        return reply.status


async def signal_burst(http: aiohttp.ClientSession, base: str, key: str, values: range) -> None:
    """All signals at once: they queue faster than the slow entity runs them."""
    replies = await asyncio.gather(*(signal_append(http, base, key, value) for value in values))
    assert set(replies) == {202}, replies


async def read_entity(http: aiohttp.ClientSession, base: str, key: str) -> tuple[int, Any]:
    async with http.get(f"{base}{API}/entities/Journal/{key}") as reply:
        text = await reply.text()
        return reply.status, (json.loads(text) if text else None)


async def start_append_and_read(http: aiohttp.ClientSession, base: str, instance_id: str, key: str, value: int) -> None:
    # Encoded as DurableOrchestrationClient.start_new sends it (JSON text of the JSON text).
    spec = {"key": key, "value": value}
    async with http.post(f"{base}{API}/orchestrators/append_and_read/{instance_id}", data=json.dumps(json.dumps(spec))) as reply:
        assert reply.status == 202, await reply.text()


async def wait_completed(http: aiohttp.ClientSession, base: str, instance_id: str, timeout: float) -> dict[str, Any]:
    async def completed() -> dict[str, Any] | None:
        async with http.get(f"{base}{API}/instances/{instance_id}") as reply:
            body = await reply.json()
        assert body["runtimeStatus"] in ("Pending", "Running", "Completed"), body
        return body if body["runtimeStatus"] == "Completed" else None

    return await wait_until(completed, timeout=timeout, what=f"{instance_id} to complete")


def event_count(history: list[dict[str, Any]], kind: EventType) -> int:
    return sum(1 for event in history if event["EventType"] == kind)


# -- 1. committed state survives ------------------------------------------------------------


async def test_entity_state_committed_before_a_sigkill_is_there_after_the_restart_and_operations_continue_from_it(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.sqlite"
    env = host_environment()
    first = HostProcess(APP, state, tmp_path / "host-1.out", env)
    second = HostProcess(APP, state, tmp_path / "host-2.out", env)
    try:
        async with aiohttp.ClientSession() as http:
            base = await first.start()
            for value in (1, 2, 3):
                assert await signal_append(http, base, "kept", value) == 202
            await wait_until(
                lambda: committed_entries(read_state(state), "kept") == [1, 2, 3],
                timeout=30, what="the three appends committed to the state file",
            )
            assert await read_entity(http, base, "kept") == (200, [1, 2, 3])
            first.kill()

            at_kill = read_state(state)
            assert at_kill.entities[journal_id("kept")].exists
            assert committed_entries(at_kill, "kept") == [1, 2, 3]
            assert at_kill.entity_requests(journal_id("kept")) == [], "nothing was left to run"

            base = await second.start()
            assert await read_entity(http, base, "kept") == (200, [1, 2, 3])
            # an orchestrator's call continues from the committed state ...
            await start_append_and_read(http, base, "after-restart", "kept", 4)
            status = await wait_completed(http, base, "after-restart", timeout=30)
            assert status["output"] == {"position": 4, "entries": [1, 2, 3, 4]}
            # ... and so does a client's signal
            assert await signal_append(http, base, "kept", 5) == 202

            async def five_entries() -> bool:
                return (await read_entity(http, base, "kept"))[1] == [1, 2, 3, 4, 5]

            await wait_until(five_entries, timeout=30, what="the fifth append")
            assert await second.stop() == 0
    finally:
        first.ensure_dead()
        second.ensure_dead()

    final = read_state(state)
    assert committed_entries(final, "kept") == [1, 2, 3, 4, 5]
    assert history_problems(final.history["after-restart"]) == []


# -- 2. a queued burst is run once, in arrival order -----------------------------------------


async def test_signals_accepted_but_not_run_at_a_sigkill_run_once_each_in_arrival_order_after_the_restart(
    tmp_path: Path,
) -> None:
    state, log = tmp_path / "state.sqlite", tmp_path / "journal.log"
    env = host_environment(**{LOG_ENV: str(log), DELAY_ENV: APPEND_DELAY})
    first = HostProcess(APP, state, tmp_path / "host-1.out", env)
    second = HostProcess(APP, state, tmp_path / "host-2.out", env)
    try:
        async with aiohttp.ClientSession() as http:
            base = await first.start()
            await signal_burst(http, base, "burst", range(BURST))

            def partly_run() -> bool:
                snapshot = read_state(state)
                return len(committed_entries(snapshot, "burst")) >= BURST // 4 and bool(queued_values(snapshot, "burst"))

            await wait_until(partly_run, timeout=60, what=f"{BURST // 4} appends committed and more queued")
            first.kill()

            at_kill = read_state(state)
            committed = committed_entries(at_kill, "burst")
            queued = queued_values(at_kill, "burst")
            print(f"\nkilled with {len(committed)} appends committed and {len(queued)} queued")
            assert queued, "the entity ran the whole burst before the kill; nothing was tested"
            # Every accepted signal is in the file at the kill: committed or queued, never both.
            assert sorted(committed + queued) == list(range(BURST))

            base = await second.start()

            async def all_run() -> bool:
                status, entries = await read_entity(http, base, "burst")
                return status == 200 and len(entries) >= BURST

            await wait_until(all_run, timeout=120, what=f"all {BURST} appends")
            assert await second.stop() == 0
            first_pid, second_pid = first.pid, second.pid
    finally:
        first.ensure_dead()
        second.ensure_dead()

    final = read_state(state)
    # Nothing lost, nothing twice, arrival order kept: the state at the kill, then the queue.
    assert committed_entries(final, "burst") == committed + queued
    assert final.entity_requests(journal_id("burst")) == []

    runs = read_journal_log(log)
    before, after = runs_in(runs, first_pid, "burst"), runs_in(runs, second_pid, "burst")
    # Before the kill the entity ran the committed appends, then at most one uncommitted batch
    # (the one the kill interrupted), which was still queued.
    assert before[: len(committed)] == committed
    in_flight = before[len(committed):]
    assert len(in_flight) <= BATCH_SIZE and in_flight == queued[: len(in_flight)], (in_flight, queued[:BATCH_SIZE])
    # After the restart it ran exactly the queued appends, once each, in order; no committed one.
    assert after == queued


# -- 3. an orchestration waiting on call_entity ---------------------------------------------


async def test_an_orchestration_waiting_on_call_entity_at_a_sigkill_completes_after_the_restart_with_the_right_result(
    tmp_path: Path,
) -> None:
    state, log = tmp_path / "state.sqlite", tmp_path / "journal.log"
    env = host_environment(**{LOG_ENV: str(log), DELAY_ENV: APPEND_DELAY})
    first = HostProcess(APP, state, tmp_path / "host-1.out", env)
    second = HostProcess(APP, state, tmp_path / "host-2.out", env)
    caller, key, value = "waiting-caller", "shared", 1_000_000
    try:
        async with aiohttp.ClientSession() as http:
            base = await first.start()
            # The call queues behind a burst of signals, so the orchestration waits for its response.
            await signal_burst(http, base, key, range(AHEAD_OF_CALL))
            await start_append_and_read(http, base, caller, key, value)

            def call_sent_and_queued() -> bool:
                snapshot = read_state(state)
                sent = event_count(snapshot.history.get(caller, []), EventType.EVENT_SENT) == 1
                return sent and any(r.parent == caller for r in snapshot.entity_requests(journal_id(key)))

            await wait_until(call_sent_and_queued, timeout=60, what="the orchestration's call recorded and queued")
            first.kill()

            at_kill = read_state(state)
            history = at_kill.history[caller]
            assert at_kill.instances[caller]["status"] == "Running"
            assert event_count(history, EventType.EVENT_SENT) == 1
            assert event_count(history, EventType.EVENT_RAISED) == 0, "the response had not arrived"
            assert not [e for iid, e in at_kill.messages if iid == caller], "no response was on its way"
            calls = [r for r in at_kill.entity_requests(journal_id(key)) if r.parent == caller]
            assert len(calls) == 1 and not calls[0].signal and operation_value(calls[0]) == value
            committed = committed_entries(at_kill, key)
            queued = queued_values(at_kill, key)
            print(f"\nkilled with {len(committed)} appends committed and {len(queued)} queued (the call last)")
            assert queued[-1] == value, "the call arrived after every signal"

            base = await second.start()
            status = await wait_completed(http, base, caller, timeout=120)
            assert await second.stop() == 0
            second_pid = second.pid
    finally:
        first.ensure_dead()
        second.ensure_dead()

    entries = committed + queued
    # The signals arrived in the order the host accepted them (concurrently sent); the call last.
    assert sorted(entries[:-1]) == list(range(AHEAD_OF_CALL)) and entries[-1] == value
    assert status["output"] == {"position": AHEAD_OF_CALL + 1, "entries": entries}
    final = read_state(state)
    assert committed_entries(final, key) == entries
    history = final.history[caller]
    assert history_problems(history) == []
    # One request sent per call (append, get), one response each: the replay after the
    # restart did not send the append again.
    assert event_count(history, EventType.EVENT_SENT) == 2
    assert event_count(history, EventType.EVENT_RAISED) == 2
    assert runs_in(read_journal_log(log), second_pid, key).count(value) == 1
