"""Phone width, keyboard use, and a host without /_dashboard/api/info (a func start host)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.conftest import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    result: int = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return result


async def test_every_view_fits_a_phone_screen(dashboard: Dashboard) -> None:
    await dashboard.api.start_approval("a-rather-long-instance-id-for-a-narrow-screen-0123456789", "Phone check")
    await dashboard.api.start_failing("phone-failed")
    page = dashboard.page
    await page.set_viewport_size({"width": 375, "height": 740})
    await dashboard.open()
    await expect(page.locator("table.instances tbody tr")).to_have_count(2)
    # The table turns into one labelled card per instance.
    await expect(page.locator("table.instances thead")).not_to_be_in_viewport()
    assert await overflow(page) == 0
    for route in ("#/instances/a-rather-long-instance-id-for-a-narrow-screen-0123456789", "#/approvals", "#/start",
                  "#/settings"):
        await page.goto(dashboard.url + route)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await page.locator(".refresh-indicator[data-state=live], form").first.wait_for()
        assert await overflow(page) == 0, route


async def test_keyboard_reaches_actions_and_dialogs_return_focus(dashboard: Dashboard) -> None:
    await dashboard.api.start_approval("keys", "Keyboard")
    page = await dashboard.open("#/instances/keys")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Running")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()

    terminate = page.get_by_role("button", name="Terminate…")
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await terminate.evaluate("el => el === document.activeElement"):
            break
    await expect(terminate).to_be_focused()
    outline = await terminate.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"  # :focus-visible
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_label("Reason (optional)")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(terminate).to_be_focused()
    assert (await dashboard.api.status("keys"))[1]["runtimeStatus"] == "Running"


async def test_works_without_the_local_info_endpoint(dashboard: Dashboard) -> None:
    page = dashboard.page

    async def not_here(route: Route) -> None:
        await route.fulfill(status=404, content_type="text/plain", body="Not Found")

    await page.route(re.compile(r".*/_dashboard/api/info$"), not_here)
    await dashboard.open("#/start")
    await expect(page.locator("#host-time")).to_contain_text("not reported by this host")
    await expect(page.locator("#workers")).to_have_text("—")
    await expect(page.get_by_role("link", name="Approvals")).to_be_visible()
    name = page.get_by_role("textbox", name="Orchestrator")
    await expect(name).to_be_visible()  # free text instead of a picker
    await name.fill("reminders_orchestrator")
    await page.get_by_label("Input (JSON)").fill('{"recipient": "ada@contoso.com", "message": "hi", "count": 1}')
    await page.get_by_role("button", name="Start…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Start", exact=True).click()
    link = page.locator(".start-result a")
    await expect(link).to_be_visible()
    instance_id = (await link.text_content() or "").strip()
    code, status = await dashboard.api.status(instance_id)
    assert code == 202 and status["name"] == "reminders_orchestrator"


async def test_settings_send_the_function_key_header(dashboard: Dashboard) -> None:
    page = await dashboard.open("#/settings")
    seen: list[str | None] = []
    page.on("request", lambda request: seen.append(request.headers.get("x-functions-key"))
            if "/runtime/webhooks/durabletask/" in request.url else None)
    await page.get_by_label("Function key").fill("my-secret")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator(".notice-success")).to_contain_text("with a function key")
    await page.get_by_role("button", name="Test connection").click()
    await expect(page.locator(".test-result")).to_contain_text("Connected: task hub ApprovalHub")
    assert seen and all(key == "my-secret" for key in seen)
    stored = await page.evaluate("localStorage.getItem('durable-dashboard.settings')")
    assert '"key":"my-secret"' in stored


async def test_the_header_counts_the_worker_processes_and_names_them_on_hover(dashboard: Dashboard) -> None:
    page = dashboard.page

    async def two_workers(route: Route) -> None:
        response = await route.fetch()
        info = await response.json()
        info["workers"] = 2
        info["workerProcesses"] = [
            {"name": "worker 1", "pid": 4711, "state": "ready", "invocations": 12, "running": 0, "starts": 1},
            {"name": "worker 2", "pid": 4712, "state": "starting", "invocations": 3, "running": 0, "starts": 2},
        ]
        await route.fulfill(response=response, json=info)

    await page.route(re.compile(r".*/_dashboard/api/info$"), two_workers)
    await dashboard.open("#/instances")
    workers = page.locator("#workers span")
    await expect(workers).to_have_text("2 processes")
    await expect(workers).to_have_attribute(
        "title", "worker 1: pid 4711, ready, 12 invocations\nworker 2: pid 4712, starting, 3 invocations"
    )
    # The page keeps polling the info: no handler may outlive the test (and the page's context).
    await page.unroute_all(behavior="ignoreErrors")
