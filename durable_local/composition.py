"""The composition root: the one place that wires services, engine and front-ends together.

* :func:`create_host` wires the engine (store, clock, bindings, dispatcher, facade) without
  starting anything: engine-level tests and benchmarks use it directly;
* :func:`open_host` loads the app, opens the store, serves the HTTP front-end and the dashboard
  on a TCP port and runs the dispatcher until the context exits (HTTP stops first, then
  in-flight activities drain, then the store closes and the app is unloaded).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from .engine.dispatch import Dispatcher, DispatcherOptions
from .engine.entities import DEFAULT_BATCH_SIZE as DEFAULT_ENTITY_BATCH_SIZE
from .frontends.dashboard import DASHBOARD_PATH, setup_dashboard
from .frontends.http import create_app
from .host import DurableHost
from .services.bindings import OutputBindings
from .services.clock import Clock, SystemClock
from .services.loader import Registry, load_app
from .services.store import SqliteStore, Store

logger = logging.getLogger("durable_local")

#: The extension's default task hub name when neither host.json nor WEBSITE_SITE_NAME sets one.
DEFAULT_HUB = "TestHubName"


def default_state_path(app_dir: Path) -> Path:
    """State file under the app (``.durable_local/`` is gitignored and listed in .funcignore)."""
    return app_dir / ".durable_local" / "state.sqlite"


def create_host(
    registry: Registry,
    *,
    store: Store,
    clock: Clock | None = None,
    hub_name: str | None = None,
    timer_settings: bool = True,
    function_keys: Mapping[str, str] | None = None,
    max_activities: int | None = None,
    bindings: OutputBindings | None = None,
    http_timeout_s: float | None = None,
) -> DurableHost:
    """Wire the engine (store, dispatcher, facade) without starting anything.

    ``max_activities`` defaults to host.json's ``maxConcurrentActivityFunctions`` (else 10);
    the hub name to host.json's ``hubName``, then ``WEBSITE_SITE_NAME``, then ``TestHubName``
    (ext: ``DurableTaskOptions``). ``http_timeout_s`` bounds a ``call_http`` request (240 s, the
    extension's HttpClient timeout, by default).
    """
    clock = clock or SystemClock()
    durable = registry.host.durable
    limit = max_activities or int(durable.get("maxConcurrentActivityFunctions") or 10)
    hub = hub_name or registry.host.hub_name or os.environ.get("WEBSITE_SITE_NAME") or DEFAULT_HUB
    options = DispatcherOptions(
        max_activities=limit,
        timer_settings=timer_settings,
        entity_batch_size=int(durable.get("maxEntityOperationBatchSize") or DEFAULT_ENTITY_BATCH_SIZE),
        hub_name=hub,
    )
    if http_timeout_s is not None:
        options = replace(options, http_timeout_s=http_timeout_s)
    dispatcher = Dispatcher(store, registry, clock, bindings if bindings is not None else OutputBindings(), options)
    return DurableHost(
        registry,
        store,
        clock,
        hub_name=hub,
        dispatcher=dispatcher,
        function_keys=function_keys,
    )


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
    function_keys: Mapping[str, str] | None = None,
    max_activities: int | None = None,
    store: Store | None = None,
    http_timeout_s: float | None = None,
) -> AsyncIterator[DurableHost]:
    """Run the local host on ``app_dir`` (or an already loaded ``registry``) until the context exits.

    ``state`` is a SQLite file (default ``<app>/.durable_local/state.sqlite``) or ``":memory:"``;
    ``port=0`` picks a free port (``DurableHost.base_url`` tells which). ``timer_settings``
    sends the Azure Storage long-timer settings to the SDK, so >6-day timers behave as in
    production, bugs included; pass False to behave like the DTS and MSSQL providers.
    An app loaded here is unloaded on exit; a ``registry`` passed in stays the caller's.
    """
    owns_registry = registry is None
    if registry is None:
        if app_dir is None:
            raise ValueError("open_host needs app_dir or registry")
        registry = load_app(app_dir)
    try:
        if store is None:
            store = SqliteStore(state if state is not None else default_state_path(registry.app_dir))
        try:
            durable_host = create_host(
                registry,
                store=store,
                clock=clock,
                hub_name=hub_name,
                timer_settings=timer_settings,
                function_keys=function_keys,
                max_activities=max_activities,
                http_timeout_s=http_timeout_s,
            )
            app = create_app(durable_host)
            setup_dashboard(app, durable_host)
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            try:
                site = web.TCPSite(runner, host, port)
                await site.start()
                durable_host.base_url = _base_url(runner, host, port)
                durable_host.dashboard_url = durable_host.base_url + DASHBOARD_PATH
                durable_host.dispatcher.start()
                yield durable_host
            finally:
                await runner.cleanup()
                await durable_host.dispatcher.stop()
        finally:
            store.close()
    finally:
        if owns_registry:
            registry.close()


def _base_url(runner: web.AppRunner, host: str, port: int) -> str:
    """``http://host:port`` of the listening site (the real port when ``port`` was 0)."""
    actual = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            actual = int(address[1])
            break
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{actual}"
