"""The dashboard's routes on the local host, over real HTTP (no browser needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp

from durable_local.frontends.dashboard import clock_kind
from durable_local.services.clock import AutoSkipClock, ManualClock, SystemClock
from durable_local.testing import run_host
from tests.browser.support import APP_DIR, serve_dashboard

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_serves_the_page_its_modules_and_a_redirect_without_the_slash() -> None:
    async with run_host(APP_DIR, clock=ManualClock(START)) as host, serve_dashboard(host) as url:
        async with host.http.get(url.rstrip("/"), allow_redirects=False) as reply:
            assert reply.status == 308
            assert reply.headers["Location"] == "/_dashboard/"
        async with host.http.get(url) as reply:
            assert reply.status == 200
            assert reply.content_type == "text/html"
            csp = reply.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp
            page = await reply.text()
        assert '<script type="module" src="app.js">' in page
        for module in ("app.js", "lib/api.js", "lib/timeline.js", "views/list.js", "views/entities.js", "views/entity.js",
                       "app.css"):
            async with host.http.get(url + module) as reply:
                assert reply.status == 200, module
                assert reply.content_type in ("text/javascript", "application/javascript", "text/css")


async def test_info_reports_hub_virtual_time_orchestrators_and_app_routes() -> None:
    async with run_host(APP_DIR, clock=ManualClock(START)) as host, serve_dashboard(host) as url:
        await host.advance(timedelta(hours=2))
        async with host.http.get(url + "api/info") as reply:
            assert reply.status == 200
            info = await reply.json()
    assert info["hub"] == "ApprovalHub"
    assert info["clock"] == "manual"
    assert info["now"].startswith("2026-01-05T11:00:00")
    assert {"approval_orchestrator", "reminders_orchestrator"} <= set(info["orchestrators"])
    decision = [r for r in info["appRoutes"] if r["route"] == "/api/approvals/{instanceId}/decision"]
    assert decision and decision[0]["methods"] == ["POST"]


async def test_info_asks_for_the_management_key_when_keys_are_enforced() -> None:
    keys = {"durabletask_extension": "system-secret", "default": "function-secret"}
    async with run_host(APP_DIR, function_keys=keys) as host, serve_dashboard(host) as url:
        async with host.http.get(url + "api/info") as reply:
            assert reply.status == 401
        async with host.http.get(url + "api/info", headers={"x-functions-key": "function-secret"}) as reply:
            assert reply.status == 401
        async with host.http.get(url + "api/info", headers={"x-functions-key": "system-secret"}) as reply:
            assert reply.status == 200
        # The page itself carries no data and needs no key.
        async with aiohttp.ClientSession() as anonymous, anonymous.get(url) as reply:
            assert reply.status == 200


def test_clock_kind_names_match_the_cli() -> None:
    assert clock_kind(ManualClock()) == "manual"
    assert clock_kind(AutoSkipClock()) == "auto-skip"
    assert clock_kind(SystemClock()) == "system"
