"""The Approvals view: requests awaiting a decision, decided through the app's own endpoint as
the user named in "Act as" (sent as App Service Authentication's X-MS-CLIENT-PRINCIPAL-NAME)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_approves_a_request_end_to_end_as_the_assignee(dashboard: Dashboard) -> None:
    api = dashboard.api
    await api.start_approval("buy-laptop", "New laptop")
    await api.start_approval("buy-chairs", "Office chairs", deadline="PT30M")
    await dashboard.host.advance(timedelta(minutes=31))  # buy-chairs escalates
    await api.start_approval("decided", "Already decided")
    await api.decide("decided")

    page = await dashboard.open("#/approvals")
    cards = page.locator("article.approval-card")
    await expect(cards).to_have_count(2)  # the decided one is not waiting
    chairs = page.get_by_role("article", name="Office chairs")
    await expect(chairs.locator(".badge")).to_have_text("Escalated")
    # Escalated: only the escalation target may decide now.
    may_decide = chairs.locator("div").filter(has=page.locator("dt", has_text="May decide")).locator("dd")
    await expect(may_decide).to_have_text("head-of-department@contoso.com")

    act_as = page.get_by_label("Act as")
    laptop = page.get_by_role("article", name="New laptop")
    await expect(laptop.locator(".badge")).to_have_text("Awaiting approval")
    await laptop.get_by_role("button", name="Approve…").click()
    await expect(act_as).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("dialog")).to_have_count(0)

    await act_as.fill("bob@contoso.com")
    await laptop.get_by_label("Comment (optional)").fill("Go ahead")
    await laptop.get_by_role("button", name="Approve…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("bob@contoso.com")
    await dialog.get_by_role("button", name="Approve", exact=True).click()
    await expect(page.locator(".notice-success")).to_contain_text('Approved "New laptop" (HTTP 202)')

    final = await dashboard.host.wait_for("buy-laptop")
    assert final.runtime_status == "Completed"
    view = await api.view("buy-laptop")
    assert view["stage"] == "approved"
    assert view["decision"]["by"] == "bob@contoso.com" and view["decision"]["comment"] == "Go ahead"
    await expect(cards).to_have_count(1)

    # The escalation target rejects the escalated one, which empties the view.
    await act_as.fill("head-of-department@contoso.com")
    await chairs.get_by_role("button", name="Reject…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Reject", exact=True).click()
    await dashboard.host.wait_for("buy-chairs")
    chairs_view = await api.view("buy-chairs")
    assert (chairs_view["stage"], chairs_view["decision"]["by"]) == ("rejected", "head-of-department@contoso.com")
    await expect(page.get_by_text("No approval is waiting for a decision.")).to_be_visible()


async def test_acting_as_someone_who_may_not_decide_shows_the_apps_refusal(dashboard: Dashboard) -> None:
    await dashboard.api.start_approval("not-yours", "Not yours")
    page = await dashboard.open("#/approvals")
    card = page.get_by_role("article", name="Not yours")
    await page.get_by_label("Act as").fill("ada@contoso.com")  # the requester
    await card.get_by_role("button", name="Approve…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Approve", exact=True).click()
    await expect(page.locator(".notice-error")).to_contain_text("(HTTP 403)")
    await expect(page.locator(".notice-error")).to_contain_text("Only bob@contoso.com may decide it now")
    view = await dashboard.api.view("not-yours")
    assert (view["runtimeStatus"], view["stage"]) == ("Running", "awaiting_approval")


async def test_act_as_is_remembered_across_visits(dashboard: Dashboard) -> None:
    page = await dashboard.open("#/approvals")
    await page.get_by_label("Act as").fill("bob@contoso.com")
    await page.reload()
    await expect(page.get_by_label("Act as")).to_have_value("bob@contoso.com")


async def test_a_decision_the_app_refuses_is_shown_in_its_words(dashboard: Dashboard) -> None:
    await dashboard.api.start_approval("late", "Too late")
    page = await dashboard.open("#/approvals")
    card = page.get_by_role("article", name="Too late")
    await expect(card).to_be_visible()
    await page.get_by_role("checkbox", name="Auto-refresh").uncheck()
    await dashboard.api.decide("late", "rejected")  # decided elsewhere meanwhile
    await page.get_by_label("Act as").fill("bob@contoso.com")
    await card.get_by_role("button", name="Approve…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Approve", exact=True).click()
    await expect(page.locator(".notice-error")).to_contain_text("(HTTP 409)")
    await expect(page.locator(".notice-error")).to_contain_text("is not awaiting a decision")
