"""Driving the engine in-process, without HTTP, and observing its commits.

:func:`running_engine` wires the real store, dispatcher and SDK (``durable_local.composition.create_host``)
on a SQLite file in a temporary directory (or ``:memory:``) and starts the dispatcher, as
``tests/engine/conftest.py`` does. :class:`CommitLog` wraps the store's ``commit_episode`` on the
instance (bench code only) to timestamp every committed episode, so completion times come from
the commit itself rather than from polling.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from durable_local.composition import create_host
from durable_local.host import DurableHost
from durable_local.protocol import TERMINAL_STATUSES, RuntimeStatus
from durable_local.records import EpisodeCommit
from durable_local.services.clock import Clock
from durable_local.services.loader import OutputBinding, Registry
from durable_local.services.store import SqliteStore
from durable_local.workers import WorkerPool

APPS = Path(__file__).resolve().parent / "apps"
HELLO_APP = APPS / "hello_cities"


class DiscardingBindings:
    """Output bindings that accept values and write nothing (``--storage none``)."""

    def __init__(self) -> None:
        self.discarded = 0

    async def flush(self, outputs: tuple[OutputBinding, ...], values: dict[str, Any]) -> None:
        self.discarded += sum(1 for v in values.values() if v is not None)


@dataclass
class CommitLog:
    """perf_counter timestamps of committed episodes, per instance; wakes waiters on completion."""

    episodes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    finished: dict[str, tuple[float, RuntimeStatus]] = field(default_factory=dict)
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)

    def attach(self, store: Any) -> None:
        original = store.commit_episode

        def commit_episode(commit: EpisodeCommit) -> None:
            original(commit)
            now = time.perf_counter()
            self.episodes[commit.instance_id].append(now)
            if commit.status in TERMINAL_STATUSES and commit.instance_id not in self.finished:
                self.finished[commit.instance_id] = (now, commit.status)
                self._wake()

        store.commit_episode = commit_episode  # shadows the method on this instance only

    def _wake(self) -> None:
        done = len(self.finished)
        for count, future in list(self._waiters):
            if done >= count and not future.done():
                future.set_result(None)

    async def wait_finished(self, count: int, timeout: float) -> None:
        """Return once ``count`` instances have reached a terminal status."""
        if len(self.finished) >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError as err:
            raise TimeoutError(f"only {len(self.finished)} of {count} orchestrations finished within {timeout:g}s") from err

    def failures(self) -> list[str]:
        return [i for i, (_, status) in self.finished.items() if status is not RuntimeStatus.COMPLETED]


@asynccontextmanager
async def running_engine(
    registry: Registry,
    *,
    clock: Clock,
    state: str = "file",
    bindings: Any = None,
    max_activities: int | None = None,
    store_meter: Any = None,
    workers: int = 0,
    meter: Any = None,
    capture: Any = None,
) -> AsyncIterator[tuple[DurableHost, CommitLog]]:
    """A started engine on a fresh store; ``state`` is ``file`` (temp dir) or ``memory``.

    ``workers`` > 0 runs the app in that many worker processes (as ``--workers N``); ``meter``
    (a :class:`~bench.metering.CpuMeter`) then measures their CPU too, and ``capture`` (a
    :class:`~bench.sdk_only.ContextCapture`) records the episodes they run.
    """
    with tempfile.TemporaryDirectory(prefix="durable-bench-") as tmp:
        path = str(Path(tmp) / "state.sqlite") if state == "file" else ":memory:"
        store = SqliteStore(path)
        pool = WorkerPool(registry, workers) if workers else None
        if pool is not None:
            await pool.start()
            if meter is not None:
                meter.workers = pool
            if capture is not None:
                capture.instrument_runner(pool, registry)
        host = create_host(
            registry,
            store=store,
            clock=clock,
            bindings=bindings if bindings is not None else DiscardingBindings(),
            max_activities=max_activities,
            runner=pool,
        )
        if store_meter is not None:
            store_meter.attach(store)
        log = CommitLog()
        log.attach(store)
        host.dispatcher.start()
        try:
            yield host, log
        finally:
            await host.dispatcher.stop()
            if pool is not None:
                await pool.stop()
            store.close()


def client_input(value: Any) -> str | None:
    """Input JSON as the SDK client stores it (a JSON string of JSON text, protocol notes 1.4)."""
    return json.dumps(json.dumps(value)) if value is not None else None
