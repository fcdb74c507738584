"""The sample app's own tests. They use nothing but durable-local's ``durable_host`` fixture:
no conftest.py, no set-up code, no pytest configuration.
"""

from datetime import timedelta

import pytest

from durable_local.testing import EventType

# pytest-asyncio runs marked async tests only in its default (strict) mode; harmless in auto mode.
pytestmark = pytest.mark.asyncio


async def test_waters_the_plant_once_a_day_for_ten_days(durable_host):
    instance_id = await durable_host.start("watering_schedule", {"plant": "fern", "days": 10})

    await durable_host.advance(days=9)
    assert await durable_host.custom_status(instance_id) == {"watered": 9, "of": 10}
    assert (await durable_host.status(instance_id)).runtime_status == "Running"

    await durable_host.advance(days=1)
    status = await durable_host.wait_for(instance_id, "Completed")
    assert status.last_updated_at - status.created_at == timedelta(days=10)
    output = await durable_host.output(instance_id)
    assert output["waterings"][0] == "day 1: watered the fern"
    assert len(output["waterings"]) == 10
    history = await durable_host.history(instance_id)
    assert [e["EventType"] for e in history].count(EventType.TIMER_FIRED) == 10


async def test_a_schedule_starts_over_http(durable_host):
    response = await durable_host.http.post(durable_host.url("/api/schedules"), json={"plant": "basil", "days": 2})
    assert response.status == 202
    instance_id = (await response.json())["id"]

    await durable_host.advance(days=2)
    assert (await durable_host.output(instance_id))["waterings"] == [
        "day 1: watered the basil",
        "day 2: watered the basil",
    ]


async def test_a_schedule_without_days_is_refused(durable_host):
    response = await durable_host.http.post(durable_host.url("/api/schedules"), json={"plant": "basil"})
    assert response.status == 400
    assert "days" in (await response.json())["error"]


@pytest.mark.durable_local(clock="auto-skip")
async def test_the_auto_skip_clock_runs_a_whole_month_without_advancing(durable_host):
    instance_id = await durable_host.start("watering_schedule", {"plant": "cactus", "days": 30})
    output = await durable_host.output(instance_id)
    assert len(output["waterings"]) == 30


async def test_plant_sitting_ends_when_the_owner_is_back(durable_host):
    instance_id = await durable_host.start("plant_sitting", {"plant": "orchid", "max_days": 14})
    await durable_host.advance(days=3)
    assert await durable_host.custom_status(instance_id) == {"watered": 3}

    await durable_host.raise_event(instance_id, "OwnerBack", {"name": "Ana"})
    status = await durable_host.wait_for(instance_id, "Completed")
    assert await durable_host.output(instance_id) == {"plant": "orchid", "days": 3, "handed_over_to": "Ana"}
    assert status.last_updated_at - status.created_at == timedelta(days=3)
