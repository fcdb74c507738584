"""Shared by the browser tests and the screenshot script: Chromium, the dashboard, the app.

* :func:`launch_chromium` starts Debian's ``/usr/bin/chromium`` through Playwright (never a
  browser Playwright downloads) with the flags this machine's closed network needs.
* :func:`serve_dashboard` yields the dashboard's URL for a running :class:`TestHost`: the host's
  own when ``open_host`` already wires :func:`durable_local.frontends.dashboard.setup_dashboard`, else a
  second server on a free port with ``create_app(host) + setup_dashboard`` (same engine, so the
  page, the management API and the app's functions all work there).
* :class:`AppCalls` starts, decides and inspects approvals over real HTTP, as a curl user would.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from playwright.async_api import Browser, Playwright

from durable_local.frontends.dashboard import DASHBOARD_PATH, setup_dashboard
from durable_local.frontends.http import create_app
from durable_local.testing import TestHost

#: The Functions app is the repository root.
APP_DIR = Path(__file__).resolve().parents[2]
#: A test app with entities (Shelf, Label) and orchestrators that call and signal them.
PANTRY_APP = Path(__file__).resolve().parent / "apps" / "pantry"
#: Debian's package (``make test`` installs it); CHROMIUM_PATH points elsewhere if needed.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
#: Playwright adds --headless and a fresh temporary --user-data-dir itself. The rest keep
#: Chromium off the network (background requests are refused here and slow start-up) and
#: let it run as root in a container.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEBHOOK = "/runtime/webhooks/durabletask"


def skip_reason(chromium: str) -> str:
    """Why the browser tests are skipped without Chromium, and the command that enables them."""
    return (
        f"Chromium not found at {chromium}: browser tests skipped. "
        "Enable them with `sudo apt-get install chromium` (or set CHROMIUM_PATH)."
    )
#: The app settings of local.settings.json.example, which the approval starter reads.
APPROVAL_SETTINGS = {
    "APPROVAL_TIMEOUT": "PT24H",
    "ESCALATION_TIMEOUT": "PT24H",
    "ESCALATE_TO": "head-of-department@contoso.com",
}


async def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; raises FileNotFoundError naming how to install it."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(`make test` installs it as root; otherwise: sudo apt-get install chromium), or set CHROMIUM_PATH."
        )
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


async def _has_dashboard(session: aiohttp.ClientSession, base_url: str) -> bool:
    async with session.get(base_url + DASHBOARD_PATH + "api/info") as reply:
        return reply.status == 200


@asynccontextmanager
async def serve_dashboard(host: TestHost) -> AsyncIterator[str]:
    """The dashboard URL (``.../_dashboard/``) for ``host``; see the module docstring."""
    if await _has_dashboard(host.http, host.base_url):
        yield host.base_url + DASHBOARD_PATH
        return
    app = create_app(host.host)
    setup_dashboard(app, host.host)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}{DASHBOARD_PATH}"
    finally:
        await runner.cleanup()


class AppCalls:
    """The app's and the Durable API's HTTP endpoints on ``host``; bodies decoded as JSON."""

    def __init__(self, host: TestHost) -> None:
        self.host = host

    async def call(self, method: str, path: str, body: Any = None, as_user: str | None = None) -> tuple[int, Any]:
        """One call; ``as_user`` is sent as App Service Authentication's signed-in name."""
        data = json.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if as_user is not None:
            headers["X-MS-CLIENT-PRINCIPAL-NAME"] = as_user
        async with self.host.http.request(method, self.host.url(path), data=data, headers=headers) as reply:
            text = await reply.text()
            try:
                return reply.status, json.loads(text) if text else None
            except ValueError:
                return reply.status, text

    async def start_approval(self, instance_id: str, title: str = "New laptop", **fields: Any) -> str:
        """POST /api/approvals and wait until it awaits a decision (notification sent)."""
        body = {"title": title, "approver": "bob@contoso.com", "instanceId": instance_id, **fields}
        status, reply = await self.call("POST", "/api/approvals", body, as_user="ada@contoso.com")
        assert status == 202, reply
        await self.host.idle()
        return str(reply["id"])

    async def decide(self, instance_id: str, decision: str = "approved", by: str = "bob@contoso.com") -> None:
        status, reply = await self.call("POST", f"/api/approvals/{instance_id}/decision", {"decision": decision}, as_user=by)
        assert status == 202, reply
        await self.host.wait_for(instance_id)

    async def start_failing(self, instance_id: str) -> str:
        """An approval_orchestrator started without the input it needs: Failed at once."""
        status, reply = await self.call(
            "POST", f"{WEBHOOK}/orchestrators/approval_orchestrator/{quote(instance_id, safe='')}", {"title": "incomplete"}
        )
        assert status == 202, reply
        await self.host.wait_for(instance_id, "Failed")
        return instance_id

    async def terminate(self, instance_id: str, reason: str = "test") -> None:
        status, reply = await self.call("POST", f"{WEBHOOK}/instances/{instance_id}/terminate?reason={reason}")
        assert status == 202, reply
        await self.host.wait_for(instance_id, "Terminated")

    async def status(self, instance_id: str) -> tuple[int, Any]:
        return await self.call("GET", f"{WEBHOOK}/instances/{instance_id}")

    async def signal_entity(self, name: str, key: str, operation: str, value: Any = None) -> None:
        """POST entities/{name}/{key}?op=X with ``value`` encoded as the Python client encodes it
        (its JSON text as a JSON string: ``signal_entity`` in the SDK), or no body for None."""
        body = json.dumps(json.dumps(value)) if value is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        path = f"{WEBHOOK}/entities/{quote(name, safe='')}/{quote(key, safe='')}?op={quote(operation, safe='')}"
        async with self.host.http.post(self.host.url(path), data=body, headers=headers) as reply:
            assert reply.status == 202, await reply.text()

    async def run(self, orchestrator: str, value: Any, instance_id: str | None = None) -> tuple[str, Any]:
        """Start ``orchestrator`` through the SDK client and wait for it to finish; (id, output)."""
        started = await self.host.start(orchestrator, value, instance_id)
        status = await self.host.wait_for(started)
        assert status.runtime_status == "Completed", status
        return started, json.loads(status.output or "null")

    async def view(self, instance_id: str) -> Any:
        status, reply = await self.call("GET", f"/api/approvals/{instance_id}")
        assert status == 200, reply
        return reply
