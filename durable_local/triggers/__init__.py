"""Trigger listeners: timer, queue and blob triggers, started and stopped with the host.

:class:`TriggerListeners` turns the registry's triggered functions into listeners
(:mod:`.timer`, :mod:`.queue`, :mod:`.blob`), checking their configuration first: an invalid
schedule, queue name or blob path refuses start-up with the extension's wording (the real host
disables only that function; see :mod:`durable_local.services.loader.settings`). Every listener
runs its function through one :class:`~.runner.TriggerRunner` and is a due-time source of the
dispatcher (:mod:`durable_local.engine.dispatch.due`). ``composition.open_host`` starts them after
the dispatcher and stops them before the HTTP server, so a starter's durable client can still
call the host back while the last invocation finishes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..engine.dispatch.due import DueSource
from ..errors import AppLoadError, BindingError
from ..services.bindings import OutputBindings, connections
from ..services.bindings.encoding import host_message_encoding
from ..services.clock import Clock
from ..services.loader import NoticeLevel, Registry, StartupNotice, TriggeredFunction, TriggerKind
from ..services.loader.settings import AppSettings, function_error
from ..services.store import TriggerStateStore
from .blob.listener import BlobListener
from .blob.paths import parse_blob_pattern
from .queue.listener import QueueListener
from .queue.options import queue_options, validate_queue_name
from .runner import TriggerRunner
from .timer.listener import TimerListener
from .timer.schedule import TimerSchedule, timer_time_zone

logger = logging.getLogger("durable_local")

__all__ = ["TriggerListeners", "TriggerOptions", "TriggerRunner"]


@dataclass(frozen=True)
class TriggerOptions:
    """Polling of the storage listeners (the timer needs none: it follows the host clock)."""

    #: seconds between container scans (the extension scans every 10 s)
    blob_poll_interval_s: float = 10.0
    #: overrides host.json ``maxPollingInterval`` (seconds) when set, e.g. short in tests
    queue_max_polling_s: float | None = None


class Listener(DueSource, Protocol):
    function: TriggeredFunction

    def start(self) -> None: ...

    async def stop(self) -> None: ...


def _refuse(function: TriggeredFunction, message: str) -> AppLoadError:
    return AppLoadError(
        function_error(function.name, f"Microsoft.Azure.WebJobs.Extensions: {message}")
        + " (The Functions host would disable only this function; the local host refuses to start.)"
    )


class TriggerListeners:
    """The listeners of one host. Construct (checks the configuration), :meth:`start`, :meth:`stop`."""

    def __init__(
        self,
        registry: Registry,
        *,
        store: TriggerStateStore,
        clock: Clock,
        runner: TriggerRunner,
        bindings: OutputBindings,
        notify: Callable[[], None],
        options: TriggerOptions | None = None,
        settings: AppSettings | None = None,
    ) -> None:
        options = options or TriggerOptions()
        self._bindings = bindings
        settings = settings or AppSettings()
        extensions = registry.host.extensions
        try:
            # One QueuesOptions.MessageEncoding for the trigger and the output clients (stq
            # QueueServiceClientProvider.CreateClientOptions): the app's outputs encode as its triggers decode.
            bindings.message_encoding = host_message_encoding(extensions)
        except ValueError as err:
            raise AppLoadError(str(err)) from err
        self.listeners: list[Listener] = []
        self._queues: list[QueueListener] = []
        self._blobs: list[BlobListener] = []
        zone: Any = None
        for function in registry.triggered:
            if registry.is_disabled(function.name):
                # webjobs HostListenerFactory: a disabled function gets no listener at all.
                logger.info("Function '%s' is disabled", function.name)
                continue
            connection = str(function.trigger.get("connection") or "AzureWebJobsStorage")
            try:
                if function.kind is TriggerKind.TIMER:
                    if zone is None:
                        zone = timer_time_zone(settings.get("WEBSITE_TIME_ZONE"))
                    schedule = TimerSchedule.parse(str(function.trigger.get("schedule") or ""), zone)
                    now = clock.now()
                    use_monitor = function.trigger.get("useMonitor")
                    self.listeners.append(
                        TimerListener(
                            function,
                            schedule,
                            run_on_startup=bool(function.trigger.get("runOnStartup") or False),
                            use_monitor=schedule.default_use_monitor(now) if use_monitor in (None, True) else False,
                            store=store,
                            clock=clock,
                            runner=runner,
                            notify=notify,
                        )
                    )
                elif function.kind is TriggerKind.QUEUE:
                    queue = QueueListener(
                        function,
                        validate_queue_name(str(function.trigger.get("queueName") or "")),
                        connections.connection_string(connection, settings),
                        queue_options(dict(extensions.get("queues") or {})),
                        runner,
                        max_polling_s=options.queue_max_polling_s,
                    )
                    self._queues.append(queue)
                    self.listeners.append(queue)
                else:
                    blobs = dict(extensions.get("blobs") or {})
                    threshold = int({k.lower(): v for k, v in blobs.items()}.get("poisonblobthreshold", 5))
                    if threshold < 1:
                        raise ValueError("poisonBlobThreshold must be at least 1.")
                    blob = BlobListener(
                        function,
                        parse_blob_pattern(str(function.trigger.get("path") or "")),
                        connections.connection_string(connection, settings),
                        store,
                        runner,
                        poison_threshold=threshold,
                        poll_interval_s=options.blob_poll_interval_s,
                    )
                    self._blobs.append(blob)
                    self.listeners.append(blob)
            except ValueError as err:
                raise _refuse(function, str(err)) from err
            except BindingError as err:  # the loader's check_connection normally reports these first
                raise AppLoadError(f"Function '{function.name}': {err}") from err
        bindings.on_write.append(self._written)
        #: start-up warnings about the listeners (also logged)
        self.notices: list[StartupNotice] = self._clock_notices(clock)
        for notice in self.notices:
            logger.warning("%s", notice.message)

    def _clock_notices(self, clock: Clock) -> list[StartupNotice]:
        """A warning when an auto-skip clock drives timer triggers: they would run back to back.

        The skipping clock jumps to the next due time whenever the host is idle, and a recurring
        timer always has a next occurrence, so its invocations follow one another without end
        (thousands a minute). Orchestration timers end; a schedule does not.
        """
        timers = [listener.function.name for listener in self.listeners if isinstance(listener, TimerListener)]
        if not timers or not getattr(clock, "skips_when_idle", False):
            return []
        return [
            StartupNotice(
                NoticeLevel.WARNING,
                f"The clock skips ahead when the host is idle (auto-skip) and the app has timer triggers "
                f"({', '.join(sorted(timers))}): each idle moment jumps to the next occurrence, so they run back to "
                "back without end. Use the system clock (the default) to run schedules in real time, or a manual "
                "clock in tests (advance() fires each occurrence once).",
            )
        ]

    @property
    def sources(self) -> list[DueSource]:
        return list(self.listeners)

    def _written(self, kind: str, connection_string: str, target: str) -> None:
        """The fast path: the host's own output binding wrote where a listener looks."""
        if kind == "queue":
            for queue in self._queues:
                if queue.queue_name == target.lower() and queue.connection_string == connection_string:
                    queue.notify()
        elif kind == "blob":
            container = target.partition("/")[0].lower()
            for blob in self._blobs:
                if blob.pattern.container.lower() == container and blob.connection_string == connection_string:
                    blob.notify()

    def start(self) -> None:
        self._bindings.allow_retrying()
        for listener in self.listeners:
            listener.start()
            logger.info("Listening: %s (%s)", listener.function.name, listener.function.kind)

    async def stop(self) -> None:
        """Stop the listeners; first end the output bindings' storage retries (shared with HTTP
        functions and activities), so that the host stops promptly instead of waiting them out
        (``open_host`` stops the listeners first)."""
        self._bindings.stop_retrying()
        for listener in self.listeners:
            await listener.stop()
