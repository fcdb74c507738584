"""In-process test API: run an app on the local host inside a test and drive it.

::

    from durable_local.testing import ManualClock, run_host

    async with run_host("path/to/app", clock=ManualClock()) as host:
        resp = await host.http.post(host.url("/api/approvals"), json={...})
        instance_id = (await resp.json())["id"]
        await host.advance(hours=25)                     # the deadline passes; timers fire
        status = await host.wait_for(instance_id, "Completed")
        events = await host.history(instance_id)

The host listens on a free loopback port over real HTTP, so the app's HTTP functions and the
SDK's ``DurableOrchestrationClient`` (which calls the host back over HTTP) work unchanged.
Nothing sleeps: ``advance`` moves a :class:`ManualClock` and waits until the host is idle;
``wait_for`` and ``wait_for_custom_status`` wait on committed changes. ``start`` and
``raise_event`` only queue work: ``idle``, ``advance`` or a wait synchronise with it.

The pytest plugin (:mod:`durable_local.pytest_plugin`) hands a test a running :class:`TestHost`
as the ``durable_host`` fixture.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import azure.durable_functions as df

from .composition import open_host
from .errors import InstanceNotFound
from .frontends.http.client_binding import client_binding_json
from .host import DurableHost
from .instances import InstanceStatus
from .protocol import EventType, HistoryEvent, RuntimeStatus
from .services.clock import AutoSkipClock, Clock, ManualClock, SystemClock

__all__ = [
    "AutoSkipClock",
    "EventType",
    "InstanceStatus",
    "ManualClock",
    "RuntimeStatus",
    "SystemClock",
    "TestHost",
    "run_host",
]


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

    def now(self) -> datetime:
        """The host's current (virtual) time: the next history event's timestamp."""
        return self.host.clock.now()

    async def wait_for(self, instance_id: str, *statuses: str, timeout: float = 10.0) -> InstanceStatus:
        """Wait until the instance is in one of ``statuses`` (default: any terminal status).

        Raises TimeoutError (naming the status it is in) after ``timeout`` seconds of real time.
        """
        wanted = {RuntimeStatus(s) for s in statuses} or {
            RuntimeStatus.COMPLETED,
            RuntimeStatus.FAILED,
            RuntimeStatus.TERMINATED,
        }
        try:
            return await self.host.wait_for_status(instance_id, wanted, timeout)
        except TimeoutError as err:
            raise TimeoutError(f"{err}{self._clock_hint()}") from None

    async def wait_for_custom_status(
        self, instance_id: str, expected: Any | Callable[[Any], bool], *, timeout: float = 10.0
    ) -> Any:
        """Wait until the custom status equals ``expected`` (or ``expected(value)`` is true); return it.

        The value is the orchestrator's ``set_custom_status`` argument as a Python value; a
        predicate is only asked once one is set. Raises TimeoutError (with the last value seen)
        after ``timeout`` seconds of real time.
        """
        if callable(expected):
            predicate = expected

            def matches(value: Any) -> bool:
                return value is not None and bool(predicate(value))
        else:

            def matches(value: Any) -> bool:
                return bool(value == expected)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            status = await self.host.get_status(instance_id)
            value = _decode(status.custom_status) if status is not None else None
            if status is not None and matches(value):
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = "not found" if status is None else f"{status.runtime_status} with custom status {value!r}"
                raise TimeoutError(
                    f"{instance_id} is {seen} after {timeout}s, expected custom status {expected!r}{self._clock_hint()}"
                )
            await self.host.changed(min(remaining, 0.5))

    async def custom_status(self, instance_id: str) -> Any:
        """The instance's current custom status as a Python value (None when unset).

        Raises :class:`~durable_local.errors.InstanceNotFound` for an unknown instance.
        """
        return _decode((await self._status(instance_id)).custom_status)

    async def output(self, instance_id: str, timeout: float = 10.0) -> Any:
        """Wait for a terminal status, then return the output as a Python value (None when none).

        For a Completed instance that is the orchestrator's return value; for a Failed one, the
        failure text the status API shows.
        """
        return _decode((await self.wait_for(instance_id, timeout=timeout)).output)

    async def raise_event(self, instance_id: str, name: str, data: Any = None) -> None:
        """Raise event ``name`` as the management API does for a JSON body (``sendEventPostUri``).

        ``wait_for_external_event`` then returns ``data`` as the same Python value. (The SDK
        client's ``raise_event`` JSON-encodes it once more, SDK #295; ``self.client()`` tests that
        path.) Raises InstanceNotFound or InstanceGone (the API's 404 and 410) and changes nothing.
        """
        await self.host.raise_event(instance_id, name, json.dumps(data))

    async def idle(self) -> None:
        """Wait until nothing is runnable at the current (virtual) time and no activity runs."""
        await self.host.dispatcher.wait_idle()

    async def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> None:
        """Move the manual clock forward and wait until the host is idle again.

        The step is ``delta`` plus the keyword parts: ``advance(days=10)`` is
        ``advance(timedelta(days=10))``. Timers fire in order even across a long jump: time moves
        to each due timer (and each timer-trigger occurrence) in turn, so an orchestration sees
        the same sequence of ``current_utc_datetime`` values as it would in real time. Raises
        TypeError on a clock other than :class:`ManualClock` and ValueError for a negative step.
        """
        clock = self.host.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs the host to run on a ManualClock")
        step = (delta or timedelta(0)) + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if step < timedelta(0):
            raise ValueError(f"time cannot go backwards (advance by {step})")
        await self.idle()
        target = clock.now() + step
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
        """The status record (JSON fields as text), or None for an unknown instance."""
        return await self.host.get_status(instance_id)

    async def _status(self, instance_id: str) -> InstanceStatus:
        status = await self.host.get_status(instance_id)
        if status is None:
            raise InstanceNotFound(instance_id)
        return status

    def _clock_hint(self) -> str:
        if isinstance(self.host.clock, ManualClock):
            return " (the clock is manual: advance() fires timers that are due)"
        return ""


def _decode(text: str | None) -> Any:
    """A JSON field of the status record as a Python value (None stays None)."""
    return json.loads(text) if text is not None else None


@asynccontextmanager
async def run_host(
    app_dir: str | os.PathLike[str],
    *,
    clock: Clock | None = None,
    state: str | os.PathLike[str] = ":memory:",
    timer_settings: bool = True,
    workers: int | None = 0,
    **options: Any,
) -> AsyncIterator[TestHost]:
    """Start the local host on ``app_dir`` on a free loopback port; stop it on exit.

    ``clock`` defaults to a :class:`ManualClock`; ``state`` to a private in-memory database.
    ``workers`` = 0 (the default) runs the app's code in the test's own process, where
    breakpoints and debuggers work; ``workers=N`` in N worker processes as on Azure (module
    globals per process, episodes on any of them); None as ``FUNCTIONS_WORKER_PROCESS_COUNT``
    says. Extra keyword arguments go to :func:`durable_local.composition.open_host`.
    """
    async with open_host(
        app_dir,
        clock=clock or ManualClock(),
        state=state,
        port=0,
        timer_settings=timer_settings,
        workers=workers,
        **options,
    ) as host, aiohttp.ClientSession() as session:
        yield TestHost(host, session)
