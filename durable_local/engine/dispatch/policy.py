"""The dispatcher's tunables and its one back-off policy."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BackoffPolicy:
    """Capped exponential back-off for work that failed for an infrastructure reason.

    A failing store step abandons the work item; it is retried after ``delay(attempt)`` seconds:
    ``initial_s * factor ** attempt``, at most ``max_s``.
    """

    initial_s: float = 0.01
    factor: float = 2.0
    max_s: float = 1.0

    def delay(self, attempt: int) -> float:
        return min(self.max_s, self.initial_s * self.factor**attempt)


#: ``maxConcurrentOrchestratorFunctions`` when host.json sets none: 10 per core (the extension's
#: default outside the Consumption plan)
DEFAULT_MAX_EPISODES = 10 * (os.cpu_count() or 1)


@dataclass(frozen=True)
class DispatcherOptions:
    """How the dispatcher runs work; defaults suit a development machine."""

    #: activities running at once (host.json ``maxConcurrentActivityFunctions``)
    max_activities: int = 10
    #: orchestrator episodes and entity batches running at once (host.json
    #: ``maxConcurrentOrchestratorFunctions``; the extension's default outside Consumption: 10 per core)
    max_episodes: int = field(default_factory=lambda: DEFAULT_MAX_EPISODES)
    #: send the Azure Storage long-timer settings to the SDK (see ``engine.executor``)
    timer_settings: bool = True
    #: longest sleep while idle, in case another process wrote the state file
    idle_poll_s: float = 1.0
    #: instances taken per pass
    batch: int = 64
    #: how long an episode may wait for more results of its own running activities (fan-in),
    #: so that K parallel results cost a few replays of the history instead of K
    fan_in_window_s: float = 0.005
    #: instances whose stored history is kept in memory (about 5 KB each for a short orchestration)
    history_cache_size: int = 2000
    #: host.json ``maxEntityOperationBatchSize`` (the extension's default outside Consumption)
    entity_batch_size: int = 5000
    #: the task hub's name, for log lines that carry it
    hub_name: str = "TestHubName"
    #: timeout of a call_http request (the extension's HttpClient: 240 s)
    http_timeout_s: float = 240.0
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)


class Retries:
    """Per-key back-off bookkeeping: when a failed key may run again."""

    def __init__(self, policy: BackoffPolicy) -> None:
        self.policy = policy
        self._due: dict[str, tuple[float, int]] = {}

    def failed(self, key: str) -> float:
        """Record a failure of ``key``; returns the delay before it may run again."""
        _, attempts = self._due.get(key, (0.0, 0))
        delay = self.policy.delay(attempts)
        self._due[key] = (time.monotonic() + delay, attempts + 1)
        return delay

    def succeeded(self, key: str) -> None:
        self._due.pop(key, None)

    def waiting(self, key: str) -> bool:
        """True while ``key`` is backing off."""
        due = self._due.get(key)
        return due is not None and due[0] > time.monotonic()

    def next_due(self) -> float | None:
        """Seconds until the earliest key may run again (None when nothing backs off)."""
        if not self._due:
            return None
        return max(0.0, min(due for due, _ in self._due.values()) - time.monotonic())

    def __bool__(self) -> bool:
        return bool(self._due)
