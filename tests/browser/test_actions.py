"""Actions from the page, each confirmed in a dialog, checked afterwards through the API."""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

APPROVAL_INPUT = {
    "title": "Team offsite", "requester": "ada@contoso.com", "approver": "bob@contoso.com",
    "escalateTo": "head-of-department@contoso.com", "deadline": "PT24H", "escalationDeadline": "PT24H",
}


async def confirm(page: Page, button: str) -> None:
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name=button, exact=True).click()
    await expect(dialog).to_have_count(0)


async def test_start_validates_json_then_starts_and_raise_event_completes_it(dashboard: Dashboard) -> None:
    page = await dashboard.open("#/start")
    await page.get_by_label("Orchestrator").select_option("approval_orchestrator")
    await page.get_by_label("Instance ID (optional)").fill("ui-start")
    json_input = page.get_by_label("Input (JSON)")
    await json_input.fill('{"title": "Team offsite",}')
    await expect(json_input).to_have_attribute("aria-invalid", "true")
    await page.get_by_role("button", name="Start…").click()
    await expect(page.get_by_role("alert")).to_contain_text("Invalid JSON")
    await expect(page.get_by_role("dialog")).to_have_count(0)
    assert (await dashboard.api.status("ui-start"))[0] == 404  # nothing was sent

    await json_input.fill(json.dumps(APPROVAL_INPUT))
    await expect(json_input).to_have_attribute("aria-invalid", "false")
    await page.get_by_role("button", name="Start…").click()
    await confirm(page, "Start")
    await expect(page.locator(".notice-success")).to_contain_text("Started approval_orchestrator (HTTP 202)")
    await dashboard.host.idle()
    code, status = await dashboard.api.status("ui-start")
    assert code == 202 and status["runtimeStatus"] == "Running"
    assert status["customStatus"]["stage"] == "awaiting_approval"

    await page.locator(".start-result").get_by_role("link", name="ui-start").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Running")
    await page.get_by_role("button", name="Raise event…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Event name").fill("ApprovalDecision")
    await dialog.get_by_label("Payload (JSON)").fill('{"decision": "approved", "by": "bob@contoso.com"')
    await dialog.get_by_role("button", name="Raise event").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("Invalid JSON")
    await dialog.get_by_label("Payload (JSON)").fill('{"decision": "approved", "by": "bob@contoso.com"}')
    await confirm(page, "Raise event")
    await expect(page.locator(".notice-success")).to_contain_text("Event 'ApprovalDecision' raised (HTTP 202)")

    final = await dashboard.host.wait_for("ui-start")
    assert final.runtime_status == "Completed"
    assert json.loads(final.output or "{}")["outcome"] == "approved"
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")


async def test_terminate_then_purge_and_errors_are_shown_as_the_api_says(dashboard: Dashboard) -> None:
    await dashboard.api.start_approval("ui-stop", "To be stopped")
    page = await dashboard.open("#/instances/ui-stop")
    await page.get_by_role("button", name="Terminate…").click()
    await page.get_by_role("dialog").get_by_label("Reason (optional)").fill("no longer needed")
    await confirm(page, "Terminate")
    await expect(page.locator(".notice-success")).to_contain_text("Terminate requested (HTTP 202)")
    await dashboard.host.wait_for("ui-stop", "Terminated")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Terminated")

    # An action the API refuses: its words, with the status code.
    page_api_error = await page.evaluate(
        "async () => (await fetch('/runtime/webhooks/durabletask/instances/ui-stop/terminate', {method: 'POST'})).status"
    )
    assert page_api_error == 410
    await dashboard.api.start_approval("ui-live", "Still running")
    await page.goto(dashboard.url + "#/instances/ui-live")
    await page.get_by_role("button", name="Restart…").click()
    await page.get_by_role("dialog").get_by_label("Under a new instance ID").uncheck()
    await confirm(page, "Restart")
    await expect(page.locator(".notice-error")).to_contain_text("Restart failed (HTTP 409)")
    await expect(page.locator(".notice-error")).to_contain_text("ui-live")

    await page.goto(dashboard.url + "#/instances/ui-stop")
    await page.get_by_role("button", name="Purge…").click()
    await confirm(page, "Purge")
    await expect(page.locator(".notice-success")).to_contain_text("Purged ui-stop")
    await expect(page).to_have_url(re.compile(r"#/instances$"))
    assert (await dashboard.api.status("ui-stop"))[0] == 404


async def test_suspend_resume_and_purge_by_filter(dashboard: Dashboard) -> None:
    api = dashboard.api
    await api.start_approval("ui-pause", "Paused for a while")
    page = await dashboard.open("#/instances/ui-pause")
    await page.get_by_role("button", name="Suspend…").click()
    await confirm(page, "Suspend")
    await dashboard.host.wait_for("ui-pause", "Suspended")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Suspended")
    await page.get_by_role("button", name="Resume…").click()
    await confirm(page, "Resume")
    # The page's own acknowledgement first: a notice still on its way would land on the next view.
    await expect(page.locator(".notice-success", has_text="Resume requested")).to_be_visible()
    await dashboard.host.wait_for("ui-pause", "Running")

    await api.start_failing("ui-failed-1")
    await api.start_failing("ui-failed-2")
    await page.goto(dashboard.url + "#/instances")
    await expect(page.locator("table.instances tbody tr")).to_have_count(3)
    await page.get_by_role("button", name="Purge by filter…").click()
    dialog = page.get_by_role("dialog")
    for status in ("Completed", "Terminated", "Canceled"):
        await dialog.get_by_role("checkbox", name=status).uncheck()
    await confirm(page, "Purge")
    await expect(page.locator(".notice-success", has_text="Purged 2 instance(s).")).to_be_visible()
    await expect(page.locator("table.instances tbody tr")).to_have_count(1)
    assert (await api.status("ui-failed-1"))[0] == 404
    assert (await api.status("ui-pause"))[0] == 202

    # Nothing left to purge: the API's 404 message, verbatim.
    await page.get_by_role("button", name="Purge by filter…").click()
    await confirm(page, "Purge")
    await expect(page.locator(".notice-error")).to_contain_text(
        "Purge by filter failed (HTTP 404): No instances matched the purge filter."
    )
