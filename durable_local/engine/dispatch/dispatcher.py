"""Fetch -> process -> complete | abandon, for orchestration episodes and activities.

One asyncio loop drives all three (:class:`~.episodes.EpisodeRunner`, :class:`~.entities.EntityRunner`
for instances named ``@name@key``, :class:`~.activities.ActivityRunner`).
Episodes run inline on the loop (the SDK's replay is synchronous and takes a millisecond or
so); activities run concurrently. Nothing polls on the hot path: every commit wakes the loop;
the loop sleeps only until the next timer is due, and at most ``idle_poll_s`` seconds in case
another process wrote the file. With a clock that skips, an idle host jumps straight to the
next timer.

A failing user function is data (TaskFailed, Failed); a failing store step abandons the work
item, which is retried under the options' :class:`~.policy.BackoffPolicy` with nothing
half-written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from ...services.bindings import OutputBindings
from ...services.clock import Clock
from ...services.loader import Registry
from ...services.store import Store
from ..entities import is_entity_instance
from .activities import ActivityRunner
from .due import DueSource
from .entities import EntityRunner
from .episodes import EpisodeRunner
from .policy import DispatcherOptions

logger = logging.getLogger("durable_local")


class Dispatcher:
    """Runs episodes and activities from :meth:`start` until :meth:`stop`."""

    def __init__(
        self, store: Store, registry: Registry, clock: Clock, bindings: OutputBindings, options: DispatcherOptions
    ) -> None:
        self.store = store
        self.clock = clock
        self.options = options
        self.episode_runner = EpisodeRunner(store, registry, clock, options)
        self.entity_runner = EntityRunner(store, registry, clock, options)
        self.activity_runner = ActivityRunner(store, registry, clock, bindings, options, notify=self.notify)
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._stopping = False
        self._failures = 0
        self._task: asyncio.Task[None] | None = None
        #: trigger listeners with due times of their own (see :mod:`.due`)
        self.due_sources: list[DueSource] = []
        clock.subscribe(self.notify)

    @property
    def episodes(self) -> int:
        """Episodes run so far that delivered at least one event."""
        return self.episode_runner.episodes

    @property
    def activity_runs(self) -> int:
        return self.activity_runner.runs

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every committed episode or batch of activity results."""
        self.episode_runner.on_commit = callback
        self.entity_runner.on_commit = callback
        self.activity_runner.on_commit = callback

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        released = self.store.release_leases()
        if released:
            logger.warning("Released %d activity leases held by a previous host process; they run again", released)
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="durable-dispatcher")

    async def stop(self) -> None:
        """Stop taking work, let in-flight activities finish, then return."""
        self._stopping = True
        self.notify()
        if self._task is not None:
            await self._task
        await self.activity_runner.drain()

    def forget_history(self, instance_id: str) -> None:
        """Drop a cached history that was rewritten outside an episode (a rewind)."""
        self.episode_runner.cache.forget(instance_id)

    def notify(self) -> None:
        """Something was committed: look for work now."""
        self._idle.clear()
        self._wake.set()

    async def wait_idle(self) -> None:
        """Return once nothing is runnable now and no activity is executing."""
        self.notify()
        await self._idle.wait()

    def next_due_at(self) -> datetime | None:
        """The earliest due time of the store (timers, queued events) and of the due sources."""
        times = [self.store.next_visible_at(), *(source.next_due() for source in self.due_sources)]
        known = [t for t in times if t is not None]
        return min(known) if known else None

    def _sources_pending(self) -> bool:
        """True while a due source runs a function or is due now (it is about to)."""
        now = self.clock.now()
        for source in self.due_sources:
            due = source.next_due()
            if source.busy or (due is not None and due <= now):
                return True
        return False

    # -- the loop ----------------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                worked = await self._pass()
                self._failures = 0
            except Exception:  # a store failure outside one work item: keep serving, back off
                delay = self.options.backoff.delay(self._failures)
                self._failures += 1
                logger.exception("Dispatcher pass failed; retrying in %.2fs", delay)
                await asyncio.sleep(delay)
                continue
            if worked:
                await asyncio.sleep(0)  # let HTTP handlers in
                continue
            if not self.activity_runner.busy and self.store.pending_activity_count() == 0 and not self._sources_pending():
                if self.clock.skips_when_idle:
                    due = self.next_due_at()
                    if due is not None and due > self.clock.now():
                        self.clock.skip_to(due)
                        continue
                if not self.episode_runner.retries and not self.entity_runner.retries:
                    self._idle.set()
            await self._sleep_until_work()

    async def _pass(self) -> bool:
        """Record finished activities, start new ones, then run the episodes that are due."""
        worked = self.activity_runner.record_results()
        if not self._stopping:
            worked = self.activity_runner.start_claimed() or worked
        for instance_id in self.store.ready_instances(self.clock.now(), self.options.batch):
            if is_entity_instance(instance_id):
                if not self.entity_runner.retries.waiting(instance_id):
                    worked = self.entity_runner.run(instance_id) or worked
            elif not (self.episode_runner.retries.waiting(instance_id) or self.activity_runner.put_off(instance_id)):
                worked = self.episode_runner.run(instance_id) or worked
            await asyncio.sleep(0)
        return worked

    async def _sleep_until_work(self) -> None:
        timeout = self.options.idle_poll_s
        due = self.store.next_visible_at()
        if due is not None:
            timeout = min(timeout, max(0.0, (due - self.clock.now()).total_seconds()))
        for other in (
            self.episode_runner.retries.next_due(),
            self.entity_runner.retries.next_due(),
            self.activity_runner.next_due(),
        ):
            if other is not None:
                timeout = min(timeout, other)
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        except TimeoutError:
            pass
