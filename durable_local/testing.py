"""In-process test API: run an app on the local host inside a test and drive it.

::

    from durable_local.testing import ManualClock, run_host

    async with run_host("path/to/app", clock=ManualClock()) as host:
        resp = await host.http.post(host.url("/api/approvals"), json={...})
        instance_id = (await resp.json())["id"]
        await host.advance(timedelta(hours=25))          # the deadline passes; timers fire
        status = await host.wait_for(instance_id, "Completed")
        events = await host.history(instance_id)

The host listens on a free loopback port over real HTTP, so the app's HTTP functions and the
SDK's ``DurableOrchestrationClient`` (which calls the host back over HTTP) work unchanged.
Nothing sleeps: ``advance`` moves a :class:`ManualClock` and waits until the host is idle;
``wait_for`` waits on committed changes.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import azure.durable_functions as df

from .composition import open_host
from .frontends.http.client_binding import client_binding_json
from .host import DurableHost
from .instances import InstanceStatus
from .protocol import HistoryEvent, RuntimeStatus
from .services.clock import AutoSkipClock, Clock, ManualClock, SystemClock

__all__ = ["AutoSkipClock", "ManualClock", "SystemClock", "TestHost", "run_host"]


class TestHost:
    """A running local host with helpers for tests. Created by :func:`run_host`."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: DurableHost, session: aiohttp.ClientSession) -> None:
        self.host = host
        self.http = session

    @property
    def base_url(self) -> str:
        return self.host.base_url

    @property
    def clock(self) -> Clock:
        return self.host.clock

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this host (``/api/...`` or ``/runtime/webhooks/...``)."""
        return self.host.base_url + path

    def client(self) -> df.DurableOrchestrationClient:
        """The SDK's client, bound exactly as the extension binds a durable client input."""
        return df.DurableOrchestrationClient(client_binding_json(self.host.base_url, self.host.hub_name))

    async def start(self, name: str, input: Any = None, instance_id: str | None = None) -> str:
        """Start orchestrator ``name`` through the SDK client (its double-encoded body included)."""
        return str(await self.client().start_new(name, instance_id, input))

    async def wait_for(self, instance_id: str, *statuses: str, timeout: float = 10.0) -> InstanceStatus:
        """Wait until the instance is in one of ``statuses`` (default: any terminal status)."""
        wanted = {RuntimeStatus(s) for s in statuses} or {
            RuntimeStatus.COMPLETED,
            RuntimeStatus.FAILED,
            RuntimeStatus.TERMINATED,
        }
        return await self.host.wait_for_status(instance_id, wanted, timeout)

    async def idle(self) -> None:
        """Wait until nothing is runnable at the current (virtual) time and no activity runs."""
        await self.host.dispatcher.wait_idle()

    async def advance(self, delta: timedelta) -> None:
        """Move the manual clock forward by ``delta`` and wait until the host is idle again.

        Timers fire in order even across a long jump: time moves to each due timer (and each
        timer-trigger occurrence) in turn, so an orchestration sees the same sequence of
        ``current_utc_datetime`` values as it would in real time.
        """
        clock = self.host.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs the host to run on a ManualClock")
        await self.idle()
        target = clock.now() + delta
        while True:
            due = self.host.dispatcher.next_due_at()
            if due is None or due > target:
                break
            clock.skip_to(due)
            await self.idle()
        clock.skip_to(target)
        await self.idle()

    async def history(self, instance_id: str) -> list[HistoryEvent]:
        """The current execution's raw history (DTFx-shaped events)."""
        return await self.host.get_history(instance_id) or []

    async def status(self, instance_id: str) -> InstanceStatus | None:
        return await self.host.get_status(instance_id)


@asynccontextmanager
async def run_host(
    app_dir: str | os.PathLike[str],
    *,
    clock: Clock | None = None,
    state: str | os.PathLike[str] = ":memory:",
    timer_settings: bool = True,
    **options: Any,
) -> AsyncIterator[TestHost]:
    """Start the local host on ``app_dir`` on a free loopback port; stop it on exit.

    ``clock`` defaults to a :class:`ManualClock`; ``state`` to a private in-memory database.
    Extra keyword arguments go to :func:`durable_local.composition.open_host`.
    """
    async with open_host(
        app_dir, clock=clock or ManualClock(), state=state, port=0, timer_settings=timer_settings, **options
    ) as host, aiohttp.ClientSession() as session:
        yield TestHost(host, session)
