"""The instance list: statuses, counts, filters, paging, auto-refresh, going to an instance."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

#: An instance id the API accepts that would run script if the page rendered data as HTML.
HOSTILE_ID = '<img src=x onerror="window.__xss=1">'


async def test_lists_instances_with_their_statuses_and_counts(dashboard: Dashboard) -> None:
    api = dashboard.api
    await api.start_approval("list-running", "Waiting")
    await api.start_approval("list-done", "Decided")
    await api.decide("list-done")
    await api.start_failing("list-failed")
    await api.start_approval("list-term", "Stopped")
    await api.terminate("list-term")
    await api.start_failing(HOSTILE_ID)

    page = await dashboard.open()
    rows = page.locator("table.instances tbody tr")
    await expect(rows).to_have_count(5)
    expected = {"list-running": "Running", "list-done": "Completed", "list-failed": "Failed", "list-term": "Terminated"}
    for instance_id, status in expected.items():
        row = page.locator(f'tr[data-instance-id="{instance_id}"]')
        await expect(row.locator(".badge")).to_have_text(status)
        await expect(row.get_by_role("link", name=instance_id)).to_be_visible()
    await expect(page.locator('tr[data-instance-id="list-running"] .custom-status')).to_contain_text("awaiting_approval")
    # Created time in the viewer's zone (Berlin, UTC+1), UTC on hover.
    created = page.locator('tr[data-instance-id="list-running"] td[data-label="Created"] time')
    await expect(created).to_have_text(re.compile(r"5 Jan 2026, 10:00:00"))
    await expect(created).to_have_attribute("title", "2026-01-05T09:00:00Z (UTC)")

    await expect(page.locator(".status-counts .count-total strong")).to_have_text("5")
    await expect(page.locator('.status-counts li[data-status="Failed"] strong')).to_have_text("2")
    await expect(page.locator('.status-counts li[data-status="Running"] strong')).to_have_text("1")

    # Data is text, never markup.
    await expect(page.get_by_role("link", name=HOSTILE_ID)).to_be_visible()
    await expect(page.locator("main img")).to_have_count(0)
    assert await page.evaluate("window.__xss") is None


async def test_filters_by_status_id_prefix_name_and_created_range(dashboard: Dashboard) -> None:
    api = dashboard.api
    await api.start_approval("filter-running", "Waiting")
    await api.start_failing("filter-failed")
    await api.start_approval("other-term", "Stopped")
    await api.terminate("other-term")

    page = await dashboard.open()
    rows = page.locator("table.instances tbody tr")
    await expect(rows).to_have_count(3)

    await page.get_by_role("checkbox", name=re.compile(r"^Failed")).check()
    await page.get_by_role("checkbox", name=re.compile(r"^Terminated")).check()
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page).to_have_url(re.compile(r"status=Failed%2CTerminated"))
    await expect(rows).to_have_count(2)
    await expect(page.locator('tr[data-instance-id="filter-running"]')).to_have_count(0)

    await page.get_by_label("Instance ID prefix").fill("filter-")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-instance-id", "filter-failed")

    await page.get_by_role("button", name="Clear filters").click()
    await expect(rows).to_have_count(3)
    await page.get_by_label("Name").fill("reminders")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page.get_by_text("No instances match these filters.")).to_be_visible()

    # Created range: everything was created at 10:00 Berlin time on 5 Jan.
    await page.get_by_role("button", name="Clear filters").click()
    # Clearing navigates and renders a fresh form: wait for it, or the fill below could land
    # in the old form just before it is replaced.
    await expect(page).to_have_url(re.compile(r"#/instances$"))
    await expect(page.get_by_label("Name")).to_have_value("")
    await page.get_by_label("Created from").fill("2026-01-05T10:01")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page).to_have_url(re.compile(r"from=2026-01-05T09%3A01"))
    await expect(page.get_by_text("No instances match these filters.")).to_be_visible()
    await page.get_by_label("Created from").fill("2026-01-05T09:59")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(rows).to_have_count(3)


async def test_pages_through_continuation_tokens(dashboard: Dashboard) -> None:
    for n in range(12):
        await dashboard.api.start_failing(f"bulk-{n:02d}")
    page = await dashboard.open("#/instances?prefix=bulk-")
    await page.get_by_label("Per page").select_option("10")
    rows = page.locator("table.instances tbody tr")
    await expect(rows).to_have_count(10)
    await expect(rows.first).to_have_attribute("data-instance-id", "bulk-00")
    await expect(page.get_by_role("button", name="Previous page")).to_be_disabled()

    await page.get_by_role("button", name="Next page").click()
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_have_attribute("data-instance-id", "bulk-10")
    await expect(page.locator(".page-label")).to_contain_text("Page 2")
    await expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    await expect(page.locator(".status-counts .count-total strong")).to_have_text("12")

    await page.get_by_role("button", name="Previous page").click()
    await expect(rows).to_have_count(10)


async def test_auto_refresh_shows_new_instances_and_can_be_paused(dashboard: Dashboard) -> None:
    page = await dashboard.open()
    await page.get_by_label("Refresh interval").select_option("2")
    indicator = page.locator(".refresh-indicator")
    await expect(indicator).to_have_attribute("data-state", "live")
    await expect(indicator).to_contain_text("Live")
    await expect(page.get_by_text("No instances match these filters.")).to_be_visible()

    await dashboard.api.start_failing("arrives-later")
    await expect(page.locator('tr[data-instance-id="arrives-later"]')).to_be_visible(timeout=6000)

    await page.get_by_role("checkbox", name="Auto-refresh").uncheck()
    await expect(indicator).to_have_attribute("data-state", "paused")
    # The choice is remembered in this browser.
    await page.reload()
    await expect(page.get_by_role("checkbox", name="Auto-refresh")).not_to_be_checked()
    await expect(page.get_by_label("Refresh interval")).to_have_value("2")


async def test_goes_to_an_instance_by_id(dashboard: Dashboard) -> None:
    await dashboard.api.start_failing("find-me")
    page = await dashboard.open()
    await page.get_by_role("searchbox", name="Go to instance").fill("find-me")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"#/instances/find-me$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("approval_orchestrator")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Failed")
