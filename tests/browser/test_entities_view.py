"""The Entities view and an entity's page, on the pantry app (tests/browser/apps/pantry)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Locator, Page, Route, expect

from tests.browser.conftest import Dashboard
from tests.browser.support import WEBHOOK

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


def entity_rows(page: Page) -> Locator:
    return page.locator("table.entities tbody tr")


def nav_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


async def row_keys(page: Page) -> list[str]:
    keys: list[str] = await entity_rows(page).evaluate_all("rows => rows.map(r => r.dataset.entity)")
    return keys


async def test_entities_are_listed_after_signals_with_existence_last_operation_and_state(pantry: Dashboard) -> None:
    api = pantry.api
    await api.signal_entity("Shelf", "flour", "stock", 5)
    await api.signal_entity("Shelf", "salt", "stock", 1)
    await api.signal_entity("Shelf", "salt", "clear")
    await api.signal_entity("Label", "door", "write", "Pantry")
    await api.run("restock", {"sugar": 2, "eggs": 12})
    await pantry.host.idle()

    page = await pantry.open("#/entities")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Entities")
    await expect(nav_link(page, "Entities")).to_have_attribute("aria-current", "page")
    await expect(entity_rows(page)).to_have_count(5)
    assert sorted(await row_keys(page)) == ["label/door", "shelf/eggs", "shelf/flour", "shelf/salt", "shelf/sugar"]
    flour = page.locator('tr[data-entity="shelf/flour"]')
    await expect(flour.locator('td[data-label="Existence"]')).to_have_text("Exists")
    await expect(flour.locator('td[data-label="State"]')).to_have_text("5")
    # The host's virtual time (09:00 UTC) in the viewer's zone (UTC+1), UTC on hover.
    await expect(flour.locator('td[data-label="Last operation"] time')).to_contain_text("10:00:00")
    await expect(flour.locator('td[data-label="Last operation"] time')).to_have_attribute(
        "title", re.compile(r"^2026-01-05T09:00:00")
    )
    salt = page.locator('tr[data-entity="shelf/salt"]')  # destruct_on_exit: listed with state null
    await expect(salt.locator('td[data-label="Existence"]')).to_have_text("Deleted")
    await expect(salt.locator('td[data-label="State"]')).to_have_text("null")
    await expect(page.locator('tr[data-entity="label/door"] td[data-label="State"]')).to_have_text('{"text":"Pantry"}')
    await expect(page.locator(".entity-total")).to_have_text("4 existing entities.")

    # Filter by name (the whole name, any case), kept in the URL.
    await page.get_by_label("Entity name").fill("LABEL")
    await page.get_by_label("Entity name").press("Enter")
    await expect(page).to_have_url(re.compile(r"#/entities\?name=LABEL$"))
    await expect(entity_rows(page)).to_have_count(1)
    await expect(entity_rows(page).first).to_have_attribute("data-entity", "label/door")
    await expect(page.locator(".entity-total")).to_have_text("1 existing entity named LABEL.")
    await page.get_by_role("button", name="Clear filter").click()
    await expect(entity_rows(page)).to_have_count(5)

    await page.get_by_role("link", name="shelf / flour").click()
    await expect(page).to_have_url(re.compile(r"#/entities/shelf/flour$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("shelf / flour")


async def test_entity_pages_follow_the_continuation_token(pantry: Dashboard) -> None:
    await pantry.api.run("restock", {f"item-{n:02}": n for n in range(1, 14)})  # 13 shelves
    await pantry.host.idle()
    page = pantry.page
    tokens: list[str | None] = []
    page.on("request", lambda request: tokens.append(request.headers.get("x-ms-continuation-token"))
            if re.search(r"/entities\?fetchState=true", request.url) else None)
    await pantry.open("#/entities")
    await page.get_by_label("Per page").select_option("10")
    await expect(entity_rows(page)).to_have_count(10)
    first_page = await row_keys(page)
    await expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    await page.get_by_role("button", name="Next page").click()
    await expect(entity_rows(page)).to_have_count(3)
    await expect(page.locator(".page-label")).to_have_text("Page 2 · 3 shown")
    second_page = await row_keys(page)
    assert not set(first_page) & set(second_page)
    assert sorted(first_page + second_page) == [f"shelf/item-{n:02}" for n in range(1, 14)]
    await expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    assert tokens[-1], "page 2 was asked for with the token of page 1's answer"
    await page.get_by_role("button", name="Previous page").click()
    await expect(entity_rows(page)).to_have_count(10)
    assert await row_keys(page) == first_page


async def test_entity_page_shows_the_state_and_recent_operations_including_a_failed_call(pantry: Dashboard) -> None:
    api = pantry.api
    await api.signal_entity("Shelf", "flour", "stock", 5)
    await pantry.host.idle()
    refused_by, outcome = await api.run("bake", {"item": "flour", "amount": 9})
    assert outcome == {"baked": False, "reason": "only 5 left, 9 wanted"}
    baker, outcome = await api.run("bake", {"item": "flour", "amount": 2})
    assert outcome == {"baked": True, "left": 3}

    page = await pantry.open("#/entities/shelf/flour")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Exists")
    await expect(page.get_by_role("region", name="State").locator("pre")).to_have_text("3")
    operations = page.get_by_role("region", name=re.compile("^Recent operations"))
    rows = operations.locator("tbody tr")
    await expect(rows).to_have_count(4)
    assert await rows.evaluate_all(
        "rows => rows.map(r => [r.dataset.operation, r.dataset.kind, r.dataset.outcome])"
    ) == [["count", "call", "ok"], ["take", "call", "ok"], ["take", "call", "failed"], ["stock", "signal", "ok"]]
    await expect(rows.nth(0).locator('td[data-label="Outcome"]')).to_have_text("OK → 3")
    failed = rows.nth(2)
    await expect(failed.locator('td[data-label="Outcome"]')).to_have_text("Failed only 5 left, 9 wanted")
    await expect(failed.locator('td[data-label="Caller"]')).to_have_text(refused_by)
    await expect(rows.nth(3).locator('td[data-label="Caller"]')).to_have_text("client")
    await expect(rows.nth(3).locator('td[data-label="Sent as"]')).to_have_text("signal")
    await expect(failed.locator('td[data-label="Duration"]')).to_have_text(re.compile(r"^\d+ ms$"))
    await expect(page.get_by_role("link", name="@shelf@flour")).to_be_visible()

    await failed.get_by_role("link", name=refused_by).click()
    await expect(page).to_have_url(re.compile(rf"#/instances/{re.escape(refused_by)}$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("bake")
    assert baker != refused_by


async def test_signalling_from_the_page_changes_the_state_and_shows_the_answer(pantry: Dashboard) -> None:
    await pantry.api.signal_entity("Shelf", "flour", "stock", 5)
    await pantry.host.idle()
    page = await pantry.open("#/entities/shelf/flour")
    state = page.get_by_role("region", name="State").locator("pre")
    await expect(state).to_have_text("5")

    form = page.get_by_role("form", name="Signal an operation")
    await form.get_by_label("Input (JSON)").fill("{not json")
    await form.get_by_label("Operation").fill("stock")
    await form.get_by_role("button", name="Signal…").click()
    await expect(form.get_by_role("alert")).to_contain_text("Invalid JSON")
    await expect(page.get_by_role("dialog")).to_have_count(0)  # nothing sent

    await form.get_by_label("Input (JSON)").fill("4")
    await form.get_by_role("button", name="Signal…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("POST /runtime/webhooks/durabletask/entities/shelf/flour?op=stock")
    await expect(dialog.locator("pre")).to_have_text('"4"')  # as the Python client sends 4
    await dialog.get_by_role("button", name="Signal", exact=True).click()
    await expect(page.locator(".notice-success")).to_contain_text("Signal 'stock' accepted (HTTP 202)")
    await expect(form.get_by_role("status")).to_have_text("HTTP 202: 'stock' queued.")
    await expect(state).to_have_text("9")
    latest = page.locator(".operations tbody tr").first
    await expect(latest).to_have_attribute("data-outcome", "ok")
    await expect(latest.locator('td[data-label="Caller"]')).to_have_text("client")
    code, body = await pantry.api.call("GET", f"{WEBHOOK}/entities/shelf/flour")
    assert (code, body) == (200, 9)

    # The raw body: a Python entity's get_input() cannot decode it (it decodes twice), as on Azure.
    await form.get_by_label("Send as the Python client does").uncheck()
    await form.get_by_label("Input (JSON)").fill("1")
    await form.get_by_role("button", name="Signal…").click()
    await expect(dialog.locator("pre")).to_have_text("1")
    await dialog.get_by_role("button", name="Signal", exact=True).click()
    await expect(latest).to_have_attribute("data-outcome", "failed")
    await expect(latest.locator(".op-error")).to_contain_text("not int")
    await expect(state).to_have_text("9")


async def test_a_refused_signal_shows_the_apis_message(pantry: Dashboard) -> None:
    page = await pantry.open("#/entities/nobody/k")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("No state")
    await expect(page.get_by_role("region", name="State")).to_contain_text("answered 404")
    form = page.get_by_role("form", name="Signal an operation")
    await form.get_by_label("Operation").fill("poke")
    await form.get_by_role("button", name="Signal…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Signal", exact=True).click()
    await expect(page.locator(".notice-error")).to_contain_text("Signal 'poke' failed (HTTP 400)")
    await expect(page.locator(".notice-error")).to_contain_text("The function 'nobody' doesn't exist")
    await expect(form.get_by_role("status")).to_contain_text("Refused (HTTP 400)")


async def test_entity_instances_are_left_out_of_the_orchestration_list(pantry: Dashboard) -> None:
    await pantry.api.signal_entity("Shelf", "flour", "stock", 5)
    await pantry.host.idle()
    baker, _ = await pantry.api.run("bake", {"item": "flour", "amount": 1}, "bake-1")
    # The public API lists the entity's instance too, as the extension does (ext issue #1991).
    code, listed = await pantry.api.call("GET", f"{WEBHOOK}/instances")
    assert code == 200 and sorted(i["instanceId"] for i in listed) == ["@shelf@flour", "bake-1"]

    page = await pantry.open("#/instances")
    rows = page.locator("table.instances tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-instance-id", baker)
    await expect(page.locator(".status-counts .count-total")).to_have_text("All1")
    note = page.locator(".entity-note")
    await expect(note).to_contain_text("1 entity instance (@name@key) on this page not listed")
    await note.get_by_role("link", name="See Entities").click()
    await expect(page).to_have_url(re.compile(r"#/entities$"))
    await expect(entity_rows(page)).to_have_count(1)

    # Going to the entity's instance by id says what it is and links to the entity.
    await page.locator("#goto-id").fill("@shelf@flour")
    await page.locator("#goto-id").press("Enter")
    info = page.locator(".entity-instance")
    await expect(info).to_contain_text("This instance runs the durable entity shelf / flour")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Running")
    await expect(page.get_by_role("group", name="Actions")).to_have_count(0)  # no terminate: it would break the entity
    await info.get_by_role("link", name="shelf / flour").click()
    await expect(page).to_have_url(re.compile(r"#/entities/shelf/flour$"))


async def test_the_entity_page_works_without_the_local_only_routes(pantry: Dashboard) -> None:
    """As against func start: no api/info, no recorded operations; state and signals still work."""
    page = pantry.page
    asked: list[str] = []

    async def not_here(route: Route) -> None:
        asked.append(route.request.url)
        await route.fulfill(status=404, content_type="text/plain", body="Not Found")

    await page.route(re.compile(r".*/_dashboard/api/.*"), not_here)
    await pantry.api.signal_entity("Shelf", "flour", "stock", 5)
    await pantry.host.idle()
    await pantry.open("#/entities/shelf/flour")
    await expect(page.locator("#host-time")).to_contain_text("not reported by this host")
    await expect(nav_link(page, "Entities")).to_be_visible()
    await expect(page.get_by_role("region", name="State").locator("pre")).to_have_text("5")
    await expect(page.locator(".ops-absent")).to_contain_text("This host does not offer recent operations")
    assert any("/_dashboard/api/entities/shelf/flour/operations" in url for url in asked)

    form = page.get_by_role("form", name="Signal an operation")
    await form.get_by_label("Operation").fill("stock")
    await form.get_by_label("Input (JSON)").fill("2")
    await form.get_by_role("button", name="Signal…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Signal", exact=True).click()
    await expect(page.get_by_role("region", name="State").locator("pre")).to_have_text("7")
    await expect(page.locator(".ops-absent")).to_be_visible()

    await page.goto(pantry.url + "#/entities")
    await expect(entity_rows(page)).to_have_count(1)


async def test_entity_views_fit_a_phone_screen(pantry: Dashboard) -> None:
    await pantry.api.signal_entity("Shelf", "a-rather-long-key-for-a-narrow-phone-screen-0123456789", "stock", 5)
    await pantry.host.idle()
    await pantry.api.run("bake", {"item": "a-rather-long-key-for-a-narrow-phone-screen-0123456789", "amount": 9})
    page = pantry.page
    await page.set_viewport_size({"width": 375, "height": 740})
    await pantry.open("#/entities")
    await expect(entity_rows(page)).to_have_count(1)
    await expect(page.locator("table.entities thead")).not_to_be_in_viewport()  # one labelled card per entity
    assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    await pantry.open("#/entities/shelf/a-rather-long-key-for-a-narrow-phone-screen-0123456789")
    await expect(page.locator(".operations tbody tr")).to_have_count(2)
    assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0


async def test_the_entities_link_is_hidden_for_an_app_without_entities(dashboard: Dashboard) -> None:
    page = await dashboard.open("#/instances")
    await expect(nav_link(page, "Instances")).to_have_attribute("aria-current", "page")
    await expect(nav_link(page, "Entities")).to_be_hidden()


async def test_the_signal_form_works_from_the_keyboard(pantry: Dashboard) -> None:
    await pantry.api.signal_entity("Shelf", "flour", "stock", 5)
    await pantry.host.idle()
    page = await pantry.open("#/entities/shelf/flour")
    form = page.get_by_role("form", name="Signal an operation")
    await expect(page.get_by_role("region", name="State").locator("pre")).to_have_text("5")
    await form.get_by_label("Operation").focus()
    await page.keyboard.type("stock")
    await page.keyboard.press("Tab")
    await expect(form.get_by_label("Input (JSON)")).to_be_focused()
    await page.keyboard.type("3")
    await page.keyboard.press("Tab")
    await expect(form.get_by_label("Send as the Python client does")).to_be_focused()
    await page.keyboard.press("Tab")
    signal = form.get_by_role("button", name="Signal…")
    await expect(signal).to_be_focused()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice first
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(signal).to_be_focused()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    await expect(dialog.get_by_role("button", name="Signal", exact=True)).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("region", name="State").locator("pre")).to_have_text("8")
