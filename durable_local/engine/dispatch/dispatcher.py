"""Fetch -> process -> complete | abandon, for orchestration episodes and activities.

One asyncio loop drives all three (:class:`~.episodes.EpisodeRunner`, :class:`~.entities.EntityRunner`
for instances named ``@name@key``, :class:`~.activities.ActivityRunner`), handing the app's code
to a :class:`~durable_local.workers.FunctionRunner`. Work items of different instances run
concurrently, at most ``max_episodes`` episodes and entity batches and ``max_activities``
activities at once, never two of one instance: in worker processes they use every worker (in
process an episode runs inline and takes a millisecond or so, so they follow one another).
Nothing polls on the hot path: every commit wakes the loop;
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
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from ...services.bindings import OutputBindings
from ...services.clock import Clock
from ...services.loader import Registry
from ...services.store import Store
from ...workers.calls import FunctionRunner
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
        self,
        store: Store,
        registry: Registry,
        clock: Clock,
        bindings: OutputBindings,
        options: DispatcherOptions,
        runner: FunctionRunner,
    ) -> None:
        self.store = store
        self.clock = clock
        self.options = options
        self.runner = runner
        self.episode_runner = EpisodeRunner(store, registry, clock, options, runner)
        self.entity_runner = EntityRunner(store, registry, clock, options, runner)
        self.activity_runner = ActivityRunner(store, registry, clock, bindings, options, notify=self._wake_up, runner=runner)
        #: instances with an episode or entity batch running, and their tasks
        self._running: dict[str, asyncio.Task[bool]] = {}
        #: a running work item committed since the last pass
        self._progress = False
        #: instances whose last run found nothing to commit: not run again until something changes
        self._quiet: set[str] = set()
        #: the store's earliest message time as last read; None: read it again (something changed)
        self._next_visible: tuple[datetime | None] | None = None
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
        """Stop taking work, let in-flight episodes, batches and activities finish, then return."""
        self._stopping = True
        self.notify()
        if self._task is not None:
            await self._task
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
        await self.activity_runner.drain()

    def forget_history(self, instance_id: str) -> None:
        """Drop a cached history that was rewritten outside an episode (a rewind)."""
        self.episode_runner.cache.forget(instance_id)

    def notify(self) -> None:
        """Something was committed: look for work now."""
        self._changed()
        self._idle.clear()
        self._wake.set()

    def _wake_up(self) -> None:
        """Look for work now; nothing in the store changed (an activity result waits to be recorded)."""
        self._idle.clear()
        self._wake.set()

    def _changed(self) -> None:
        """The store may have changed: forget what was concluded from reading it."""
        self._quiet.clear()
        self._next_visible = None
        self.activity_runner.maybe_claimable()

    def _store_next_visible_at(self) -> datetime | None:
        """When the next queued message becomes visible (a timer fires), after now; None: none queued.

        Read again only after a change (every writer calls :meth:`notify`) or once that time has
        come. Messages visible already do not count: the passes take them as capacity allows,
        and a finishing work item wakes the loop (counting them would spin it).
        """
        now = self.clock.now()
        if self._next_visible is None or (self._next_visible[0] is not None and self._next_visible[0] <= now):
            self._next_visible = (self.store.next_visible_at(after=now),)
        return self._next_visible[0]

    async def wait_idle(self) -> None:
        """Return once nothing is runnable now and no activity is executing."""
        self.notify()
        await self._idle.wait()

    def next_due_at(self) -> datetime | None:
        """The earliest due time of the store (timers, queued events) and of the due sources."""
        times = [self._store_next_visible_at(), *(source.next_due() for source in self.due_sources)]
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
            if (
                not self._running
                and not self.activity_runner.busy
                and self.store.pending_activity_count() == 0
                and not self._sources_pending()
            ):
                backing_off = bool(self.episode_runner.retries or self.entity_runner.retries)
                # A work item waiting to be retried is due now: time may not skip past it (the
                # next due time counts only messages still to become visible).
                if self.clock.skips_when_idle and not backing_off:
                    due = self.next_due_at()
                    if due is not None and due > self.clock.now():
                        self.clock.skip_to(due)
                        continue
                if not backing_off:
                    self._idle.set()
            await self._sleep_until_work()

    async def _pass(self) -> bool:
        """Record finished activities, start new ones, then start the episodes that are due.

        True when something was recorded, started or committed since the last pass.
        """
        worked = self.activity_runner.record_results()
        if worked:
            self._quiet.clear()  # results are messages, visible now: their instances have work
        if not self._stopping:
            worked = self.activity_runner.start_claimed() or worked
        worked = self._progress or worked
        self._progress = False
        free = self.options.max_episodes - len(self._running)
        if free <= 0 or self._stopping:
            return worked
        for instance_id in self.store.ready_instances(self.clock.now(), self.options.batch):
            if instance_id in self._running or instance_id in self._quiet:
                continue
            if is_entity_instance(instance_id):
                if self.entity_runner.retries.waiting(instance_id):
                    continue
                work = self.entity_runner.run(instance_id)
            elif self.episode_runner.retries.waiting(instance_id) or self.activity_runner.put_off(instance_id):
                continue
            else:
                work = self.episode_runner.run(instance_id)
            self._start(instance_id, work)
            free -= 1
            if free <= 0:
                break
        # In process the work items ran to completion inside create_task's first step; yield so
        # that they (and HTTP handlers) run before the next pass decides whether it is idle.
        await asyncio.sleep(0)
        worked = self._progress or worked
        self._progress = False
        return worked

    def _start(self, instance_id: str, work: Coroutine[Any, Any, bool]) -> None:
        task = asyncio.get_running_loop().create_task(work, name=f"work-{instance_id}")
        self._running[instance_id] = task

        def finished(done: asyncio.Task[bool]) -> None:
            self._running.pop(instance_id, None)
            if not done.cancelled() and done.exception() is None and done.result():
                self._progress = True
                self.notify()
            else:
                # Nothing committed (nothing deliverable, or backing off): leave the instance
                # alone until something changes, or it would be run again at once, forever;
                # wake the loop only to re-check whether the host is idle.
                self._quiet.add(instance_id)
                self._wake.set()

        task.add_done_callback(finished)

    async def _sleep_until_work(self) -> None:
        timeout = self.options.idle_poll_s
        due = self._store_next_visible_at()
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
            # Time passed: a timer may be due now (a quiet instance may have work). After a whole
            # idle poll, another process may also have written the file: read everything again.
            self._quiet.clear()
            if timeout >= self.options.idle_poll_s:
                self._changed()
