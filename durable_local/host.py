"""The engine facade: what the HTTP layer, the CLI and tests call, and the host's lifecycle.

``open_host`` is the single composition root: it loads the app, opens the store, builds the
:class:`DurableHost`, serves ``durable_local.http.create_app`` on a TCP port and runs the
:class:`~durable_local.dispatcher.Dispatcher` until the context exits (draining in-flight
activities first).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from aiohttp import web

from . import history as h
from .clock import Clock, SystemClock
from .dispatcher import Dispatcher, DispatcherOptions
from .errors import InstanceGone, InstanceNotFound, NotSupportedError, OrchestratorNotFound
from .instances import InstanceQuery, InstanceStatus, validate_instance_id
from .loader import Registry, load_app
from .protocol import EventType, HistoryEvent, RuntimeStatus
from .store import SqliteStore, Store

logger = logging.getLogger("durable_local")

#: The extension's default task hub name when neither host.json nor WEBSITE_SITE_NAME sets one.
DEFAULT_HUB = "TestHubName"


class DurableHost:
    """Management operations on a task hub, with the extension's semantics and errors."""

    def __init__(
        self,
        registry: Registry,
        store: Store,
        clock: Clock,
        *,
        hub_name: str,
        dispatcher: Dispatcher,
        function_keys: dict[str, str] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.hub_name = hub_name
        self.dispatcher = dispatcher
        self.function_keys = function_keys
        self.base_url = ""
        #: where the instance dashboard is served, once the HTTP server listens
        self.dashboard_url: str | None = None
        self._watchers: list[asyncio.Future[None]] = []

    # -- starting ----------------------------------------------------------------------------
    async def start_orchestration(self, name: str, instance_id: str | None = None, input_json: str | None = None) -> str:
        """Create an instance of orchestrator ``name``; returns its id.

        ``input_json`` is the JSON text stored as ExecutionStarted.Input. Raises
        :class:`OrchestratorNotFound`, :class:`InvalidInstanceId` or :class:`InstanceAlreadyExists`.
        """
        if name not in self.registry.orchestrators:
            raise OrchestratorNotFound(name)
        # ext: new ids are Guid.NewGuid().ToString("N"), 32 hex digits.
        instance_id = uuid.uuid4().hex if instance_id is None else validate_instance_id(instance_id)
        now = self.clock.now()
        execution_id = uuid.uuid4().hex
        start = h.execution_started(now, name=name, instance_id=instance_id, execution_id=execution_id, input_json=input_json)
        self.store.create_instance(
            instance_id=instance_id, name=name, execution_id=execution_id, input_json=input_json, now=now, start_event=start
        )
        logger.info("%s: started orchestration '%s'", instance_id, name)
        self.dispatcher.notify()
        return instance_id

    # -- reading -----------------------------------------------------------------------------
    async def get_status(self, instance_id: str) -> InstanceStatus | None:
        record = self.store.get_instance(instance_id)
        return record.status if record is not None else None

    async def get_history(self, instance_id: str) -> list[HistoryEvent] | None:
        if self.store.get_instance(instance_id) is None:
            return None
        return self.store.get_history(instance_id)

    async def list_instances(self, query: InstanceQuery) -> tuple[list[InstanceStatus], str | None]:
        return self.store.list_instances(query)

    # -- events and control ------------------------------------------------------------------
    def _live(self, instance_id: str, operation: str) -> InstanceStatus:
        record = self.store.get_instance(instance_id)
        if record is None:
            raise InstanceNotFound(instance_id)
        if record.status.runtime_status.is_terminal:
            raise InstanceGone(instance_id, str(record.status.runtime_status), operation)
        return record.status

    def _send(self, instance_id: str, event: HistoryEvent) -> None:
        self.store.enqueue(instance_id, event, visible_at=self.clock.now())
        self.dispatcher.notify()

    async def raise_event(self, instance_id: str, name: str, input_json: str | None) -> None:
        """Queue EventRaised; the SDK buffers it if nobody waits yet (protocol notes 6.2)."""
        self._live(instance_id, "raise an event for")
        self._send(instance_id, h.event_raised(self.clock.now(), name, input_json))

    async def terminate(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "terminate")
        self._send(instance_id, h.execution_terminated(self.clock.now(), reason))

    async def suspend(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "suspend")
        self._send(instance_id, h.execution_suspended(self.clock.now(), reason))

    async def resume(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "resume")
        self._send(instance_id, h.execution_resumed(self.clock.now(), reason))

    async def restart(self, instance_id: str, new_instance_id: bool = True) -> str:
        """Start the same orchestrator with the same input, under a new id or the same one."""
        record = self.store.get_instance(instance_id)
        if record is None:
            raise InstanceNotFound(instance_id)
        history = self.store.get_history(instance_id)
        started = next((e for e in history if e["EventType"] == EventType.EXECUTION_STARTED), None)
        input_json = started.get("Input") if started else record.status.input
        return await self.start_orchestration(record.status.name, None if new_instance_id else instance_id, input_json)

    async def rewind(self, instance_id: str, reason: str | None) -> None:  # noqa: ARG002
        raise NotSupportedError(
            "Rewind is not supported by the local Durable host (it is a preview feature of the extension); "
            "restart the instance instead."
        )

    async def purge(self, instance_id: str) -> int:
        return self.store.purge(instance_id)

    async def purge_many(self, query: InstanceQuery) -> int:
        return self.store.purge_many(query)

    async def delete_task_hub(self) -> None:
        count = self.store.purge_many(InstanceQuery())
        logger.info("Deleted task hub '%s' (%d instances)", self.hub_name, count)

    # -- waiting (tests, wait-for-completion) -------------------------------------------------
    async def wait_for_status(self, instance_id: str, statuses: set[RuntimeStatus], timeout: float) -> InstanceStatus:
        """Wait until the instance reaches one of ``statuses``; raises TimeoutError with its state."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            status = await self.get_status(instance_id)
            if status is not None and status.runtime_status in statuses:
                return status
            remaining = deadline - loop.time()
            if remaining <= 0:
                state = status.runtime_status if status else "not found"
                raise TimeoutError(f"{instance_id} is {state} after {timeout}s, expected one of {sorted(statuses)}")
            await self.changed(min(remaining, 0.5))

    async def changed(self, timeout: float) -> None:
        """Return after the next committed change (or ``timeout`` seconds)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watchers.append(future)
        try:
            await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            if future in self._watchers:
                self._watchers.remove(future)

    def _on_commit(self) -> None:
        watchers, self._watchers = self._watchers, []
        for future in watchers:
            if not future.done():
                future.set_result(None)


def default_state_path(app_dir: Path) -> Path:
    """State file under the app (``.durable_local/`` is gitignored and listed in .funcignore)."""
    return app_dir / ".durable_local" / "state.sqlite"


def _load_bindings() -> Any:
    from .bindings import OutputBindings

    return OutputBindings()


def create_host(
    registry: Registry,
    *,
    store: Store,
    clock: Clock | None = None,
    hub_name: str | None = None,
    timer_settings: bool = True,
    function_keys: dict[str, str] | None = None,
    max_activities: int | None = None,
    bindings: Any = None,
) -> DurableHost:
    """Wire the engine (store, dispatcher, facade) without starting anything."""
    clock = clock or SystemClock()
    durable = (registry.host.raw.get("extensions") or {}).get("durableTask") or {}
    limit = max_activities or int(durable.get("maxConcurrentActivityFunctions") or 10)
    dispatcher = Dispatcher(
        store,
        registry,
        clock,
        bindings if bindings is not None else _load_bindings(),
        DispatcherOptions(max_activities=limit, timer_settings=timer_settings),
    )
    durable_host = DurableHost(
        registry,
        store,
        clock,
        hub_name=hub_name or registry.host.hub_name or os.environ.get("WEBSITE_SITE_NAME") or DEFAULT_HUB,
        dispatcher=dispatcher,
        function_keys=function_keys,
    )
    dispatcher.on_commit = durable_host._on_commit  # noqa: SLF001 - the facade owns its waiters
    return durable_host


@asynccontextmanager
async def open_host(
    app_dir: str | os.PathLike[str] | None = None,
    *,
    registry: Registry | None = None,
    state: str | os.PathLike[str] | None = None,
    clock: Clock | None = None,
    hub_name: str | None = None,
    host: str = "127.0.0.1",
    port: int = 7071,
    timer_settings: bool = True,
    function_keys: dict[str, str] | None = None,
    max_activities: int | None = None,
    store: Store | None = None,
) -> AsyncIterator[DurableHost]:
    """Run the local host on ``app_dir`` until the context exits.

    ``state`` is a SQLite file (default ``<app>/.durable_local/state.sqlite``) or ``":memory:"``;
    ``port=0`` picks a free port (``DurableHost.base_url`` tells which). ``timer_settings``
    sends the Azure Storage long-timer settings to the SDK, so >6-day timers behave as in
    production, bugs included; pass False to behave like the DTS and MSSQL providers.
    On exit the HTTP server stops first, then in-flight activities drain.
    """
    if registry is None:
        if app_dir is None:
            raise ValueError("open_host needs app_dir or registry")
        registry = load_app(app_dir)
    if store is None:
        store = SqliteStore(state if state is not None else default_state_path(registry.app_dir))
    durable_host = create_host(
        registry,
        store=store,
        clock=clock,
        hub_name=hub_name,
        timer_settings=timer_settings,
        function_keys=function_keys,
        max_activities=max_activities,
    )
    # The HTTP layer and the dashboard depend on the engine, not the other way round.
    from .dashboard import DASHBOARD_PATH, setup_dashboard
    from .http import create_app

    app = create_app(durable_host)
    setup_dashboard(app, durable_host)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001 - aiohttp exposes no port getter
        actual_port = sockets[0].getsockname()[1] if sockets else port
        durable_host.base_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{actual_port}"
        durable_host.dashboard_url = durable_host.base_url + DASHBOARD_PATH
        durable_host.dispatcher.start()
        yield durable_host
    finally:
        await runner.cleanup()
        await durable_host.dispatcher.stop()
        store.close()
        await _close_sdk_session()


async def _close_sdk_session() -> None:
    """Close the SDK client's module-level aiohttp session (protocol notes, section 8).

    The Functions worker runs one event loop for the life of the process, and the SDK binds
    its shared session to it. A host that is opened and closed on several loops in one process
    (tests) must close that session with its loop, or the next loop inherits a dead one.
    """
    from azure.durable_functions.models.utils import http_utils

    await http_utils._close_session()  # noqa: SLF001 - the SDK offers no public hook
