"""The composition root: the one place that wires services, engine and front-ends together.

* :func:`create_host` wires the engine (store, clock, bindings, dispatcher, facade) without
  starting anything: engine-level tests and benchmarks use it directly;
* :func:`open_host` loads the app, opens the store, checks the trigger configuration, starts
  the worker processes (if any), serves the HTTP front-end and the dashboard on a TCP port and
  runs the dispatcher and the trigger listeners until the context exits (listeners stop first,
  while their functions can still call the host back, then HTTP, then in-flight work drains,
  then the workers stop, the store closes and the app is unloaded).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import cast

from aiohttp import web

from .engine.dispatch import Dispatcher, DispatcherOptions
from .engine.dispatch.policy import DEFAULT_MAX_EPISODES
from .engine.entities import DEFAULT_BATCH_SIZE as DEFAULT_ENTITY_BATCH_SIZE
from .frontends.dashboard import DASHBOARD_PATH, setup_dashboard
from .frontends.http import create_app
from .frontends.http.client_binding import client_binding_json
from .host import DurableHost
from .services.bindings import OutputBindings
from .services.bindings.encoding import host_message_encoding
from .services.bindings.reachability import unreachable_storage
from .services.clock import Clock, SystemClock
from .services.invocation import InputReader
from .services.keys import FunctionKeys
from .services.loader import InputBinding, NoticeLevel, OutputBinding, Registry, StartupNotice, load_app
from .services.loader.checks import STORAGE_BINDINGS, connection_setting
from .services.store import SqliteStore, Store, TriggerStateStore
from .triggers import TriggerListeners, TriggerOptions, TriggerRunner
from .workers import (
    FunctionRunner,
    InProcessRunner,
    WorkerOptions,
    WorkerPool,
    check_worker_count,
    worker_count_from_settings,
)

logger = logging.getLogger("durable_local")

#: The extension's default task hub name when neither host.json nor WEBSITE_SITE_NAME sets one.
DEFAULT_HUB = "TestHubName"


def default_state_path(app_dir: Path) -> Path:
    """State file under the app (``.durable_local/`` is gitignored and listed in .funcignore)."""
    return app_dir / ".durable_local" / "state.sqlite"


def activity_limit(registry: Registry, max_activities: int | None = None) -> int:
    """Activities at once: ``max_activities``, else host.json ``maxConcurrentActivityFunctions``, else 10."""
    return max_activities or int(registry.host.durable.get("maxConcurrentActivityFunctions") or 10)


def create_host(
    registry: Registry,
    *,
    store: Store,
    clock: Clock | None = None,
    hub_name: str | None = None,
    timer_settings: bool | None = None,
    function_keys: Mapping[str, str] | None = None,
    max_activities: int | None = None,
    bindings: OutputBindings | None = None,
    http_timeout_s: float | None = None,
    runner: FunctionRunner | None = None,
) -> DurableHost:
    """Wire the engine (store, dispatcher, facade) without starting anything.

    ``runner`` runs the app's functions: in this process by default (an
    :class:`~durable_local.workers.InProcessRunner`), or a started
    :class:`~durable_local.workers.WorkerPool`.
    ``max_activities`` defaults to host.json's ``maxConcurrentActivityFunctions`` (else 10);
    the hub name to host.json's ``hubName`` (``%NAME%`` already resolved by the loader), then
    ``WEBSITE_SITE_NAME``, then ``TestHubName`` (ext: ``DurableTaskOptions``). ``timer_settings``
    defaults to whether host.json's storage provider is Azure Storage: the extension sends the
    long-timer settings only for that provider. ``http_timeout_s`` bounds a ``call_http``
    request (240 s, the extension's HttpClient timeout, by default).
    """
    clock = clock or SystemClock()
    if timer_settings is None:
        timer_settings = registry.host.storage_provider == "AzureStorage"
    durable = registry.host.durable
    limit = activity_limit(registry, max_activities)
    hub = hub_name or registry.host.hub_name or os.environ.get("WEBSITE_SITE_NAME") or DEFAULT_HUB
    options = DispatcherOptions(
        max_activities=limit,
        max_episodes=int(durable.get("maxConcurrentOrchestratorFunctions") or DEFAULT_MAX_EPISODES),
        timer_settings=timer_settings,
        entity_batch_size=int(durable.get("maxEntityOperationBatchSize") or DEFAULT_ENTITY_BATCH_SIZE),
        hub_name=hub,
    )
    if http_timeout_s is not None:
        options = replace(options, http_timeout_s=http_timeout_s)
    if runner is None:
        runner = InProcessRunner(registry, threads=limit)
    if bindings is None:
        bindings = OutputBindings(message_encoding=host_message_encoding(registry.host.extensions))
    dispatcher = Dispatcher(store, registry, clock, bindings, options, runner)
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
    timer_settings: bool | None = None,
    function_keys: Mapping[str, str] | None = None,
    max_activities: int | None = None,
    store: Store | None = None,
    trigger_options: TriggerOptions | None = None,
    bindings: OutputBindings | None = None,
    http_timeout_s: float | None = None,
    workers: int | None = 0,
    worker_options: WorkerOptions | None = None,
) -> AsyncIterator[DurableHost]:
    """Run the local host on ``app_dir`` (or an already loaded ``registry``) until the context exits.

    ``state`` is a SQLite file (default ``<app>/.durable_local/state.sqlite``) or ``":memory:"``;
    ``port=0`` picks a free port (``DurableHost.base_url`` tells which). ``timer_settings``
    sends the Azure Storage long-timer settings to the SDK, so >6-day timers behave as in
    production, bugs included; pass False to behave like the DTS and MSSQL providers.
    An app loaded here is unloaded on exit; a ``registry`` passed in stays the caller's.
    ``trigger_options`` tunes the queue and blob listeners' polling (short in tests);
    ``bindings`` the output bindings (their storage retry window). Raises ``AppLoadError`` for
    a trigger whose configuration the extension would reject, before anything listens.
    Start-up notices (storage provider, unreachable storage) are in ``DurableHost.notices``.

    ``workers`` is how many worker processes run the app's code: 0 (the default) runs it in
    this process, N starts N processes (:mod:`durable_local.workers`), None reads
    ``FUNCTIONS_WORKER_PROCESS_COUNT`` as the Functions host does (1 when unset). A worker that
    cannot load the app raises ``AppLoadError`` before anything listens.
    """
    state = absolute_state_path(state)  # before the app's root becomes the working directory
    owns_registry = registry is None
    if registry is None:
        if app_dir is None:
            raise ValueError("open_host needs app_dir or registry")
        registry = load_app(app_dir)
    try:
        if store is None:
            store = SqliteStore(state if state is not None else default_state_path(registry.app_dir))
        try:
            count = worker_count_from_settings(os.environ) if workers is None else check_worker_count(workers)
            runner: FunctionRunner = (
                WorkerPool(registry, count, worker_options)
                if count
                else InProcessRunner(registry, threads=activity_limit(registry, max_activities))
            )
            await runner.start()
        except BaseException:
            store.close()
            raise
        try:
            bindings = bindings or OutputBindings(message_encoding=host_message_encoding(registry.host.extensions))
            durable_host = create_host(
                registry,
                store=store,
                clock=clock,
                hub_name=hub_name,
                timer_settings=timer_settings,
                function_keys=function_keys,
                max_activities=max_activities,
                bindings=bindings,
                http_timeout_s=http_timeout_s,
                runner=runner,
            )
            system_key = FunctionKeys(function_keys).system_key
            trigger_runner = TriggerRunner(
                runner,
                InputReader(),
                bindings,
                lambda: client_binding_json(durable_host.base_url, durable_host.hub_name, system_key),
            )
            # SqliteStore implements both the Store and the TriggerStateStore protocols.
            triggers = TriggerListeners(
                registry,
                store=cast(TriggerStateStore, store),
                clock=durable_host.clock,
                runner=trigger_runner,
                bindings=bindings,
                notify=durable_host.dispatcher.notify,
                options=trigger_options,
            )
            durable_host.dispatcher.due_sources.extend(triggers.sources)
            durable_host.notices = list(registry.notices) + triggers.notices + await _storage_notices(registry)
            app = create_app(durable_host, bindings=bindings, invoker=runner)
            setup_dashboard(app, durable_host)
            web_runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await web_runner.setup()
            try:
                site = web.TCPSite(web_runner, host, port)
                await site.start()
                durable_host.base_url = _base_url(web_runner, host, port)
                durable_host.dashboard_url = durable_host.base_url + DASHBOARD_PATH
                durable_host.dispatcher.start()
                triggers.start()
                try:
                    yield durable_host
                finally:
                    await triggers.stop()
            finally:
                await web_runner.cleanup()
                await durable_host.dispatcher.stop()
        finally:
            await runner.stop()
            store.close()
    finally:
        if owns_registry:
            registry.close()


def absolute_state_path(state: str | os.PathLike[str] | None) -> str | os.PathLike[str] | None:
    """A state file path made absolute (``:memory:`` and None unchanged)."""
    if state is None or str(state) == ":memory:":
        return state
    return os.path.abspath(state)


def _storage_settings(registry: Registry) -> Iterable[str]:
    """The connection settings of every storage binding of the app."""
    for trigger in registry.triggered:
        yield connection_setting(trigger.trigger)
    bindings: list[OutputBinding | InputBinding] = []
    for http in registry.http:
        bindings += [*http.outputs, *http.inputs]
    for activity in registry.activities.values():
        bindings += activity.outputs
    for triggered in registry.triggered:
        bindings += [*triggered.outputs, *triggered.inputs]
    for binding in bindings:
        if binding.type in STORAGE_BINDINGS:
            yield connection_setting(binding.settings)


async def _storage_notices(registry: Registry) -> list[StartupNotice]:
    """A warning with the fix for each storage connection that does not answer."""
    return [
        StartupNotice(
            NoticeLevel.WARNING,
            f"Storage for '{down.setting}' is not reachable at {down.endpoint}: start Azurite "
            "(e.g. `npx azurite`). Output bindings retry while it comes up; "
            "queue and blob triggers keep polling.",
        )
        for down in await unreachable_storage(_storage_settings(registry))
    ]


def _base_url(runner: web.AppRunner, host: str, port: int) -> str:
    """``http://host:port`` of the listening site (the real port when ``port`` was 0)."""
    actual = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            actual = int(address[1])
            break
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{actual}"
