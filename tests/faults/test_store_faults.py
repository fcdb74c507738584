"""Injected store failures: an episode either commits whole or not at all, and is retried.

The engine runs in-process (``create_host``, real dispatcher and SDK, no HTTP) on a
:class:`SqliteStore` file whose ``fault`` hook raises once, at one named step inside
``commit_episode`` ("consume", "history", "activities", "messages", "instance", "commit"), on
the Nth episode. For each step, each orchestration (chaining, fan-out, timers) and each N:

* the episode is abandoned and retried: the instance still completes with the right output;
* the state file read by a separate connection while the failing transaction is open, and
  again right after it rolled back, equals the state before the episode: no partial episode;
* the final history is consistent (``invariants.history_problems``) and every activity ran
  exactly once.

Failures of ``complete_activity`` (the store call recording an activity result) are injected by
wrapping the method: before it writes, after it wrote (a lost acknowledgement), and for longer
than the dispatcher's own retries.

Sizes: N in (1, 2) by default; with ``DURABLE_LOCAL_FULL=1`` every episode the orchestration
always has: N in 1..4 for chaining (3 activities), 1..5 for the timers, 1..2 for fan-out (its 4
results may arrive in one episode, so it is sure to have only two).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from durable_local.composition import create_host
from durable_local.protocol import EventType, RuntimeStatus
from durable_local.records import ActivityItem, ActivityOutcome
from durable_local.services.clock import AutoSkipClock, ManualClock
from durable_local.services.loader import Registry, load_app
from durable_local.services.store import SqliteStore
from durable_local.testing import TestHost

from .apps import chain_blueprint
from .apps.chain_blueprint import expected_chain, step_value
from .invariants import history_problems

pytestmark = [pytest.mark.fault]

FULL = os.environ.get("DURABLE_LOCAL_FULL") == "1"
APP = Path(__file__).parent / "apps" / "chain"
STEPS = ("consume", "history", "activities", "messages", "instance", "commit")
#: orchestration -> episodes it always has (fan-out: 4 results may arrive in one episode)
ALWAYS_EPISODES = {"chain": 4, "fan_out": 2, "timer_chain": 5}
FAULT_CASES = [
    (name, step, episode)
    for name, episodes in ALWAYS_EPISODES.items()
    for step in STEPS
    for episode in range(1, (episodes if FULL else 2) + 1)
]


class InjectedFault(RuntimeError):
    """The failure the tests inject; nothing else raises it."""


def table_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read through a connection of its own (what another reader sees)."""
    db = sqlite3.connect(path)
    try:
        return {
            table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in ("instances", "history", "messages", "activities")
        }
    finally:
        db.close()


class FaultyStore(SqliteStore):
    """A file store that fails once at ``step`` of the ``episode``-th ``commit_episode`` call.

    Records the state seen by another connection before the failing episode, while its
    transaction is open (inside the hook) and right after the rollback.
    """

    def __init__(self, path: Path, step: str, episode: int) -> None:
        super().__init__(path, fault=self._hook)
        self.file = path
        self.step, self.episode = step, episode
        self.calls = 0
        self.fired = 0
        self.before: dict[str, Any] | None = None
        self.during: dict[str, Any] | None = None
        self.after: dict[str, Any] | None = None

    def _hook(self, step: str) -> None:
        if step == "consume":
            self.calls += 1
        if step == self.step and self.calls == self.episode and not self.fired:
            self.fired += 1
            self.during = table_rows(self.file)
            raise InjectedFault(f"injected failure at '{step}' of episode {self.calls}")

    def commit_episode(self, commit: Any) -> None:
        before = table_rows(self.file) if self.calls + 1 == self.episode and not self.fired else None
        try:
            super().commit_episode(commit)
        except InjectedFault:
            self.before, self.after = before, table_rows(self.file)
            raise


@pytest.fixture
def registry() -> Iterator[Registry]:
    with load_app(APP) as loaded:
        yield loaded


@asynccontextmanager
async def engine(registry: Registry, store: SqliteStore) -> AsyncIterator[TestHost]:
    host = create_host(registry, store=store, clock=ManualClock(), bindings=object())
    host.dispatcher.start()
    try:
        yield TestHost(host, session=None)  # type: ignore[arg-type]
    finally:
        await host.dispatcher.stop()
        store.close()


async def start(host: TestHost, name: str, params: dict[str, Any], instance_id: str) -> str:
    # Encoded as DurableOrchestrationClient.start_new sends it (JSON text of the JSON text).
    return await host.host.start_orchestration(name, instance_id, json.dumps(json.dumps(params)))


#: orchestration -> (input, expected output, activity run keys)
CASES: dict[str, tuple[dict[str, Any], Callable[[str], Any], Callable[[str], set[str]]]] = {
    "chain": ({"seed": 5, "steps": 3}, lambda iid: expected_chain(5, 3), lambda iid: {f"{iid} {n}" for n in range(3)}),
    "fan_out": ({"count": 4}, lambda iid: [step_value(n, n) for n in range(4)], lambda iid: {f"{iid} {n}" for n in range(4)}),
    "timer_chain": ({"seed": 9}, lambda iid: expected_chain(9, 2), lambda iid: {f"{iid} {n}" for n in range(2)}),
}


async def run_to_completion(host: TestHost, name: str, instance_id: str) -> Any:
    params, _, _ = CASES[name]
    await start(host, name, params, instance_id)
    if name == "timer_chain":
        await host.advance(timedelta(minutes=3))  # fires each 1-minute timer in turn
    status = await host.wait_for(instance_id, timeout=10)
    assert status.runtime_status is RuntimeStatus.COMPLETED, status.output
    return json.loads(status.output)


