"""Golden histories: the exact context JSON the engine sends the SDK, episode by episode.

Two sources of truth:

* the protocol reference's worked example, kept in ``tests/data/reference/`` (four episodes of
  an approval: context JSON in, reply out), replayed with the same orchestrator, clock and ids;
  compared on every field the reference shows;
* recorded files under ``tests/data/golden/`` for further orchestrations, compared exactly.
  Regenerate them deliberately with ``DURABLE_LOCAL_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from durable_local.services.clock import ManualClock
from durable_local.services.loader import Registry, load_app
from durable_local.services.store import SqliteStore

from .conftest import APPS, running_engine

DATA = Path(__file__).resolve().parents[1] / "data"
REFERENCE = DATA / "reference" / "example-approval-episodes.txt"
GOLDEN = DATA / "golden"
_EXECUTION = "0b9f3c2a8d7e4f6a9b1c2d3e4f5a6b7c"


def _record(registry: Registry) -> tuple[Registry, list[dict[str, Any]]]:
    """A copy of ``registry`` whose orchestrators log every (context, reply) pair."""
    episodes: list[dict[str, Any]] = []
    recorded = {}
    for name, orchestrator in registry.orchestrators.items():
        def handle(context: str, _inner=orchestrator.handle) -> str:
            reply = _inner(context)
            episodes.append({"context": json.loads(context), "reply": json.loads(reply)})
            return reply

        recorded[name] = dataclasses.replace(orchestrator, handle=handle)
    return dataclasses.replace(registry, orchestrators=recorded), episodes


def _normalise_ids(value: Any) -> Any:
    """ExecutionIds are random per run and failure details hold stacks naming the checkout; the
    rest must match."""
    text = json.dumps(value)
    text = re.sub(r'"Details": "\{[^"\\]*(?:\\.[^"\\]*)*"', '"Details": "<serialized cause>"', text)
    ids = set(re.findall(r'"ExecutionId": "([0-9a-f]{32})"', text))
    for execution_id in ids:
        text = text.replace(execution_id, _EXECUTION)
    return json.loads(text)


def _reference_episodes() -> list[dict[str, Any]]:
    blocks = re.split(r"^#### .*$", REFERENCE.read_text(encoding="utf-8"), flags=re.M)[1:]
    parsed = [json.loads(b) for b in blocks]
    return [{"context": parsed[i], "reply": parsed[i + 1]} for i in range(0, len(parsed), 2)]


def _matches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences where ``actual`` lacks or changes a field that ``expected`` shows."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key == "Input" and expected.get("EventType") == 4:
                # TaskScheduled.Input: the reference's prose (DTFx stores ScheduleTask's params
                # array) and its hand-written example disagree; we follow the prose. The SDK
                # never reads this field.
                if json.loads(actual[key]) != [value]:
                    problems.append(f"{path}.Input: {actual[key]!r} does not wrap {value!r}")
                continue
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += _matches(value, actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual, strict=False)) for p in _matches(e, a, f"{path}[{i}]")]
    if isinstance(expected, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", expected):
        # Python datetimes carry 6 fractional digits; the reference was written with 7.
        return [] if expected[:26] == actual[:26] else [f"{path}: {actual!r} != {expected!r}"]
    return [] if expected == actual else [f"{path}: {actual!r} != {expected!r}"]


async def test_episodes_match_the_reference_example_field_by_field() -> None:
    with load_app(APPS / "reference") as loaded:
        await _replay_reference(loaded)


async def _replay_reference(loaded: Registry) -> None:
    registry, episodes = _record(loaded)
    phase = registry.module.PHASE
    start = datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    # The reference's timeline: start at 12:00:00, first result at 12:00:02, the event at
    # 12:30:02, the last result at 12:30:03. The fixture's activities move the phase on.
    moments = [start, start + timedelta(seconds=2), start + timedelta(minutes=30, seconds=2), start + timedelta(minutes=30, seconds=3)]
    clock = _PhaseClock(moments, phase)
    async with running_engine(registry, clock=clock) as engine:
        instance_id = "7f1c9a0e5b2d4c8e9f00112233445566"
        await engine.start("approval_orchestrator", {"requestId": "R-1", "amount": 1200}, instance_id=instance_id)
        await engine.idle()
        phase[0] = 2
        await engine.raise_event(instance_id, "ApprovalEvent", {"approved": True, "by": "manager@contoso.com"})
        status = await engine.wait_for(instance_id)
    assert json.loads(status.output) == "Approved R-1"
    reference = _reference_episodes()
    assert len(episodes) == len(reference) == 4
    for number, (expected, actual) in enumerate(zip(reference, _normalise_ids(episodes), strict=False), start=1):
        problems = _matches(expected, actual)
        assert not problems, f"episode {number}:\n" + "\n".join(problems)
        # nothing beyond the reference's top-level keys is sent, in the extension's order
        assert list(actual["context"]) == list(expected["context"])


class _PhaseClock(ManualClock):
    """Stands at ``moments[phase[0]]``."""

    def __init__(self, moments: list[datetime], phase: list[int]) -> None:
        super().__init__(moments[0])
        self._moments = moments
        self._phase = phase

    def now(self) -> datetime:
        return self._moments[self._phase[0]]


GOLDEN_CASES = {
    "chaining": (["Tokyo", "London"], []),
    "retrying": ({"key": "golden", "succeed_on": 2, "attempts": 3}, [timedelta(seconds=2)]),
    "human": (1, [timedelta(hours=2)]),
    "monitor": ({"round": 0, "max": 2}, [timedelta(minutes=31), timedelta(minutes=31)]),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
async def test_context_json_of_every_episode_matches_the_recorded_golden_file(name: str, basic_registry, basic_app) -> None:
    registry, episodes = _record(basic_registry)
    inputs, steps = GOLDEN_CASES[name]
    clock = ManualClock(datetime(2026, 2, 1, 8, 0, tzinfo=UTC))
    async with running_engine(registry, clock=clock, store=SqliteStore(":memory:")) as engine:
        instance_id = await engine.start(name, inputs, instance_id=f"golden-{name}")
        await engine.idle()
        for step in steps:
            await engine.advance(step)
        await engine.wait_for(instance_id)
    actual = _normalise_ids(episodes)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("DURABLE_LOCAL_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected
