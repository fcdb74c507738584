"""This repository's own app, tested the way a user tests theirs: the installed plugin's fixture.

No run_host, no clock, no app path: ``durable_host`` runs the app at the rootdir (this
repository's root holds function_app.py) on a manual clock with state in memory.
"""

from __future__ import annotations

from durable_local.testing import EventType, TestHost


async def test_ten_daily_reminders_take_ten_virtual_days(durable_host: TestHost, azurite: str) -> None:
    # azurite: the reminders are queue messages (SendReminder's output binding).
    instance_id = await durable_host.start(
        "reminders_orchestrator", {"recipient": "ana@contoso.com", "message": "Please review the design"}
    )

    await durable_host.advance(days=9)
    assert (await durable_host.custom_status(instance_id))["sent"] == 9
    status = await durable_host.status(instance_id)
    assert status is not None and status.runtime_status == "Running"

    await durable_host.advance(days=1)
    output = await durable_host.output(instance_id)
    assert [reminder["number"] for reminder in output["reminders"]] == list(range(1, 11))
    history = await durable_host.history(instance_id)
    assert [event["EventType"] for event in history].count(EventType.TIMER_FIRED) == 10
