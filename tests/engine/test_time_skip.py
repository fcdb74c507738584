"""Clocks: skipping virtual time without sleeping."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

from durable_local.protocol import EventType
from durable_local.services.clock import AutoSkipClock

from .conftest import running_engine


async def test_ten_daily_reminders_complete_under_auto_skip_one_virtual_day_apart(basic_registry, basic_app) -> None:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    async with running_engine(basic_registry, clock=AutoSkipClock(start)) as engine:
        instance_id = await engine.start("reminders")
        # Ten virtual days inside a 10 s wait can only pass if the idle host skipped them; the
        # wall time itself is a figure for bench/run.py time-skip, not something to assert.
        status = await engine.wait_for(instance_id, timeout=10)
    assert json.loads(status.output) == [f"Hello reminder {day}!" for day in range(1, 11)]
    fired = [e for e in await_history(engine, instance_id) if e["EventType"] == EventType.TIMER_FIRED]
    days = [datetime.fromisoformat(e["FireAt"][:26]).replace(tzinfo=UTC) for e in fired]
    assert [(d - start.replace(microsecond=0)).days for d in days] == list(range(1, 11))
    gaps = {(b - a) for a, b in itertools.pairwise(days)}
    assert gaps == {timedelta(days=1)}


def await_history(engine, instance_id):
    return engine.host.store.get_history(instance_id)


async def test_auto_skip_delivers_an_event_already_queued_before_jumping_to_the_timer(basic_registry, basic_app) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    async with running_engine(basic_registry, clock=AutoSkipClock(start)) as engine:
        instance_id = await engine.start("human", 1)
        await engine.raise_event(instance_id, "Approval", "quick")
        output = await engine.output(instance_id)
    # the event was delivered before the skipped clock could reach the one-hour deadline
    assert output == {"outcome": "approved", "data": "quick"}
