"""Regenerate the dashboard screenshots in docs/screenshots/.

    .venv/bin/python -m tests.browser.screenshots [--out docs/screenshots]

Starts a private Azurite and the local host on a ManualClock, creates approvals in every state
(awaiting, escalated, approved, rejected, failed, terminated, suspended) and drives Debian's
Chromium to take:

* ``instances.png``: the instance list, 1280 px wide (the whole page);
* ``approval-timeline.png``: the timeline of an approval that escalated (its 30-minute deadline
  passed on the manual clock) and was then approved;
* ``approvals-phone.png``: the approvals view at phone width (375 px);
* ``entity.png``: an entity's page (state, recent operations with a failed call, the signal
  form), from the pantry test app (``tests/browser/apps/pantry``), served after the first.

Prints one JSON object naming the files written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Page, async_playwright

from durable_local.services.clock import ManualClock
from durable_local.testing import run_host
from tests.azurite import running_azurite
from tests.browser.support import (
    APP_DIR,
    APPROVAL_SETTINGS,
    PANTRY_APP,
    WEBHOOK,
    AppCalls,
    launch_chromium,
    serve_dashboard,
)

START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
TIMEZONE = "Europe/Amsterdam"


async def populate(calls: AppCalls) -> str:
    """Create the instances; returns the id of the escalated-then-approved approval."""
    host = calls.host
    await calls.start_approval("trip-lisbon", "Conference trip to Lisbon", deadline="PT30M", escalationDeadline="PT2H")
    await calls.start_approval("laptop-ada", "New laptop for Ada", deadline="PT8H")
    await calls.start_approval("budget-q3", "Q3 marketing budget", approver="cfo@contoso.com")
    await calls.start_approval("chairs-team", "Six office chairs")
    await calls.start_approval("printer-2f", "Printer for the second floor", deadline="PT20M")
    await calls.start_failing("import-legacy")
    await calls.start_approval("reorg-2026", "Team re-organisation")
    await calls.terminate("reorg-2026", "superseded")
    status, reply = await calls.call(
        "POST", f"{WEBHOOK}/orchestrators/reminders_orchestrator/reminders-ada",
        {"recipient": "ada@contoso.com", "message": "Please review the design", "interval": "PT1H", "count": 3},
    )
    assert status == 202, reply
    await host.idle()
    status, reply = await calls.call("POST", f"{WEBHOOK}/instances/chairs-team/suspend?reason=budget freeze")
    assert status == 202, reply
    await host.wait_for("chairs-team", "Suspended")

    await host.advance(timedelta(minutes=31))  # trip-lisbon's deadline passes: escalated
    await host.advance(timedelta(minutes=12))
    await calls.decide("trip-lisbon", "approved", by="head-of-department@contoso.com")
    await calls.decide("budget-q3", "rejected", by="cfo@contoso.com")
    await calls.start_approval("desk-ben", "Standing desk for Ben")
    await host.advance(timedelta(minutes=3))
    return "trip-lisbon"


async def populate_pantry(calls: AppCalls) -> None:
    """Entities with a few minutes of history: client signals, orchestrator signals, a refused call."""
    host = calls.host
    await calls.signal_entity("Shelf", "flour", "stock", 5)
    await calls.signal_entity("Label", "door", "write", "Pantry")
    await host.idle()
    await host.advance(timedelta(minutes=3))
    await calls.run("restock", {"sugar": 2, "eggs": 12, "flour": 1})
    await host.advance(timedelta(minutes=3))
    await calls.run("bake", {"item": "flour", "amount": 9})
    await host.advance(timedelta(minutes=1))
    await calls.run("bake", {"item": "flour", "amount": 2})


async def shoot_entity(page: Page, url: str, out: Path) -> str:
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.goto(url + "#/entities/shelf/flour")
    await page.locator(".operations tbody tr").first.wait_for()
    await page.locator(".refresh-indicator[data-state=live]").wait_for()
    path = out / "entity.png"
    await page.screenshot(path=str(path), full_page=True)
    return str(path)


async def shoot(page: Page, url: str, out: Path, escalated_id: str) -> list[str]:
    written = []
    await page.goto(url + "#/instances")
    await page.locator("table.instances tbody tr").first.wait_for()
    await page.locator(".refresh-indicator[data-state=live]").wait_for()
    path = out / "instances.png"
    await page.screenshot(path=str(path), full_page=True)
    written.append(str(path))

    await page.goto(url + f"#/instances/{escalated_id}")
    timeline = page.locator(".timeline-section")
    await timeline.locator(".tl-row").first.wait_for()
    # From the page header down to the end of the timeline (the JSON panels below are left out).
    bottom = await timeline.evaluate("el => el.getBoundingClientRect().bottom + window.scrollY")
    path = out / "approval-timeline.png"
    await page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": bottom + 16})
    written.append(str(path))

    await page.set_viewport_size({"width": 375, "height": 800})
    await page.goto(url + "#/approvals")
    await page.locator(".approval-card").first.wait_for()
    await page.get_by_label("Act as").fill("bob@contoso.com")
    path = out / "approvals-phone.png"
    await page.screenshot(path=str(path), full_page=True)
    written.append(str(path))
    return written


async def main(out: Path) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id=TIMEZONE)
        page = await context.new_page()
        # One app at a time: a process loads one app's function_app module.
        async with run_host(APP_DIR, clock=ManualClock(START)) as host, serve_dashboard(host) as url:
            escalated_id = await populate(AppCalls(host))
            written = await shoot(page, url, out, escalated_id)
        async with run_host(PANTRY_APP, clock=ManualClock(START)) as pantry, serve_dashboard(pantry) as pantry_url:
            await populate_pantry(AppCalls(pantry))
            written.append(await shoot_entity(page, pantry_url, out))
        await browser.close()
    return {"written": written, "timezone": TIMEZONE, "clock": "manual", "start": START.isoformat()}


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=APP_DIR / "docs" / "screenshots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_azurite(Path(tmp)) as endpoints:
        os.environ["AzureWebJobsStorage"] = endpoints.connection_string
        os.environ.update(APPROVAL_SETTINGS)
        print(json.dumps(asyncio.run(main(args.out))))


if __name__ == "__main__":
    cli()
