"""Time for the host, injected so that tests can skip it.

Outside replay the host reads time only through a :class:`Clock`: history timestamps
(OrchestratorStarted, the orchestrator's ``current_utc_datetime``), timer due times, created/
updated times. Inside replay the SDK reads time only from history, so skipping the clock never
breaks determinism.

* :class:`SystemClock`: wall-clock UTC; timers fire when they are due.
* :class:`ManualClock`: stands still until a test calls :meth:`ManualClock.advance`.
* :class:`AutoSkipClock`: wall-clock time plus an offset; whenever the host has nothing runnable
  and no activity executing, the dispatcher jumps it to the next due timer (Temporal's
  time-skipping test server is the model: ``WorkflowEnvironment.start_time_skipping``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


class TimeSource(Protocol):
    """Something that tells the (possibly virtual) time: what the front-ends need."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@runtime_checkable
class Clock(TimeSource, Protocol):
    """What the host needs from time."""

    #: True when the dispatcher may jump the clock to the next timer while idle.
    skips_when_idle: bool

    def now(self) -> datetime:
        """The current (possibly virtual) time, timezone-aware UTC."""
        ...

    def skip_to(self, when: datetime) -> None:
        """Move virtual time forward to ``when`` (no-op if already past it or not supported)."""
        ...

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever virtual time jumps, so that waiters re-check due timers."""
        ...


class _Listeners:
    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []

    def subscribe(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def _notify(self) -> None:
        for callback in list(self._callbacks):
            callback()


class SystemClock(_Listeners):
    """Wall-clock UTC time; never skips."""

    skips_when_idle = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    def skip_to(self, when: datetime) -> None:
        return None


class ManualClock(_Listeners):
    """Virtual time that moves only when told to.

    ``now()`` returns the same instant until :meth:`advance` or :meth:`skip_to`, so histories
    recorded under it do not depend on how often the host happens to read the clock. Episodes
    may share a timestamp; the SDK's ``new_uuid()`` stays unique because its counter runs on
    across the replay.
    """

    skips_when_idle = False

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by ``delta`` (must not be negative) and wake the host."""
        if delta < timedelta(0):
            raise ValueError("time cannot go backwards")
        self._now += delta
        self._notify()
        return self._now

    def skip_to(self, when: datetime) -> None:
        if when > self._now:
            self._now = when
            self._notify()


class AutoSkipClock(_Listeners):
    """Wall-clock time plus an offset that grows each time the idle host skips to a timer."""

    skips_when_idle = True

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        base = (start or datetime.now(UTC)).astimezone(UTC)
        self._origin = base
        self._mono = time.monotonic()
        self._offset = timedelta(0)
        self._last = base

    def now(self) -> datetime:
        current = self._origin + timedelta(seconds=time.monotonic() - self._mono) + self._offset
        if current <= self._last:  # keep timestamps strictly increasing
            current = self._last + timedelta(microseconds=1)
        self._last = current
        return current

    @property
    def skipped(self) -> timedelta:
        """Total virtual time skipped so far."""
        return self._offset

    def skip_to(self, when: datetime) -> None:
        current = self.now()
        if when > current:
            self._offset += when - current
            self._notify()


def make_clock(kind: str, start: datetime | None = None) -> Clock:
    """Build a clock by CLI name: ``system``, ``auto-skip`` or ``manual``."""
    if kind == "system":
        return SystemClock()
    if kind == "auto-skip":
        return AutoSkipClock(start)
    if kind == "manual":
        return ManualClock(start)
    raise ValueError(f"unknown clock {kind!r}: choose system, auto-skip or manual")
