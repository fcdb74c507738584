"""call_http on the local host: the extension's built-in HTTP activity, against a local server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from durable_local.protocol import EventType
from durable_local.testing import TestHost, run_host

APP = Path(__file__).parent / "apps" / "caller"
#: small, so that the timeout test waits a fraction of a second, not the extension's 240 s
TIMEOUT_S = 0.5


class Target:
    """A local server with the answers call_http must handle; it records what it received."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.never = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/ok", self.ok)
        app.router.add_get("/accepted", self.accepted)
        app.router.add_get("/error", self.error)
        app.router.add_get("/hang", self.hang)
        self.server = TestServer(app)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def ok(self, request: web.Request) -> web.Response:
        self.received.append(
            {"method": request.method, "headers": dict(request.headers), "body": await request.text()}
        )
        response = web.Response(text='{"answer": 42}', content_type="application/json", headers={"X-Trace": "t1"})
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response

    async def accepted(self, request: web.Request) -> web.Response:
        return web.Response(status=202, headers={"Location": self.url("/ok"), "Retry-After": "1"})

    async def error(self, request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def hang(self, request: web.Request) -> web.Response:
        await self.never.wait()  # released at teardown; the host's timeout answers first
        return web.Response(text="late")


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    server = Target()
    await server.server.start_server()
    try:
        yield server
    finally:
        server.never.set()
        await server.server.close()


@pytest.fixture
async def host() -> AsyncIterator[TestHost]:
    async with run_host(APP, http_timeout_s=TIMEOUT_S) as running:
        yield running


async def _call(host: TestHost, spec: dict[str, Any]) -> dict[str, Any]:
    instance_id = await host.start("call", spec)
    status = await host.wait_for(instance_id, timeout=10)
    assert status.runtime_status == "Completed", status.output
    return dict(json.loads(status.output or "null"))


async def test_a_200_reaches_the_orchestrator_as_status_headers_and_content(host: TestHost, target: Target) -> None:
    result = await _call(
        host,
        {"method": "POST", "uri": target.url("/ok"), "content": {"q": 1}, "headers": {"X-Caller": "orch"}},
    )
    response = result["response"]
    assert response["statusCode"] == 200
    assert response["content"] == '{"answer": 42}'
    headers = response["headers"]
    # response headers only (Content-Type is a content header in .NET), several values a list
    assert headers["X-Trace"] == "t1" and headers["Set-Cookie"] == ["a=1", "b=2"]
    assert "Content-Type" not in headers
    [sent] = target.received
    # the SDK JSON-encodes the content; the extension sends it as text/plain unless told otherwise
    assert (sent["method"], sent["body"], sent["headers"]["Content-Type"]) == ("POST", '{"q": 1}', "text/plain")
    assert sent["headers"]["X-Caller"] == "orch"


async def test_a_202_is_handed_to_the_orchestrator_unpolled_as_on_azure(host: TestHost, target: Target) -> None:
    # The Python SDK 1.x never asks for the async pattern (asynchronousPatternEnabled), so the
    # extension returns the 202 itself; following Location here would pass where Azure fails.
    result = await _call(host, {"method": "GET", "uri": target.url("/accepted")})
    response = result["response"]
    assert response["statusCode"] == 202
    assert response["headers"]["Location"] == target.url("/ok") and response["headers"]["Retry-After"] == "1"
    assert target.received == []


async def test_a_500_is_a_completed_call_not_a_failure(host: TestHost, target: Target) -> None:
    result = await _call(host, {"method": "GET", "uri": target.url("/error")})
    assert (result["response"]["statusCode"], result["response"]["content"]) == (500, "boom")


async def test_a_request_that_times_out_fails_the_task(host: TestHost, target: Target) -> None:
    result = await _call(host, {"method": "GET", "uri": target.url("/hang")})
    assert result == {
        "error": f"The request was canceled due to the configured HttpClient.Timeout of {TIMEOUT_S:g} seconds elapsing."
    }


async def test_a_refused_connection_fails_the_task_with_the_dotnet_message(host: TestHost) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    result = await _call(host, {"method": "GET", "uri": f"http://127.0.0.1:{port}/nothing"})
    assert result == {"error": f"Connection refused (127.0.0.1:{port})"}


async def test_a_managed_identity_token_source_fails_at_once_saying_it_is_not_available_locally(
    host: TestHost, target: Target
) -> None:
    result = await _call(
        host, {"method": "GET", "uri": target.url("/ok"), "managed_identity": "https://management.core.windows.net"}
    )
    assert result["error"].startswith("DefaultAzureCredential failed to retrieve a token")
    assert "no managed identity" in result["error"]
    assert target.received == []


async def test_call_http_takes_one_sequence_id_recorded_as_the_builtin_http_activity(host: TestHost, target: Target) -> None:
    instance_id = await host.start("call_then_activity", target.url("/ok"))
    status = await host.wait_for(instance_id, timeout=10)
    assert (status.runtime_status, status.output) == ("Completed", "200")
    scheduled = [e for e in await host.history(instance_id) if e["EventType"] == EventType.TASK_SCHEDULED]
    assert [(e["EventId"], e["Name"]) for e in scheduled] == [(0, "BuiltIn::HttpActivity"), (1, "echo")]
    [request] = json.loads(scheduled[0]["Input"])
    assert (request["method"], request["uri"]) == ("GET", target.url("/ok"))
