"""Polling back-off of the storage listeners (stc ``RandomizedExponentialBackoffStrategy``).

After a poll that found work the next poll comes after ``minimum`` (100 ms); each empty poll
grows the delay by ``delta * 2**(n-1)`` scaled by a random factor in [0.8, 1.2): about 100 ms,
200, 300, 500, 900 ms, 1.7 s, 3.3 s, ... until ``maximum`` (``maxPollingInterval``), where it
stays. A write by the host's own output binding ends the wait at once (see the listeners).
"""

from __future__ import annotations

import random


class RandomizedBackoff:
    """Delays between polls; call :meth:`next_delay` after each poll."""

    def __init__(self, maximum: float, minimum: float = 0.1, delta: float = 0.1, rng: random.Random | None = None) -> None:
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
        self.delta = delta
        self._rng = rng or random.Random()
        self._exponent = 0
        self._delay = minimum

    def next_delay(self, found_work: bool) -> float:
        if found_work:
            self._exponent = 1
            self._delay = self.minimum
            return self._delay
        if self._delay < self.maximum:
            increment = 0.0 if self._exponent == 0 else 2 ** (self._exponent - 1) * self._rng.uniform(0.8, 1.2) * self.delta
            self._delay = min(self.maximum, self.minimum + increment)
            self._exponent += 1
        return self._delay
