"""The timer listener (ext ``TimerListener`` + ``ScheduleMonitor``), driven by the host clock.

Time comes from the host's :class:`~durable_local.services.clock.Clock`, never from a wall-clock
timer: under :class:`ManualClock` a schedule fires when a test advances time past an occurrence,
under :class:`AutoSkipClock` the idle host jumps to the next occurrence (the listener is a
:class:`~durable_local.engine.dispatch.due.DueSource` of the dispatcher).

Start-up, as the extension does it:

1. with the monitor on, the saved status is checked (``ScheduleMonitor.CheckPastDueAsync``): no
   status yet -> write ``{Last: never, Next: next(now), LastUpdated: now}``; a status whose
   ``Next`` no longer follows from ``Last`` (the schedule changed) is reset, recomputed from now
   if that ``Next`` already passed; past due iff ``now > Next``;
   (local host only) a status from the future -- ``Last`` or ``LastUpdated`` after now, or
   ``Next`` after the schedule's next occurrence from now -- is reset to ``next(now)`` with a
   warning. On Azure time only moves forward and the extension has no such check; here a state
   file written under a skipped clock (``--clock auto-skip``, a test clock) would otherwise keep
   ``Next`` years ahead and silently disable the timer after a restart on the system clock;
2. past due -> one invocation with ``IsPastDue`` true (missed occurrences collapse into one);
   else ``runOnStartup`` -> one invocation; never both;
3. then each occurrence in turn. After each invocation the status becomes
   ``{Last: t, Next: next(t), LastUpdated: t}`` with ``t`` the invocation time (or the scheduled
   time when the tick came early), saved when monitored. Invocations never overlap; a failed
   one is logged and the schedule goes on (the timer trigger does not retry).

The function gets the ``TimerInfo`` JSON the host serializes (``{"Schedule": {"AdjustForDST":
...}, "ScheduleStatus": {...} or null, "IsPastDue": ...}``), decoded by the worker's
``TimerRequestConverter``. Status lives in the host's state file (``timer_status``) instead of
the ``azure-webjobs-hosts`` container.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ...services.clock import Clock
from ...services.invocation import Datum, decode_argument
from ...services.loader import TriggeredFunction
from ...services.store import ScheduleStatus, TriggerStateStore
from ..runner import TriggerRunner
from .schedule import TimerSchedule

logger = logging.getLogger("durable_local")

#: ``default(DateTime)`` as the host serializes a never-fired ``Last``.
NEVER = "0001-01-01T00:00:00+00:00"


class TimerListener:
    """One timer-triggered function. See the module docstring."""

    def __init__(
        self,
        function: TriggeredFunction,
        schedule: TimerSchedule,
        *,
        run_on_startup: bool,
        use_monitor: bool,
        store: TriggerStateStore,
        clock: Clock,
        runner: TriggerRunner,
        notify: Callable[[], None],
    ) -> None:
        self.function = function
        self.schedule = schedule
        self.run_on_startup = run_on_startup
        self.use_monitor = use_monitor
        self.store = store
        self.clock = clock
        self.runner = runner
        self._notify = notify
        #: ext ``TimerTriggerBinding``: ``{DeclaringType.FullName}.{Method}`` = ``Host.Functions.<name>`` for script functions
        self.timer_name = f"Host.Functions.{function.name}"
        self._status: ScheduleStatus | None = None
        self._next: datetime | None = None
        self._busy = False
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.invocations = 0
        clock.subscribe(self._wake.set)

    # -- DueSource ---------------------------------------------------------------------------
    def next_due(self) -> datetime | None:
        return None if self._stopping else self._next

    @property
    def busy(self) -> bool:
        return self._busy

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        now = self.clock.now()
        # Computed before the task starts so that the dispatcher sees the first occurrence at once.
        self._status, past_due = self._initial_status(now)
        self._next = now if (past_due or self.run_on_startup) else self._status.next
        self._log_schedule(now)
        self._task = asyncio.get_running_loop().create_task(self._run(past_due), name=f"timer {self.function.name}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task

    # -- the schedule ------------------------------------------------------------------------
    def _initial_status(self, now: datetime) -> tuple[ScheduleStatus, timedelta | None]:
        """``ScheduleMonitor.CheckPastDueAsync`` (see the module docstring)."""
        fresh = ScheduleStatus(None, self._next_after(now), now)
        if not self.use_monitor:
            return fresh, None
        status = self.store.get_schedule_status(self.timer_name)
        if status is None:
            self.store.set_schedule_status(self.timer_name, fresh)
            return fresh, None
        logger.info(
            "Function '%s' initial status: Last='%s', Next='%s', LastUpdated='%s'",
            self.function.name,
            status.last.isoformat() if status.last else NEVER,
            status.next.isoformat(),
            status.last_updated.isoformat(),
        )
        if self._from_the_future(status, now, fresh.next):
            logger.warning(
                "Function '%s': the saved timer status is ahead of the clock (now %s), as a state file written "
                "under a skipped clock (--clock auto-skip, a test clock) is; it is reset: next occurrence %s.",
                self.function.name,
                now.isoformat(),
                fresh.next.isoformat(),
            )
            self.store.set_schedule_status(self.timer_name, fresh)
            return fresh, None
        base = status.last or status.last_updated
        expected = self._next_after(base)
        if status.next != expected:  # the schedule changed since the status was written
            updated = base
            if now > expected:
                expected, updated = self._next_after(now), now
            status = ScheduleStatus(None, expected, updated)
            self.store.set_schedule_status(self.timer_name, status)
        return status, (now - status.next if now > status.next else None)

    @staticmethod
    def _from_the_future(status: ScheduleStatus, now: datetime, next_from_now: datetime) -> bool:
        """A status no run up to ``now`` could have written (see the module docstring)."""
        return (status.last is not None and status.last > now) or status.last_updated > now or status.next > next_from_now

    def _next_after(self, moment: datetime) -> datetime:
        found = self.schedule.next_after(moment)
        # A cron with no occurrence before year 10000 never fires (NCrontab returns its end time).
        return found if found is not None else datetime.max.replace(tzinfo=moment.tzinfo)

    def _log_schedule(self, now: datetime) -> None:
        occurrences: list[str] = []
        moment = now
        for _ in range(5):
            moment = self._next_after(moment)
            local = moment.astimezone(self.schedule.zone)
            # .NET "MM/dd/yyyy HH:mm:ssK" for a local time: the offset with a colon
            occurrences.append(local.strftime("%m/%d/%Y %H:%M:%S") + local.isoformat()[-6:])
        logger.info(
            "The next 5 occurrences of the '%s' schedule (%s) will be:\n%s",
            self.function.name,
            self.schedule.describe(),
            "\n".join(occurrences),
        )

    # -- running -----------------------------------------------------------------------------
    async def _run(self, past_due: timedelta | None) -> None:
        if past_due is not None:
            logger.info("Function '%s' is past due on startup. Executing now.", self.function.name)
            await self._invoke(is_past_due=True, regular=False)
        elif self.run_on_startup:
            logger.info("Function '%s' is configured to run on startup. Executing now.", self.function.name)
            await self._invoke(is_past_due=False, regular=False)
        while not self._stopping:
            assert self._status is not None
            self._next = self._status.next
            self._notify()
            if await self._wait_until(self._status.next):
                await self._invoke(is_past_due=False, regular=True)

    async def _wait_until(self, due: datetime) -> bool:
        """Wait on the host clock (woken by every clock jump); False when stopped first."""
        while not self._stopping:
            remaining = (due - self.clock.now()).total_seconds()
            if remaining <= 0:
                return True
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=min(remaining, 24 * 3600))
            except TimeoutError:
                pass
        return False

    def _timer_info(self, is_past_due: bool) -> str:
        status: dict[str, Any] | None = None
        if self.use_monitor and self._status is not None:
            zone = self.schedule.zone
            status = {
                "Last": self._status.last.astimezone(zone).isoformat() if self._status.last else NEVER,
                "Next": self._status.next.astimezone(zone).isoformat(),
                "LastUpdated": self._status.last_updated.astimezone(zone).isoformat(),
            }
        return json.dumps(
            {"Schedule": {"AdjustForDST": self.schedule.adjust_for_dst}, "ScheduleStatus": status, "IsPastDue": is_past_due}
        )

    async def _invoke(self, *, is_past_due: bool, regular: bool) -> None:
        assert self._status is not None
        self._busy = True
        invocation_time = self.clock.now()
        try:
            try:
                argument = decode_argument(
                    "timerTrigger",
                    Datum(self._timer_info(is_past_due), "json"),
                    self.function.annotations.get(self.function.arg_name),
                )
            except Exception:
                # Before the function runs, so the runner logs nothing: say why it did not run.
                logger.exception("Function '%s': the timer argument could not be decoded", self.function.name)
                raise
            reason = f"Timer fired at {invocation_time.astimezone(self.schedule.zone).isoformat()}"
            data = {"TimerTrigger": invocation_time.isoformat()}
            await self.runner.run(self.function, argument, data, reason)
        except Exception:  # "We don't want any function errors to stop the execution schedule"
            pass  # logged by the runner (the function's failure) or above (the argument's)
        finally:
            self.invocations += 1
            adjusted = invocation_time
            if regular and self._status.next > invocation_time:  # the tick came early
                adjusted = self._status.next
            self._status = ScheduleStatus(adjusted, self._next_after(adjusted), adjusted)
            if self.use_monitor:
                try:
                    self.store.set_schedule_status(self.timer_name, self._status)
                except Exception:  # best effort, as the extension's status update
                    logger.exception("Function '%s' failed to update the timer trigger status.", self.timer_name)
            self._next = self._status.next
            self._busy = False
            self._notify()
