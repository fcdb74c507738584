"""Fetch -> process -> complete | abandon, for orchestration episodes and activities.

One asyncio loop drives both. Episodes run inline on the loop (the SDK's replay is synchronous
and takes a millisecond or so); activities run concurrently, sync ones in a thread pool, async
ones on the loop. Nothing polls on the hot path: every commit wakes the loop; the loop sleeps
only until the next timer is due, and at most ``idle_poll`` seconds in case another process
wrote the file. With a clock that skips, an idle host jumps straight to the next timer.

A failing user function is data (TaskFailed, Failed); a failing store step abandons the work
item, which is retried after a short back-off with nothing half-written.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from . import history as h
from .clock import Clock
from .errors import StaleCompletion
from .executor import build_context, played_text, run_activity, run_orchestrator
from .loader import Registry
from .protocol import TERMINAL_STATUSES, EventType, HistoryEvent, RuntimeStatus
from .runtime_state import (
    EpisodeBuilder,
    EpisodeOutcome,
    ExecutionState,
    NonDeterminismError,
    UnsupportedAction,
    deliver,
)
from .store.base import ActivityItem, EpisodeCommit, InstanceRecord, Store

logger = logging.getLogger("durable_local")

#: How long an episode may wait for more results of its own running activities (fan-in), so
#: that K parallel results cost a few replays of the history instead of K.
FAN_IN_WINDOW_S = 0.005

#: Instances whose stored history is kept in memory (about 5 KB each for a short orchestration).
HISTORY_CACHE_SIZE = 2000

_CONTROL_TYPES = {EventType.EXECUTION_SUSPENDED, EventType.EXECUTION_RESUMED}


@dataclass(frozen=True)
class DispatcherOptions:
    max_activities: int = 10
    timer_settings: bool = True  # send the Azure Storage long-timer settings (see executor)
    idle_poll_s: float = 1.0
    batch: int = 64


class Dispatcher:
    """Runs episodes and activities until :meth:`stop`."""

    def __init__(self, store: Store, registry: Registry, clock: Clock, bindings: Any, options: DispatcherOptions) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.bindings = bindings
        self.options = options
        self._pool = ThreadPoolExecutor(max_workers=max(1, options.max_activities), thread_name_prefix="activity")
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._backoff: dict[str, tuple[float, int]] = {}
        self._history: OrderedDict[str, tuple[str, list[str]]] = OrderedDict()
        #: activity results not yet written: recorded together at the start of the next pass
        self._results: list[tuple[ActivityItem, HistoryEvent]] = []
        self._results_retry_at = 0.0
        self._result_failures = 0
        #: activities of each instance leased by this process and not yet recorded
        self._inflight: Counter[str] = Counter()
        #: instance -> when its episode was first put off to gather more fan-in results
        self._deferred: dict[str, float] = {}
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.episodes = 0
        self.activity_runs = 0
        #: called after every committed episode or activity result (the host's waiters)
        self.on_commit: Callable[[], None] | None = None
        clock.subscribe(self.notify)

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
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self._flush_results()  # results not recorded now run again after the next start
        self._pool.shutdown(wait=True)

    def notify(self) -> None:
        """Something was committed: look for work now."""
        self._idle.clear()
        self._wake.set()

    async def wait_idle(self) -> None:
        """Return once nothing is runnable now and no activity is executing."""
        self.notify()
        await self._idle.wait()

    # -- the loop ----------------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                worked = await self._pass()
            except Exception:  # noqa: BLE001 - keep serving; the work item stays queued
                logger.exception("Dispatcher pass failed; retrying")
                worked = False
                await asyncio.sleep(0.05)
            if worked:
                await asyncio.sleep(0)  # let HTTP handlers in
                continue
            if not self._running and self.store.pending_activity_count() == 0:
                if self.clock.skips_when_idle:
                    due = self.store.next_visible_at()
                    if due is not None and due > self.clock.now():
                        self.clock.skip_to(due)
                        continue
                if not self._backoff:
                    self._idle.set()
            await self._sleep_until_work()

    async def _sleep_until_work(self) -> None:
        timeout = self.options.idle_poll_s
        due = self.store.next_visible_at()
        if due is not None:
            timeout = min(timeout, max(0.0, (due - self.clock.now()).total_seconds()))
        if self._backoff:
            timeout = min(timeout, max(0.0, min(t for t, _ in self._backoff.values()) - time.monotonic()))
        if self._deferred:
            timeout = min(timeout, max(0.0, min(self._deferred.values()) + FAN_IN_WINDOW_S - time.monotonic()))
        if self._results:
            timeout = min(timeout, max(0.0, self._results_retry_at - time.monotonic()))
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        except asyncio.TimeoutError:
            pass

    async def _pass(self) -> bool:
        """Record finished activities, start new ones, then run the episodes that are due."""
        worked = self._flush_results()
        free = self.options.max_activities - len(self._running)
        if free > 0 and not self._stopping:
            for item in self.store.claim_activities(free):
                self._inflight[item.instance_id] += 1
                task = asyncio.get_running_loop().create_task(self._run_activity(item))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
                worked = True
        now = self.clock.now()
        for instance_id in self.store.ready_instances(now, self.options.batch):
            retry_at = self._backoff.get(instance_id)
            if retry_at is not None and retry_at[0] > time.monotonic():
                continue
            if self._put_off(instance_id):
                continue
            worked = self._process(instance_id) or worked
            await asyncio.sleep(0)
        return worked

    def _put_off(self, instance_id: str) -> bool:
        """True while an instance with activities still running here should gather results.

        Bounded by :data:`FAN_IN_WINDOW_S`, so a ``task_any`` over a fast and a slow activity
        still sees the fast one promptly.
        """
        if not self._inflight.get(instance_id):
            self._deferred.pop(instance_id, None)
            return False
        first = self._deferred.setdefault(instance_id, time.monotonic())
        if time.monotonic() - first < FAN_IN_WINDOW_S:
            return True
        del self._deferred[instance_id]
        return False

    def _flush_results(self) -> bool:
        """Write the finished activities' results in one transaction; True if any were written.

        A failure keeps them for a retry with a capped back-off (the results are never dropped
        while the host runs; after a crash the leases are released and the activities run again).
        """
        if not self._results or time.monotonic() < self._results_retry_at:
            return False
        batch, self._results = self._results, []
        try:
            stale = self.store.complete_activities(batch)
        except Exception:  # noqa: BLE001 - transient store failure: retry the write
            self._results[:0] = batch
            self._result_failures += 1
            delay = min(1.0, 0.01 * 2**self._result_failures)
            self._results_retry_at = time.monotonic() + delay
            logger.exception("Recording %d activity results failed; retrying in %.2fs", len(batch), delay)
            return False
        self._result_failures = 0
        for item in stale:
            logger.warning("%s: dropped the result of activity task %d: its lease was lost", item.instance_id, item.task_id)
        for item, _ in batch:
            self._inflight[item.instance_id] -= 1
            if self._inflight[item.instance_id] <= 0:
                del self._inflight[item.instance_id]
        if self.on_commit is not None:
            self.on_commit()
        return True

    # -- orchestrations ----------------------------------------------------------------------
    def _process(self, instance_id: str) -> bool:
        """Run one work item for ``instance_id``; True when something was committed."""
        try:
            committed = self._episode(instance_id)
            self._backoff.pop(instance_id, None)
            return committed
        except StaleCompletion as err:
            logger.warning("%s: dropped a stale episode: %s", instance_id, err)
            return True
        except Exception:  # noqa: BLE001 - store or host failure: abandon, retry later
            _, attempts = self._backoff.get(instance_id, (0.0, 0))
            delay = min(1.0, 0.01 * 2**attempts)
            self._backoff[instance_id] = (time.monotonic() + delay, attempts + 1)
            logger.exception("%s: episode abandoned; retrying in %.2fs", instance_id, delay)
            return False

    def _episode(self, instance_id: str) -> bool:
        record = self.store.get_instance(instance_id)
        now = self.clock.now()
        messages = self.store.fetch_messages(instance_id, now)
        if record is None or not messages:
            return False
        status = record.status
        state = ExecutionState.from_json(record.exec_state)
        delivery, new_status = deliver(
            state, status.runtime_status, status.execution_id, [(m.id, m.execution_id, m.event) for m in messages]
        )
        for message_id, why in delivery.dropped:
            logger.info("%s: dropped message %d (%s)", instance_id, message_id, why)
        consumed = delivery.consumed + [m for m, _ in delivery.dropped]
        if not delivery.events:
            if not consumed:
                return False
            self._commit(record, now, state, consumed, [], _unchanged(status.runtime_status, record))
            return True
        self.episodes += 1
        played = self._played_history(record)
        events = [h.orchestrator_started(now), *delivery.events]
        terminated = next((e for e in delivery.events if e["EventType"] == EventType.EXECUTION_TERMINATED), None)
        if terminated is not None:
            outcome = EpisodeOutcome(new_history=[], status=RuntimeStatus.TERMINATED, output=json.dumps(terminated.get("Input")))
            outcome.custom_status = status.custom_status
        elif all(e["EventType"] in _CONTROL_TYPES for e in delivery.events):
            outcome = _unchanged(new_status, record)
        else:
            outcome = self._run_episode(record, state, played, events, now)
            if outcome.status is RuntimeStatus.RUNNING and new_status is RuntimeStatus.SUSPENDED:
                outcome.status = RuntimeStatus.SUSPENDED
        if outcome.continued_as_new:
            self._continue_as_new(record, now, consumed, played, events, outcome)
        else:
            self._commit(record, now, state, consumed, events, outcome)
        return True

    def _run_episode(
        self,
        record: InstanceRecord,
        state: ExecutionState,
        played: list[str],
        events: list[HistoryEvent],
        now: datetime,
        execution_id: str | None = None,
    ) -> EpisodeOutcome:
        status = record.status
        builder = EpisodeBuilder(
            state=state,
            instance_id=status.instance_id,
            execution_id=execution_id or status.execution_id,
            name=status.name,
            now=now,
            known_activities=set(self.registry.activities),
            known_orchestrators=set(self.registry.orchestrators),
        )
        builder.apply_events(events)
        orchestrator = self.registry.orchestrators.get(status.name)
        if orchestrator is None:
            return builder.fail(
                f"The function '{status.name}' doesn't exist, is disabled, or is not an orchestrator function."
            )
        started = next((e for e in events if e["EventType"] == EventType.EXECUTION_STARTED), None)
        context = build_context(
            played=played,
            new=events,
            input_json=started.get("Input") if started is not None else status.input,
            instance_id=status.instance_id,
            parent_instance_id=status.parent_instance_id,
            timer_settings=self.options.timer_settings,
        )
        started_at = time.perf_counter()
        reply = run_orchestrator(orchestrator.handle, context)
        logger.debug(
            "%s: episode replayed %d events in %.2f ms",
            status.instance_id, len(played) + len(events), (time.perf_counter() - started_at) * 1000,
        )
        failure_prefix = f"Orchestrator function '{status.name}' failed: "
        if reply.error is not None:
            builder.discard_scheduling()
            return builder.fail(failure_prefix + reply.error)
        try:
            continue_as_new = builder.apply_actions(reply.state.get("actions") or [])
            return builder.finish(reply.state, continue_as_new)
        except NonDeterminismError as err:
            builder.discard_scheduling()
            return builder.fail(str(err))
        except (UnsupportedAction, ValueError) as err:
            builder.discard_scheduling()
            return builder.fail(failure_prefix + str(err))

    def _continue_as_new(
        self,
        record: InstanceRecord,
        now: datetime,
        consumed: list[int],
        played: list[str],
        events: list[HistoryEvent],
        outcome: EpisodeOutcome,
    ) -> None:
        """Start the next generation in the same work item, as DTFx's dispatcher loop does.

        ``preserveUnprocessedEvents`` is false in the shim, so events not yet consumed are
        discarded with the old history (protocol notes 1.7.5).
        """
        status = record.status
        old_started = next((e for e in events if e["EventType"] == EventType.EXECUTION_STARTED), None)
        if old_started is None:
            old_started = json.loads(played[1])  # [OrchestratorStarted, ExecutionStarted, ...]
        execution_id = uuid.uuid4().hex
        start = h.execution_started(
            now,
            name=status.name,
            instance_id=status.instance_id,
            execution_id=execution_id,
            input_json=outcome.continue_as_new_input,
            parent=old_started.get("ParentInstance"),
            generation=int(old_started.get("Generation") or 0) + 1,
        )
        state = ExecutionState()
        new_events = [h.orchestrator_started(now), start]
        next_outcome = self._run_episode(record, state, [], new_events, now, execution_id)
        if next_outcome.continued_as_new:
            # Continue-as-new on the first episode of a generation: leave it to the next pass.
            next_outcome.continued_as_new = False
            next_outcome.status = RuntimeStatus.RUNNING
        self._commit(record, now, state, consumed, new_events, next_outcome, new_execution_id=execution_id, new_input=outcome.continue_as_new_input)

    def _commit(
        self,
        record: InstanceRecord,
        now: datetime,
        state: ExecutionState,
        consumed: list[int],
        events: list[HistoryEvent],
        outcome: EpisodeOutcome,
        *,
        new_execution_id: str | None = None,
        new_input: str | None = None,
    ) -> None:
        status = record.status
        tail: list[HistoryEvent | str] = list(events) + outcome.new_history
        terminal = outcome.status in TERMINAL_STATUSES
        if events:
            if terminal:
                code = h.ORCHESTRATION_STATUS[str(outcome.status)]
                failure = {"ErrorMessage": outcome.failure} if outcome.failure else None
                tail.append(h.execution_completed(now, code, outcome.output, failure))
            tail.append(h.orchestrator_completed(now))
        parent_message = None
        if terminal and record.parent is not None and status.runtime_status not in TERMINAL_STATUSES:
            task_id = record.parent.task_id
            if outcome.status is RuntimeStatus.COMPLETED:
                event = h.sub_orchestration_completed(now, task_id, outcome.output)
            else:
                reason = outcome.failure or f"Sub-orchestration '{status.instance_id}' was {outcome.status}."
                event = h.sub_orchestration_failed(now, task_id, reason, None)
            parent_message = (record.parent, event)
        commit = EpisodeCommit(
            instance_id=status.instance_id,
            execution_id=status.execution_id,
            now=now,
            status=outcome.status,
            output=outcome.output,
            custom_status=outcome.custom_status,
            exec_state=state.to_json(),
            append_history=tail,
            consumed=consumed,
            activities=outcome.activities,
            timers=outcome.timers,
            canceled_timers=outcome.canceled_timers,
            children=outcome.children,
            parent_message=parent_message,
            new_execution_id=new_execution_id,
            new_input=new_input,
        )
        try:
            self.store.commit_episode(commit)
        except BaseException:
            self._history.pop(status.instance_id, None)
            raise
        self._remember(status.instance_id, new_execution_id or status.execution_id, tail, replace=new_execution_id is not None, terminal=terminal)
        if self.on_commit is not None:
            self.on_commit()
        if events and terminal:
            logger.info("%s: orchestration '%s' %s", status.instance_id, status.name, outcome.status)

    # -- history cache -----------------------------------------------------------------------
    def _played_history(self, record: InstanceRecord) -> list[str]:
        """The stored history as JSON texts, from memory when it is known to be current.

        The cache is checked against the instance row (execution id and history length), so a
        purge, a recreated instance or another writer can never serve a stale history.
        """
        instance_id = record.status.instance_id
        cached = self._history.get(instance_id)
        if cached is not None and cached[0] == record.status.execution_id and len(cached[1]) == record.history_len:
            self._history.move_to_end(instance_id)
            return cached[1]
        texts = self.store.get_history_texts(instance_id)
        self._history[instance_id] = (record.status.execution_id, texts)
        if len(self._history) > HISTORY_CACHE_SIZE:
            self._history.popitem(last=False)
        return texts

    def _remember(self, instance_id: str, execution_id: str, tail: list[Any], *, replace: bool, terminal: bool) -> None:
        """Extend the cached history with what was just committed."""
        if terminal:
            self._history.pop(instance_id, None)
            return
        texts = [played_text(e) if isinstance(e, dict) else e for e in tail]
        cached = self._history.get(instance_id)
        if replace or cached is None or cached[0] != execution_id:
            self._history[instance_id] = (execution_id, texts)
        else:
            cached[1].extend(texts)

    # -- activities --------------------------------------------------------------------------
    async def _run_activity(self, item: ActivityItem) -> None:
        logging_on = logger.isEnabledFor(logging.INFO)
        invocation = uuid.uuid4() if logging_on else None
        if logging_on:
            logger.info("Executing 'Functions.%s' (Reason='(null)', Id=%s)", item.name, invocation)
        started = time.perf_counter()
        activity = self.registry.activities.get(item.name)
        if activity is None:
            reason = f"The function '{item.name}' doesn't exist, is disabled, or is not an activity function."
            event = h.task_failed(self.clock.now(), item.task_id, reason, None)
        else:
            result = await run_activity(activity, item.input_json, pool=self._pool, bindings=self.bindings)
            now = self.clock.now()
            if result.failed:
                event = h.task_failed(now, item.task_id, result.reason or "", result.details)
            else:
                event = h.task_completed(now, item.task_id, result.result_json)
        self.activity_runs += 1
        if logging_on:
            outcome = "Failed" if event["EventType"] == EventType.TASK_FAILED else "Succeeded"
            logger.info(
                "Executed 'Functions.%s' (%s, Id=%s, Duration=%dms)",
                item.name, outcome, invocation, (time.perf_counter() - started) * 1000,
            )
        self._results.append((item, event))
        self.notify()


def _unchanged(status: RuntimeStatus, record: InstanceRecord) -> EpisodeOutcome:
    """An outcome that keeps output and custom status as they are."""
    return EpisodeOutcome(new_history=[], status=status, output=record.status.output, custom_status=record.status.custom_status)
