"""Running activities: lease, run concurrently, write output bindings, record results in batches.

Activities run concurrently, at most ``max_activities`` at once, through the
:class:`~durable_local.workers.FunctionRunner` (in process: sync ones in a thread pool, async
ones on the loop; or in worker processes). Their results
are recorded together at the start of the dispatcher's next pass, one transaction for many. A
failed write keeps the results for a retry under the back-off policy: they are never dropped
while the host runs; after a crash the leases are released and the activities run again (at
least once, as in production).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from ...protocol import HTTP_ACTIVITY, EventType, HistoryEvent
from ...records import ActivityItem, ActivityOutcome
from ...services.bindings import OutputBindings
from ...services.clock import Clock
from ...services.durable_http import DurableHttp
from ...services.loader import Registry
from ...services.store import Store
from ...workers.calls import ActivityCall, FunctionRunner
from .. import history as h
from ..executor import ActivityResult, activity_failure
from ..failures import WorkerError, disabled_activity_fields, log_failed_invocation
from .policy import DispatcherOptions

logger = logging.getLogger("durable_local")


class ActivityRunner:
    """See the module docstring. ``notify`` is called whenever a result is ready to record."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        clock: Clock,
        bindings: OutputBindings,
        options: DispatcherOptions,
        notify: Callable[[], None],
        runner: FunctionRunner,
    ) -> None:
        self.store = store
        self.runner = runner
        self.registry = registry
        self.clock = clock
        self.bindings = bindings
        self.options = options
        self._notify = notify
        self.http = DurableHttp(options.http_timeout_s)
        self._running: set[asyncio.Task[None]] = set()
        #: results not yet written
        self._results: list[ActivityOutcome] = []
        self._write_failures = 0
        self._retry_at = 0.0
        #: activities of each instance leased by this process and not yet recorded
        self._inflight: Counter[str] = Counter()
        #: instance -> when its episode was first put off to gather more fan-in results
        self._deferred: dict[str, float] = {}
        #: activities run (a benchmark figure)
        self.runs = 0
        #: called after results were recorded
        self.on_commit: Callable[[], None] | None = None
        #: False once the store had no unleased activity left, until something changes
        self._claimable = True

    @property
    def busy(self) -> bool:
        """True while an activity executes or a result waits to be recorded."""
        return bool(self._running or self._results)

    @property
    def running(self) -> int:
        return len(self._running)

    # -- starting ----------------------------------------------------------------------------
    def maybe_claimable(self) -> None:
        """The store changed: an episode may have scheduled activities (ask it again)."""
        self._claimable = True

    def start_claimed(self) -> bool:
        """Lease as many activities as there are free slots and start them; True if any started."""
        free = self.options.max_activities - len(self._running)
        if free <= 0 or not self._claimable:
            return False
        items = self.store.claim_activities(free)
        if len(items) < free:
            self._claimable = False  # all taken: nothing more until a commit schedules some
        loop = asyncio.get_running_loop()
        for item in items:
            self._inflight[item.instance_id] += 1
            task = loop.create_task(self._run(item))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return bool(items)

    def put_off(self, instance_id: str) -> bool:
        """True while an instance with activities still running here should gather results.

        Bounded by ``fan_in_window_s``, so a ``task_any`` over a fast and a slow activity still
        sees the fast one promptly.
        """
        if not self._inflight.get(instance_id):
            self._deferred.pop(instance_id, None)
            return False
        first = self._deferred.setdefault(instance_id, time.monotonic())
        if time.monotonic() - first < self.options.fan_in_window_s:
            return True
        del self._deferred[instance_id]
        return False

    def next_due(self) -> float | None:
        """Seconds until a fan-in window closes or a failed write may be retried (None: nothing)."""
        due: list[float] = []
        now = time.monotonic()
        # Only windows still open: an expired one belongs to an instance that runs at the next
        # pass or is running now (its end wakes the loop); counting it would spin the loop.
        open_windows = [first + self.options.fan_in_window_s - now for first in self._deferred.values()]
        open_windows = [left for left in open_windows if left > 0]
        if open_windows:
            due.append(min(open_windows))
        if self._results:
            due.append(self._retry_at - now)
        return max(0.0, min(due)) if due else None

    # -- recording ---------------------------------------------------------------------------
    def record_results(self) -> bool:
        """Write the finished activities' results in one transaction; True if any were written."""
        if not self._results or time.monotonic() < self._retry_at:
            return False
        batch, self._results = self._results, []
        try:
            stale = self.store.complete_activities(batch)
        except Exception:
            self._results[:0] = batch
            delay = self.options.backoff.delay(self._write_failures)
            self._write_failures += 1
            self._retry_at = time.monotonic() + delay
            logger.exception("Recording %d activity results failed; retrying in %.2fs", len(batch), delay)
            return False
        self._write_failures = 0
        for item in stale:
            logger.warning("%s: dropped the result of activity task %d: its lease was lost", item.instance_id, item.task_id)
        for outcome in batch:
            instance_id = outcome.item.instance_id
            self._inflight[instance_id] -= 1
            if self._inflight[instance_id] <= 0:
                del self._inflight[instance_id]
        if self.on_commit is not None:
            self.on_commit()
        return True

    async def drain(self) -> None:
        """Let running activities finish, record what can be recorded, close the HTTP client."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self._retry_at = 0.0
        self.record_results()  # results not recorded now run again after the next start
        await self.http.close()

    # -- one activity ------------------------------------------------------------------------
    async def _run(self, item: ActivityItem) -> None:
        # the built-in HTTP activity is the extension's own, not a function: no invocation lines
        logging_on = logger.isEnabledFor(logging.INFO) and item.name != HTTP_ACTIVITY
        invocation = uuid.uuid4()
        started = time.perf_counter()
        try:
            event, at, error = await self._execute(item, invocation if logging_on else None)
        except Exception as err:  # a fault of the host itself: fail the task rather than hold its lease forever
            logger.exception("%s: the local host failed running activity task %d", item.instance_id, item.task_id)
            at, error = self.clock.now(), None
            event = h.task_failed(at, item.task_id, f"The local host failed to run '{item.name}': {err!r}", None)
        self.runs += 1
        duration_ms = (time.perf_counter() - started) * 1000
        if event["EventType"] == EventType.TASK_FAILED and item.name != HTTP_ACTIVITY:
            log_failed_invocation(logger, item.name, invocation, duration_ms, error)
        elif logging_on:
            logger.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)", item.name, invocation, duration_ms)
        self._results.append(ActivityOutcome(item, event, at))
        self._notify()

    async def _execute(
        self, item: ActivityItem, invocation: uuid.UUID | None
    ) -> tuple[HistoryEvent, datetime, WorkerError | None]:
        """Run the activity and write its output bindings: the TaskCompleted/TaskFailed event, its time, the error."""
        if item.name == HTTP_ACTIVITY:
            return await self._call_http(item)
        activity = self.registry.activities.get(item.name)
        if activity is None:
            now = self.clock.now()
            reason = f"The function '{item.name}' doesn't exist, is disabled, or is not an activity function."
            return h.task_failed(now, item.task_id, reason, None), now, None
        if self.registry.is_disabled(activity.function_name):
            # ext TaskNonexistentActivityShim (isDisabled): the caller's task fails, the host warns.
            logger.warning("Activity function '%s' was scheduled but is disabled. Failing the activity.", item.name)
            now = self.clock.now()
            reason, details = disabled_activity_fields(item.name)
            return h.task_failed(now, item.task_id, reason, details), now, None
        if invocation is not None:
            logger.info("Executing 'Functions.%s' (Reason='(null)', Id=%s)", item.name, invocation)
        result = await self.runner.run_activity(ActivityCall(item.name, item.input_json))
        if not result.failed and result.outputs:
            result = await self._write_outputs(item, result)
        now = self.clock.now()
        if result.failed:
            return h.task_failed(now, item.task_id, result.reason or "", result.details), now, result.error
        return h.task_completed(now, item.task_id, result.result_json), now, None

    async def _call_http(self, item: ActivityItem) -> tuple[HistoryEvent, datetime, WorkerError | None]:
        outcome = await self.http.send(item.input_json)
        now = self.clock.now()
        if outcome.reason is not None:
            return h.task_failed(now, item.task_id, outcome.reason, outcome.details), now, None
        return h.task_completed(now, item.task_id, outcome.result_json), now, None

    async def _write_outputs(self, item: ActivityItem, result: ActivityResult) -> ActivityResult:
        """Output bindings are written after the function returns; a failure fails the invocation."""
        activity = self.registry.activities[item.name]
        try:
            await self.bindings.flush(activity.outputs, result.outputs)
        except Exception as err:  # BindingError, or a fault of the binding itself: the invocation fails
            return activity_failure(activity.name, err)
        return result
