"""Engine fixtures: the real dispatcher and SDK on an in-memory store, without HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from durable_local.composition import create_host
from durable_local.services.clock import ManualClock
from durable_local.services.loader import Registry, load_app
from durable_local.services.store import SqliteStore
from durable_local.testing import TestHost

APPS = Path(__file__).parent / "apps"


class Engine(TestHost):
    """A :class:`TestHost` without an HTTP server: instances start through the facade.

    ``start`` encodes the input the way the SDK client sends it (a JSON string of JSON text,
    protocol notes 1.4), so orchestrators see exactly what they would under ``start_new``.
    """

    def __init__(self, host: Any, registry: Registry) -> None:
        super().__init__(host, session=None)  # type: ignore[arg-type]
        self.registry = registry

    async def start(self, name: str, input: Any = None, instance_id: str | None = None) -> str:
        encoded = json.dumps(json.dumps(input)) if input is not None else None
        return await self.host.start_orchestration(name, instance_id, encoded)

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        """Raise an event as curl does: the body's JSON value becomes EventRaised.Input."""
        await self.host.raise_event(instance_id, name, json.dumps(data))

    async def output(self, instance_id: str, timeout: float = 5.0) -> Any:
        status = await self.wait_for(instance_id, timeout=timeout)
        return json.loads(status.output) if status.output is not None else None


@pytest.fixture
def basic_registry() -> Iterator[Registry]:
    with load_app(APPS / "basic") as registry:
        yield registry


@pytest.fixture
def basic_app(basic_registry: Registry):
    """The fixture app's module, with its call counters reset."""
    module = basic_registry.module
    module.CALLS.clear()
    module.NEXT_ACTIVITY = "say_hello"
    return module


@pytest.fixture
async def engine(basic_registry: Registry, basic_app: Any) -> AsyncIterator[Engine]:
    async with running_engine(basic_registry) as eng:
        yield eng


class running_engine:
    """``async with running_engine(registry, clock=..., store=...) as engine``."""

    def __init__(self, registry: Registry, *, clock: Any = None, store: Any = None, timer_settings: bool = True) -> None:
        self.registry = registry
        self.clock = clock or ManualClock()
        self.store = store or SqliteStore(":memory:")
        self.timer_settings = timer_settings

    async def __aenter__(self) -> Engine:
        host = create_host(self.registry, store=self.store, clock=self.clock, timer_settings=self.timer_settings, bindings=object())
        host.dispatcher.start()
        self.host = host
        return Engine(host, self.registry)

    async def __aexit__(self, *exc: object) -> None:
        await self.host.dispatcher.stop()
