"""Instance detail: JSON panels, the timeline built from the friendly history, the raw history."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from playwright.async_api import Route, expect

from tests.browser.conftest import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def timeline_steps(dashboard: Dashboard) -> list[list[str]]:
    rows = dashboard.page.locator("ol.timeline > li")
    await expect(rows.first).to_be_visible()
    steps: list[list[str]] = await rows.evaluate_all(
        "items => items.map(li => [li.dataset.kind, li.dataset.name, li.dataset.state])"
    )
    return steps


async def test_timeline_of_an_escalated_approval_shows_its_steps_in_order(dashboard: Dashboard) -> None:
    api, host = dashboard.api, dashboard.host
    await api.start_approval("trip-1", "Conference trip", deadline="PT30M", escalationDeadline="PT2H")
    await host.advance(timedelta(minutes=31))  # the deadline passes: escalated
    await host.advance(timedelta(minutes=10))
    await api.decide("trip-1", by="head-of-department@contoso.com")

    page = await dashboard.open("#/instances/trip-1")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")
    assert await timeline_steps(dashboard) == [
        ["lifecycle", "approval_orchestrator", "mark"],
        ["activity", "NotifyApprover", "completed"],
        ["timer", "", "fired"],            # the 30-minute deadline
        ["activity", "Escalation", "completed"],
        ["timer", "", "cancelled"],        # the escalation deadline, lost to the decision
        ["event", "ApprovalDecision", "mark"],
        ["activity", "Approval", "completed"],
        ["lifecycle", "", "mark"],
    ]
    timer = page.locator("ol.timeline > li[data-kind=timer]").first
    await expect(timer.locator(".tl-meta")).to_contain_text("30 min")
    # History timestamps are virtual; shown in the viewer's zone (UTC+1) with UTC on hover.
    await expect(timer.locator(".tl-meta time").first).to_have_text("10:00:00")
    await expect(timer.locator(".tl-meta time").first).to_have_attribute("title", re.compile(r"^2026-01-05T09:00:00"))
    await expect(page.locator(".timeline-caption")).to_contain_text("virtual time")
    await expect(page.locator("#host-time")).to_contain_text("5 Jan 2026, 10:41")
    await expect(page.locator("#host-time")).to_contain_text("manual clock")
    await expect(page.locator("#workers")).to_have_text("in process")  # run_host's default

    await expect(page.get_by_role("region", name="Output")).to_contain_text('"escalated": true')
    await expect(page.get_by_role("region", name="Custom status")).to_contain_text('"stage": "approved"')
    raw = page.locator("details.raw-history")
    await expect(raw.locator("pre")).to_be_hidden()
    await raw.get_by_text("Raw history (9 events)").click()
    await expect(raw.locator("pre")).to_contain_text('"EventType": "TimerCreated"')


FAILED_PAYLOAD = {
    "name": "checkout", "instanceId": "made-up", "runtimeStatus": "Failed",
    "input": {"order": 7}, "customStatus": None, "output": "Orchestrator function 'checkout' failed: card declined",
    "createdTime": "2026-01-05T09:00:00Z", "lastUpdatedTime": "2026-01-05T09:05:00Z",
    "historyEvents": [
        {"EventType": "ExecutionStarted", "Timestamp": "2026-01-05T09:00:00.0000010Z", "FunctionName": "checkout"},
        {"EventType": "SubOrchestrationInstanceCompleted", "Timestamp": "2026-01-05T09:01:00.0000000Z",
         "ScheduledTime": "2026-01-05T09:00:00.0000020Z", "FunctionName": "reserve_stock", "InstanceId": "child-7"},
        {"EventType": "TimerCreated", "Timestamp": "2026-01-05T09:01:00.0000010Z", "FireAt": "2026-01-05T10:00:00.0000000Z"},
        {"EventType": "TimerCreated", "Timestamp": "2026-01-05T09:01:00.0000020Z", "FireAt": "2026-01-05T09:02:00.0000000Z"},
        {"EventType": "TimerFired", "Timestamp": "2026-01-05T09:02:00.0000000Z", "FireAt": "2026-01-05T09:02:00.0000000Z"},
        {"EventType": "TaskFailed", "Timestamp": "2026-01-05T09:04:00.0000000Z", "ScheduledTime": "2026-01-05T09:03:00.0000000Z",
         "FunctionName": "charge_card", "Reason": "Activity function 'charge_card' failed: card declined", "Details": None},
        {"EventType": "ExecutionCompleted", "Timestamp": "2026-01-05T09:05:00.0000000Z", "OrchestrationStatus": "Failed",
         "Result": "Orchestrator function 'checkout' failed: card declined", "FailureDetails": None},
    ],
}


async def test_timeline_pairs_timers_by_fire_time_links_sub_orchestrations_and_shows_failures(dashboard: Dashboard) -> None:
    page = dashboard.page

    async def fake_status(route: Route) -> None:
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(FAILED_PAYLOAD))

    await page.route(re.compile(r".*/runtime/webhooks/durabletask/instances/made-up\?.*"), fake_status)
    await dashboard.open("#/instances/made-up")
    assert await timeline_steps(dashboard) == [
        ["lifecycle", "checkout", "mark"],
        ["suborchestration", "reserve_stock", "completed"],
        ["timer", "", "cancelled"],   # created first, due at 10:00, never fired
        ["timer", "", "fired"],       # due at 09:02: paired by FireAt, not by order
        ["activity", "charge_card", "failed"],
        ["lifecycle", "", "failed"],
    ]
    failed = page.locator("ol.timeline > li[data-kind=activity][data-state=failed]")
    await expect(failed.locator(".tl-reason")).to_have_text("Activity function 'charge_card' failed: card declined")
    await expect(failed.locator(".tl-bar")).to_have_css("background-color", "rgb(179, 38, 30)")
    await expect(page.locator("ol.timeline > li[data-kind=lifecycle][data-state=failed] .tl-reason")).to_contain_text(
        "card declined"
    )
    await page.get_by_role("link", name="reserve_stock").click()
    await expect(page).to_have_url(re.compile(r"#/instances/child-7$"))


async def test_unknown_instance_says_so(dashboard: Dashboard) -> None:
    page = await dashboard.open("#/instances/never-started")
    await expect(page.get_by_text("No instance with ID")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("never-started")
