"""Due-time sources: work outside the store that the dispatcher must not skip past.

With a clock that skips (:class:`~durable_local.services.clock.AutoSkipClock`) the idle
dispatcher jumps to the next due time. Timers of orchestrations are rows in the store; a timer
*trigger*'s next occurrence is not, so each trigger listener is a :class:`DueSource` the
dispatcher asks too: it jumps to the earliest of all due times, and it is not idle while a
source is due now or busy running a function.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class DueSource(Protocol):
    """Something that will run work at a (virtual) time of its own."""

    def next_due(self) -> datetime | None:
        """When this source next needs to run (host clock), or None."""
        ...

    @property
    def busy(self) -> bool:
        """True while the source runs a function (the host is not idle, time must not skip)."""
        ...
