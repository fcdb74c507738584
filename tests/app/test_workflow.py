"""The approval workflow end to end on the local Durable host, in virtual time.

Each test runs the app from the repository root on :func:`durable_local.testing.run_host` with a
:class:`ManualClock` and an in-memory store, and talks to it over real HTTP. Time moves only when
a test calls ``host.advance``; nothing sleeps. The host sends the SDK the Azure Storage timer
settings (6-day maximum timer, 3-day chunks), so long timers behave as in production.

The notification activities write to the ``approval-notifications`` queue through their output
binding, so every workflow needs a storage account: the session's Azurite (``azurite`` fixture).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from approval.domain import DECISION_EVENT
from durable_local.services.clock import ManualClock
from durable_local.testing import TestHost, run_host

from .api_client import ApprovalClient, close_to, instant

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
APPROVER = "bob@contoso.com"
HEAD = "head-of-department@contoso.com"

# DTFx history event types (protocol notes, section 1.3).
TASK_SCHEDULED, TIMER_CREATED, TIMER_FIRED, EVENT_RAISED, ORCHESTRATOR_STARTED = 4, 10, 11, 15, 12


@pytest.fixture
async def host(
    app_dir: Path, azurite: str, approval_settings: dict[str, str]
) -> AsyncIterator[TestHost]:
    async with run_host(app_dir, clock=ManualClock(START), state=":memory:") as running:
        yield running


@pytest.fixture
def api(host: TestHost) -> ApprovalClient:
    return ApprovalClient(host)


async def awaiting(api: ApprovalClient, instance_id: str, stage: str = "awaiting_approval") -> dict:
    await api.host.idle()
    view = await api.view(instance_id)
    assert (view["runtimeStatus"], view["stage"]) == ("Running", stage), view
    return view


async def test_approves_when_the_approver_decides_before_the_deadline(api: ApprovalClient) -> None:
    started = await api.start(deadline="PT24H")
    instance_id = started["id"]
    view = await awaiting(api, instance_id)
    assert view["assignee"] == APPROVER
    assert close_to(view["deadline"], START + timedelta(hours=24))
    assert view["escalated"] is False and view["decision"] is None

    await api.host.advance(timedelta(hours=3))
    reply = await api.decide(instance_id, "approved", APPROVER, "Go ahead")
    assert reply.status == 202, reply.body

    result = await api.result(instance_id)
    assert result["outcome"] == "approved"
    assert (result["decidedBy"], result["comment"], result["escalated"]) == (
        APPROVER, "Go ahead", False)
    assert close_to(result["decidedAt"], START + timedelta(hours=3))
    assert close_to(result["requestedAt"], START)
    view = await api.view(instance_id)
    assert (view["runtimeStatus"], view["stage"], view["outcome"]) == (
        "Completed", "approved", "approved")
    assert view["decision"]["by"] == APPROVER


async def test_rejects_when_the_approver_rejects(api: ApprovalClient) -> None:
    instance_id = (await api.start())["id"]
    await awaiting(api, instance_id)
    assert (await api.decide(instance_id, "rejected", APPROVER, "Too expensive")).status == 202
    result = await api.result(instance_id)
    assert (result["outcome"], result["comment"], result["escalated"]) == (
        "rejected", "Too expensive", False)


async def test_escalates_when_no_decision_before_deadline_and_the_target_decides(
    api: ApprovalClient,
) -> None:
    instance_id = (await api.start())["id"]  # deadlines from the settings: PT24H / PT24H
    await awaiting(api, instance_id)

    await api.host.advance(timedelta(hours=24, minutes=1))
    view = await awaiting(api, instance_id, "escalated")
    assert view["assignee"] == HEAD and view["escalated"] is True
    assert close_to(view["escalatedAt"], START + timedelta(hours=24))
    assert close_to(view["deadline"], START + timedelta(hours=48))

    assert (await api.decide(instance_id, "approved", HEAD)).status == 202
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["escalated"]) == (
        "approved", HEAD, True)


async def test_expires_when_nobody_decides(api: ApprovalClient) -> None:
    instance_id = (await api.start(deadline="PT1H", escalationDeadline="PT2H"))["id"]
    await awaiting(api, instance_id)
    await api.host.advance(timedelta(hours=1))
    await awaiting(api, instance_id, "escalated")
    await api.host.advance(timedelta(hours=2))
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["escalated"]) == (
        "expired", None, True)
    assert result["decidedAt"] is None
    assert close_to(result["completedAt"], START + timedelta(hours=3))
    assert (await api.view(instance_id))["stage"] == "expired"


async def test_a_decision_after_completion_is_refused(api: ApprovalClient) -> None:
    started = await api.start()
    instance_id = started["id"]
    await awaiting(api, instance_id)
    assert (await api.decide(instance_id, "rejected")).status == 202
    await api.result(instance_id)

    late = await api.decide(instance_id, "approved")
    assert late.status == 409
    assert (late.body["error"], late.body["runtimeStatus"], late.body["stage"]) == (
        "not_awaiting_decision", "Completed", "rejected")
    gone = await api.send_event(started, {"decision": "approved", "by": APPROVER})
    assert gone.status == 410
    assert (await api.result(instance_id))["outcome"] == "rejected"


async def test_accepts_a_curl_style_event_on_send_event_post_uri(api: ApprovalClient) -> None:
    started = await api.start()
    await awaiting(api, started["id"])
    reply = await api.send_event(started, {"decision": "approved", "by": APPROVER, "comment": "ok"})
    assert reply.status == 202
    result = await api.result(started["id"])
    assert (result["outcome"], result["decidedBy"], result["comment"]) == (
        "approved", APPROVER, "ok")


async def test_accepts_a_client_style_event_raised_with_the_python_sdk(
    api: ApprovalClient,
) -> None:
    instance_id = (await api.start())["id"]
    await awaiting(api, instance_id)
    # raise_event json.dumps the dict: the orchestrator receives JSON *text* (SDK issue #295).
    await api.host.client().raise_event(
        instance_id, DECISION_EVENT, {"decision": "rejected", "by": APPROVER})
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"]) == ("rejected", APPROVER)


async def test_ignores_event_payloads_without_a_valid_decision(api: ApprovalClient) -> None:
    started = await api.start()
    instance_id = started["id"]
    await awaiting(api, instance_id)
    for junk in ({"decision": "maybe", "by": APPROVER}, "approved", [1, 2], {"by": APPROVER}):
        assert (await api.send_event(started, junk)).status == 202
    await awaiting(api, instance_id)  # still waiting, nothing recorded

    assert (await api.decide(instance_id, "approved")).status == 202
    result = await api.result(instance_id)
    assert (result["outcome"], result["ignoredEvents"]) == ("approved", 4)


@pytest.mark.parametrize(
    ("events", "outcome", "ignored"),
    [
        ([{"decision": "nonsense"}, {"decision": "rejected", "by": APPROVER}], "rejected", 1),
        ([{"decision": "approved", "by": APPROVER}, {"decision": "nonsense"}], "approved", 0),
    ],
)
async def test_events_raised_right_after_the_start_are_each_delivered_once(
    api: ApprovalClient, events: list[dict[str, str]], outcome: str, ignored: int
) -> None:
    # Raised at once, typically while NotifyApprover runs. SDK issue #507: an event that arrives
    # while no wait is open is buffered and handed to every later wait with the same name (a
    # junk payload would then be re-read forever); the orchestrator keeps its wait open instead.
    started = await api.start()
    for event in events:
        assert (await api.send_event(started, event)).status == 202
    result = await api.result(started["id"])
    assert (result["outcome"], result["ignoredEvents"]) == (outcome, ignored)


async def test_a_long_deadline_runs_on_short_timers_and_a_decision_completes_the_instance(
    api: ApprovalClient,
) -> None:
    instance_id = (await api.start(deadline="P14D"))["id"]
    await awaiting(api, instance_id)
    await api.host.advance(timedelta(days=6))
    view = await awaiting(api, instance_id)
    assert close_to(view["deadline"], START + timedelta(days=14))

    assert (await api.decide(instance_id)).status == 202
    # Completed without advancing the clock: the open timer was really cancelled (SDK #573
    # would leave the instance Running until a >6-day timer's hidden child fired).
    result = await api.result(instance_id)
    assert result["outcome"] == "approved"

    history = await api.host.history(instance_id)
    started_at = [
        instant(e["Timestamp"]) for e in history if e["EventType"] == ORCHESTRATOR_STARTED]
    for timer in (e for e in history if e["EventType"] == TIMER_CREATED):
        episode = max(t for t in started_at if t <= instant(timer["Timestamp"]))
        assert instant(timer["FireAt"]) - episode <= timedelta(days=5)


async def test_a_long_deadline_escalates_exactly_when_it_passes(api: ApprovalClient) -> None:
    instance_id = (await api.start(deadline="P14D"))["id"]
    await awaiting(api, instance_id)
    await api.host.advance(timedelta(days=14) - timedelta(seconds=1))
    await awaiting(api, instance_id)
    await api.host.advance(timedelta(seconds=1))
    view = await awaiting(api, instance_id, "escalated")
    assert close_to(view["escalatedAt"], START + timedelta(days=14))
    fire_times = [instant(e["FireAt"]) for e in await api.host.history(instance_id)
                  if e["EventType"] == TIMER_CREATED]
    assert fire_times[-2] == instant(view["requestedAt"]) + timedelta(days=14)


async def test_no_instance_stays_running_after_decisions(api: ApprovalClient) -> None:
    ids = [(await api.start(deadline=d))["id"] for d in ("PT1H", "P7D", "P30D")]
    await api.host.advance(timedelta(minutes=30))
    for instance_id in ids:
        assert (await api.decide(instance_id)).status == 202
    await api.host.idle()
    for instance_id in ids:
        status = await api.host.status(instance_id)
        assert status is not None and status.runtime_status == "Completed"


async def test_sends_ten_reminders_exactly_one_virtual_day_apart(api: ApprovalClient) -> None:
    reply = await api.request("POST", "/api/reminders",
                              {"recipient": "ada@contoso.com", "message": "Review the design"})
    assert reply.status == 202, reply.body
    instance_id = reply.body["id"]
    await api.host.idle()
    status = await api.host.status(instance_id)
    assert status is not None and status.custom_status is not None
    progress = json.loads(status.custom_status)
    started_at = instant(progress["startedAt"])
    assert instant(progress["nextDueAt"]) == started_at + timedelta(days=1)

    await api.host.advance(timedelta(days=10))
    result = await api.result(instance_id)
    reminders = result["reminders"]
    assert [r["number"] for r in reminders] == list(range(1, 11))
    assert [instant(r["dueAt"]) for r in reminders] == [
        started_at + timedelta(days=n) for n in range(1, 11)]
    assert [r["id"] for r in reminders] == [f"{instance_id}:reminder-{n}" for n in range(1, 11)]
    assert {r["status"] for r in reminders} == {"sent"} and result["notificationFailures"] == []

    history = await api.host.history(instance_id)
    fire_at = [instant(e["FireAt"]) for e in history if e["EventType"] == TIMER_CREATED]
    assert fire_at == [started_at + timedelta(days=n) for n in range(1, 11)]
    sent = [e for e in history if e["EventType"] == TASK_SCHEDULED and e["Name"] == "SendReminder"]
    assert len(sent) == 10
    for n, event in enumerate(sent, start=1):
        assert close_to(event["Timestamp"], started_at + timedelta(days=n))
        assert close_to(reminders[n - 1]["at"], started_at + timedelta(days=n))


async def test_reminders_accept_a_demo_interval_and_count_through_the_generic_starter_too(
    api: ApprovalClient,
) -> None:
    reply = await api.request("POST", "/api/orchestrators/reminders_orchestrator", {
        "recipient": "ada@contoso.com", "message": "m", "interval": "PT10S", "count": 3})
    instance_id = reply.body["id"]
    await api.host.advance(timedelta(seconds=30))
    result = await api.result(instance_id)
    assert (result["count"], result["interval"], len(result["reminders"])) == (3, "PT10S", 3)
