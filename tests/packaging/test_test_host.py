"""TestHost's helpers for users' tests, on the sample app, through the installed fixture in-process.

The module's marker points ``durable_host`` at the sample app (a path relative to the rootdir).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from durable_local.errors import InstanceGone, InstanceNotFound
from durable_local.testing import TestHost

APP = "tests/packaging/sample_app"
pytestmark = pytest.mark.durable_local(app=APP)


async def test_advance_adds_a_timedelta_and_keyword_parts(durable_host: TestHost) -> None:
    start = durable_host.now()
    instance_id = await durable_host.start("watering_schedule", {"plant": "fern", "days": 2})

    await durable_host.advance(timedelta(hours=12), days=1, hours=12)

    assert durable_host.now() == start + timedelta(days=2)
    status = await durable_host.status(instance_id)
    assert status is not None and status.runtime_status == "Completed"


async def test_advance_refuses_a_negative_step(durable_host: TestHost) -> None:
    with pytest.raises(ValueError, match="backwards"):
        await durable_host.advance(days=-1)


@pytest.mark.durable_local(app=APP, clock="auto-skip")
async def test_advance_needs_the_manual_clock(durable_host: TestHost) -> None:
    with pytest.raises(TypeError, match="ManualClock"):
        await durable_host.advance(days=1)


async def test_custom_status_of_an_unknown_instance_is_an_error(durable_host: TestHost) -> None:
    with pytest.raises(InstanceNotFound):
        await durable_host.custom_status("no-such-instance")


async def test_wait_for_custom_status_takes_a_value_or_a_predicate(durable_host: TestHost) -> None:
    instance_id = await durable_host.start("watering_schedule", {"plant": "fern", "days": 5})
    # The predicate is not asked while no custom status is set (it would fail on None).
    await durable_host.idle()

    await durable_host.advance(days=2)

    assert await durable_host.wait_for_custom_status(instance_id, {"watered": 2, "of": 5}) == {"watered": 2, "of": 5}
    assert await durable_host.wait_for_custom_status(instance_id, lambda value: value["watered"] >= 2) == {
        "watered": 2,
        "of": 5,
    }


async def test_a_wait_the_manual_clock_cannot_end_says_why(durable_host: TestHost) -> None:
    instance_id = await durable_host.start("watering_schedule", {"plant": "fern", "days": 5})
    await durable_host.idle()

    with pytest.raises(TimeoutError, match="the clock is manual"):
        await durable_host.wait_for_custom_status(instance_id, lambda value: value["watered"] == 1, timeout=0.05)
    with pytest.raises(TimeoutError, match="the clock is manual"):
        await durable_host.wait_for(instance_id, timeout=0.05)


async def test_raise_event_to_a_finished_instance_is_refused(durable_host: TestHost) -> None:
    instance_id = await durable_host.start("plant_sitting", {"plant": "orchid", "max_days": 1})
    await durable_host.advance(days=1)
    assert await durable_host.output(instance_id) == {"plant": "orchid", "days": 1, "handed_over_to": None}

    with pytest.raises(InstanceGone):
        await durable_host.raise_event(instance_id, "OwnerBack", {"name": "Ana"})
