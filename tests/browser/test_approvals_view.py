"""The Approvals view: requests awaiting a decision, decided through the app's own endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_approves_a_request_end_to_end(dashboard: Dashboard) -> None:
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
    await expect(chairs.get_by_label("Decided by")).to_have_value("head-of-department@contoso.com")

    laptop = page.get_by_role("article", name="New laptop")
    await expect(laptop.locator(".badge")).to_have_text("Awaiting approval")
    await laptop.get_by_label("Decided by").fill("")
    await laptop.get_by_role("button", name="Approve…").click()
    await expect(laptop.get_by_label("Decided by")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("dialog")).to_have_count(0)

    await laptop.get_by_label("Decided by").fill("bob@contoso.com")
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

    # Rejecting the escalated one empties the view.
    await chairs.get_by_role("button", name="Reject…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Reject", exact=True).click()
    await dashboard.host.wait_for("buy-chairs")
    assert (await api.view("buy-chairs"))["stage"] == "rejected"
    await expect(page.get_by_text("No approval is waiting for a decision.")).to_be_visible()


async def test_a_decision_the_app_refuses_is_shown_in_its_words(dashboard: Dashboard) -> None:
    await dashboard.api.start_approval("late", "Too late")
    page = await dashboard.open("#/approvals")
    card = page.get_by_role("article", name="Too late")
    await expect(card).to_be_visible()
    await page.get_by_role("checkbox", name="Auto-refresh").uncheck()
    await dashboard.api.decide("late", "rejected")  # decided elsewhere meanwhile
    await card.get_by_role("button", name="Approve…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Approve", exact=True).click()
    await expect(page.locator(".notice-error")).to_contain_text("(HTTP 409)")
    await expect(page.locator(".notice-error")).to_contain_text("is not awaiting a decision")