@pytest.mark.parametrize(("name", "step", "episode"), FAULT_CASES)
async def test_a_store_failure_inside_an_episode_rolls_it_back_and_the_retry_completes_the_instance(
    registry: Registry, tmp_path: Path, name: str, step: str, episode: int
) -> None:
    chain_blueprint.RUNS.clear()
    store = FaultyStore(tmp_path / "state.sqlite", step, episode)
    instance_id = f"{name}-{step}-{episode}"
    async with engine(registry, store) as host:
        output = await run_to_completion(host, name, instance_id)
        history = await host.history(instance_id)

    _, expected, run_keys = CASES[name]
    assert store.fired == 1, "the fault was not injected"
    assert output == expected(instance_id)
    # Nothing of the failed episode was visible to another reader, during or after it.
    assert store.during == store.before
    assert store.after == store.before
    assert history_problems(history) == []
    assert dict(chain_blueprint.RUNS) == dict.fromkeys(run_keys(instance_id), 1)


async def test_an_auto_skip_clock_does_not_skip_past_an_episode_waiting_to_be_retried(
    registry: Registry, tmp_path: Path
) -> None:
    # Two starts in one pass: timer_chain's first episode commits (its timer is a minute away),
    # chain's first episode (the second commit) fails and backs off. The host is then idle but
    # for that retry: virtual time must stay where it is until chain's episode has committed.
    store = FaultyStore(tmp_path / "state.sqlite", "commit", 2)
    clock = AutoSkipClock()
    host = create_host(registry, store=store, clock=clock, bindings=object())
    await start(TestHost(host, session=None), "timer_chain", {"seed": 9}, "timers")  # type: ignore[arg-type]
    await start(TestHost(host, session=None), "chain", {"seed": 5, "steps": 2}, "chain")  # type: ignore[arg-type]
    host.dispatcher.start()
    try:
        running = TestHost(host, session=None)  # type: ignore[arg-type]
        assert (await running.wait_for("chain", timeout=10)).runtime_status is RuntimeStatus.COMPLETED
        assert (await running.wait_for("timers", timeout=10)).runtime_status is RuntimeStatus.COMPLETED
        history = await running.history("chain")
    finally:
        await host.dispatcher.stop()
        store.close()
    assert store.fired == 1, "the fault was not injected"
    started = next(e for e in history if e["EventType"] == EventType.EXECUTION_STARTED)
    first_episode = next(e for e in history if e["EventType"] == EventType.ORCHESTRATOR_STARTED)
    # The auto-skip clock also runs in real time (milliseconds here); a skip would be the minute.
    waited = datetime.fromisoformat(first_episode["Timestamp"][:26]) - datetime.fromisoformat(started["Timestamp"][:26])
    assert waited < timedelta(seconds=30), f"time skipped {waited} before the retried episode ran"


# -- complete_activity ----------------------------------------------------------------------


def fail_complete_activity(store: SqliteStore, *, failures: int, after_write: bool) -> list[str]:
    """Make the next ``failures`` writes of activity results raise; returns a log of the results
    each write carried.

    The dispatcher records results with ``store.complete_activities`` (several per transaction).
    ``after_write``: the results are written and committed first, then the call raises (the
    caller cannot tell a lost acknowledgement from a failed write).
    """
    real = store.complete_activities
    calls: list[str] = []
    attempts = [0]

    def complete_activities(results: list[ActivityOutcome]) -> list[ActivityItem]:
        calls.extend(f"{outcome.item.instance_id}:{outcome.item.task_id}" for outcome in results)
        attempts[0] += 1
        if attempts[0] > failures:
            return real(results)
        if after_write:
            real(results)
        raise InjectedFault(f"injected failure #{attempts[0]} recording {len(results)} results")

    store.complete_activities = complete_activities  # type: ignore[method-assign]
    return calls


@pytest.mark.parametrize("after_write", [False, True], ids=["before-write", "after-write"])
async def test_a_failed_activity_result_write_is_retried_and_recorded_once(
    registry: Registry, tmp_path: Path, after_write: bool
) -> None:
    chain_blueprint.RUNS.clear()
    store = SqliteStore(tmp_path / "state.sqlite")
    calls = fail_complete_activity(store, failures=1, after_write=after_write)
    async with engine(registry, store) as host:
        output = await run_to_completion(host, "chain", "chain-retry")
        history = await host.history("chain-retry")
    assert output == expected_chain(5, 3)
    assert calls.count("chain-retry:0") == 2, f"the failed write was not retried once: {calls}"
    assert history_problems(history) == []
    assert dict(chain_blueprint.RUNS) == {f"chain-retry {n}": 1 for n in range(3)}


async def test_an_activity_result_that_cannot_be_recorded_for_a_while_is_not_lost(
    registry: Registry, tmp_path: Path
) -> None:
    """The store fails longer than the dispatcher retries one result (5 attempts), then recovers.

    At-least-once: the result must still reach the orchestration — by retrying the write, or by
    releasing the lease so the activity runs again — rather than leaving it leased until the
    host restarts.
    """
    chain_blueprint.RUNS.clear()
    store = SqliteStore(tmp_path / "state.sqlite")
    calls = fail_complete_activity(store, failures=8, after_write=False)
    async with engine(registry, store) as host:
        await start(host, "chain", {"seed": 5, "steps": 3}, "chain-outage")
        status = await host.wait_for("chain-outage", timeout=10)
        history = await host.history("chain-outage")
    assert len(calls) > 8
    assert status.runtime_status is RuntimeStatus.COMPLETED
    assert json.loads(status.output) == expected_chain(5, 3)
    assert history_problems(history) == []
