"""Fixtures of the browser tests: one Chromium per session, a host + dashboard and a page per test.

Every fixture and test here runs on the session's event loop (``loop_scope="session"``), so the
browser started once can serve every test. Each test gets a fresh browser context (empty
localStorage), 1280×800, a fixed locale and a time zone that is not UTC, so that "local time"
is visibly converted. JavaScript errors and CSP violations on the page fail the test.

Without Debian's Chromium (``make test`` installs it only as root), the browser tests are
skipped with the reason and the command that enables them, shown in pytest's summary. Under CI
(``CI`` set, as ``.ci/run`` runs) they are never skipped: a missing browser fails them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from durable_local.services.clock import ManualClock
from durable_local.testing import TestHost, run_host
from tests.browser.support import (
    APP_DIR,
    APPROVAL_SETTINGS,
    CHROMIUM,
    PANTRY_APP,
    AppCalls,
    launch_chromium,
    serve_dashboard,
    skip_reason,
)

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TIMEZONE = "Europe/Berlin"
#: Chromium logs every non-2xx fetch; the page shows those answers itself (tests check that).
EXPECTED_CONSOLE = "Failed to load resource"


BROWSER_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=skip_reason(CHROMIUM))
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(skip)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        yield chromium
        await chromium.close()


@dataclass
class Dashboard:
    """A running host on a ManualClock, its dashboard URL and a page to drive it."""

    host: TestHost
    url: str
    page: Page
    api: AppCalls
    errors: list[str] = field(default_factory=list)

    async def open(self, route: str = "#/instances") -> Page:
        await self.page.goto(self.url + route)
        return self.page


@pytest.fixture
def approval_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in APPROVAL_SETTINGS.items():
        monkeypatch.setenv(name, value)


@asynccontextmanager
async def open_dashboard(browser: Browser, app_dir: Path) -> AsyncIterator[Dashboard]:
    """The app in ``app_dir`` on a host with a ManualClock at START, and a fresh page on its dashboard."""
    async with run_host(app_dir, clock=ManualClock(START)) as host, serve_dashboard(host) as url:
        context = await browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id=TIMEZONE
        )
        page = await context.new_page()
        board = Dashboard(host=host, url=url, page=page, api=AppCalls(host))
        page.on("pageerror", lambda err: board.errors.append(f"page error: {err}"))
        page.on("console", lambda msg: board.errors.append(f"console {msg.type}: {msg.text}")
                if msg.type == "error" and not msg.text.startswith(EXPECTED_CONSOLE) else None)
        try:
            yield board
        finally:
            await context.close()
        assert not board.errors, board.errors


@pytest_asyncio.fixture(loop_scope="session")
async def dashboard(browser: Browser, azurite: str, approval_settings: None) -> AsyncIterator[Dashboard]:
    """The repository's approval app."""
    async with open_dashboard(browser, APP_DIR) as board:
        yield board


@pytest_asyncio.fixture(loop_scope="session")
async def pantry(browser: Browser) -> AsyncIterator[Dashboard]:
    """The pantry test app (tests/browser/apps/pantry): entities, no storage bindings."""
    async with open_dashboard(browser, PANTRY_APP) as board:
        yield board
