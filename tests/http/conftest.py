"""Fixtures of the HTTP layer tests: the fixture app, a fake host and a served aiohttp app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from durable_local.frontends.http import KeyMaskingAccessLogger, create_app
from durable_local.services.bindings import OutputBindings
from durable_local.services.loader import Registry, load_app
from tests.http.fake_host import FakeHost

APPS = Path(__file__).parent / "apps"


@pytest.fixture(autouse=True)
def queue_connection_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture app's queue output names QueueConnection: start-up refuses an app whose
    connection setting is missing, so the tests define it (tests that write set a real one)."""
    monkeypatch.setenv("QueueConnection", "UseDevelopmentStorage=true")


@pytest.fixture
def basic_registry() -> Iterator[Registry]:
    with load_app(APPS / "basic") as registry:
        yield registry


@pytest.fixture
def fake_host(basic_registry: Registry) -> FakeHost:
    return FakeHost(basic_registry)


async def serve(host: FakeHost, bindings: OutputBindings | None = None) -> TestClient:
    """Start ``create_app(host)`` on a free loopback port and point ``host.base_url`` at it."""
    server = TestServer(create_app(host, bindings=bindings), host="127.0.0.1")
    # The access logger open_host uses, so tests see what the host logs.
    await server.start_server(access_log_class=KeyMaskingAccessLogger)
    client = TestClient(server)
    await client.start_server()
    host.base_url = str(server.make_url("")).rstrip("/")
    return client


@pytest_asyncio.fixture
async def http(fake_host: FakeHost) -> AsyncIterator[TestClient]:
    client = await serve(fake_host)
    yield client
    await client.close()
