"""What the benchmarks measure: CPU split between the SDK/user code and the host, latencies, facts.

CPU accounting works by wrapping the app's functions in the host's :class:`Registry` (frozen
dataclasses, so entries are replaced with ``dataclasses.replace`` copies; the engine itself is
not touched):

* orchestrator handles (the SDK's ``Orchestrator.handle``: context JSON in, replay, state JSON
  out) run synchronously on the event loop thread, so ``time.thread_time()`` around the call is
  exactly their CPU time;
* sync activities run in the host's thread pool: ``thread_time()`` inside the worker thread;
* async functions (activities, HTTP functions) are driven step by step through
  :class:`_TimedAwaitable`, which charges ``thread_time()`` of each ``send`` to the function, so
  time spent suspended (awaiting I/O) is not counted.

Everything else in ``time.process_time()`` (all threads) over the measured window is the host:
store, dispatcher, runtime state, HTTP server, thread hops, plus the benchmark's own small
bookkeeping.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import os
import platform
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from durable_local.services.loader import Registry

REPO_ROOT = Path(__file__).resolve().parents[1]


class CpuAccount:
    """Thread-safe CPU seconds charged to one kind of user/SDK code."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        #: per-call CPU seconds, kept only when a scenario asks (``keep_samples``)
        self.samples: list[float] | None = None
        self._lock = threading.Lock()

    def keep_samples(self) -> None:
        self.samples = []

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds
            self.calls += 1
            if self.samples is not None:
                self.samples.append(seconds)


class _TimedAwaitable:
    """Awaits ``coro`` while charging the CPU time of each of its steps to ``account``."""

    def __init__(self, coro: Any, account: CpuAccount) -> None:
        self._coro = coro
        self._account = account

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, spent = self._coro, 0.0
        value: Any = None
        error: BaseException | None = None
        try:
            while True:
                started = time.thread_time()
                try:
                    yielded = coro.throw(error) if error is not None else coro.send(value)
                except StopIteration as stop:
                    return stop.value
                finally:
                    spent += time.thread_time() - started
                try:
                    value, error = (yield yielded), None
                except BaseException as err:
                    value, error = None, err
        finally:
            self._account.add(spent)


def _timed(fn: Callable[..., Any], account: CpuAccount) -> Callable[..., Any]:
    """``fn`` with its CPU time charged to ``account``; keeps its signature (``__wrapped__``)."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            return await _TimedAwaitable(fn(*args, **kwargs), account)

        return timed_async

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            account.add(time.thread_time() - started)

    return timed


#: Store methods the dispatcher and facade call; ``--breakdown`` times each of them.
STORE_METHODS = (
    "create_instance",
    "get_instance",
    "get_history",
    "get_history_texts",
    "enqueue",
    "ready_instances",
    "next_visible_at",
    "fetch_messages",
    "commit_episode",
    "claim_activities",
    "complete_activity",
    "complete_activities",  # the dispatcher records results in batches since ae13269
    "pending_activity_count",
)


class StoreMeter:
    """CPU time (``thread_time``) and calls per store method, by wrapping them on the instance."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.enabled = False

    def attach(self, store: Any) -> None:
        for name in STORE_METHODS:
            method = getattr(store, name, None)
            if method is not None:  # the store's interface grows; time what exists
                setattr(store, name, self._wrap(name, method))

    def _wrap(self, name: str, method: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.enabled:
                return method(*args, **kwargs)
            started = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds[name] += time.thread_time() - started
                self.calls[name] += 1

        return timed

    def report(self, per: int) -> dict[str, Any]:
        total = sum(self.seconds.values())
        methods = {
            name: {"cpu_ms_per_orchestration": round(self.seconds[name] * 1000 / per, 4), "calls": self.calls[name]}
            for name in sorted(self.seconds, key=self.seconds.__getitem__, reverse=True)
        }
        return {"store_cpu_ms_per_orchestration": round(total * 1000 / per, 4), "store_methods": methods}


class CpuMeter:
    """Charges the app's orchestrators, activities and HTTP functions; the rest is the host."""

    def __init__(self, *, breakdown: bool = False) -> None:
        #: per-store-method CPU time, when asked for (``--breakdown``); attach it to the store
        self.store = StoreMeter() if breakdown else None
        self.orchestrators = CpuAccount()
        self.activities = CpuAccount()
        self.http_functions = CpuAccount()
        self._process_start = self._wall_start = 0.0
        self._process_seconds = self._wall_seconds = 0.0
        #: the worker pool whose processes' CPU is measured too (``--workers N``)
        self.workers: Any = None
        self._workers_start = self._workers_seconds = 0.0

    def instrument(self, registry: Registry) -> Registry:
        """Replace every function in ``registry`` (in place) by a timed copy; returns it."""
        for name, orchestrator in list(registry.orchestrators.items()):
            registry.orchestrators[name] = dataclasses.replace(orchestrator, handle=_timed(orchestrator.handle, self.orchestrators))
        for name, activity in list(registry.activities.items()):
            registry.activities[name] = dataclasses.replace(activity, fn=_timed(activity.fn, self.activities))
        registry.http[:] = [dataclasses.replace(f, fn=_timed(f.fn, self.http_functions)) for f in registry.http]
        return registry

    def start(self) -> None:
        """Begin the measured window (resets the accounts)."""
        for account in (self.orchestrators, self.activities, self.http_functions):
            account.seconds, account.calls = 0.0, 0
            if account.samples is not None:
                account.samples = []
        if self.store is not None:
            self.store.enabled = True
        self._process_start = time.process_time()
        self._wall_start = time.perf_counter()
        self._workers_start = self._worker_cpu()

    def stop(self) -> None:
        self._process_seconds = time.process_time() - self._process_start
        self._wall_seconds = time.perf_counter() - self._wall_start
        self._workers_seconds = self._worker_cpu() - self._workers_start
        if self.store is not None:
            self.store.enabled = False

    def _worker_cpu(self) -> float:
        """User + system CPU seconds of the worker processes so far (0 without workers)."""
        if self.workers is None:
            return 0.0
        return sum(process_cpu_seconds(w.pid) for w in self.workers.workers() if w.pid is not None)

    def report(self, orchestrations: int, activities: int | None = None) -> dict[str, Any]:
        """CPU figures for the window; ``sdk`` = orchestrator handles + activity code.

        With worker processes the app's code runs there: ``sdk`` is then 0 in this process,
        ``host`` is all of this process's CPU (its own work and the calls to the workers), and
        ``worker_cpu_ms_per_orchestration`` is the workers' CPU (the SDK, the activities and
        their side of the calls).
        """
        process = self._process_seconds
        sdk = self.orchestrators.seconds + self.activities.seconds
        http = self.http_functions.seconds
        host = process - sdk - http
        per = max(orchestrations, 1)
        result: dict[str, Any] = {
            "process_cpu_s": round(process, 4),
            # process CPU / wall: ~1 when the loop thread is busy all the time; well below 1 when
            # the process waits (I/O, sleeps) or other processes take its core
            "process_cpu_utilisation": round(process / self._wall_seconds, 3) if self._wall_seconds > 0 else None,
            "sdk_cpu_share": round(sdk / process, 4) if process > 0 else None,
            "host_cpu_share": round(host / process, 4) if process > 0 else None,
            "sdk_cpu_ms_per_orchestration": round(sdk * 1000 / per, 4),
            "sdk_replay_cpu_ms_per_orchestration": round(self.orchestrators.seconds * 1000 / per, 4),
            "activity_cpu_ms_per_orchestration": round(self.activities.seconds * 1000 / per, 4),
            "host_cpu_ms_per_orchestration": round(host * 1000 / per, 4),
            "orchestrator_episodes": self.orchestrators.calls,
            "activity_invocations": self.activities.calls,
        }
        if self.http_functions.calls:
            result["http_function_cpu_share"] = round(http / process, 4) if process > 0 else None
            result["http_function_cpu_ms_per_orchestration"] = round(http * 1000 / per, 4)
            result["http_function_invocations"] = self.http_functions.calls
        if orchestrations > 1 and process > 0:
            # throughput the process would reach with a core of its own (CPU-bound)
            result["orchestrations_per_cpu_s"] = round(orchestrations / process, 2)
        if self.workers is not None:
            result["workers"] = self.workers.worker_count
            result["worker_cpu_ms_per_orchestration"] = round(self._workers_seconds * 1000 / per, 4)
            result["total_cpu_ms_per_orchestration"] = round((process + self._workers_seconds) * 1000 / per, 4)
        if self.store is not None:
            result.update(self.store.report(per))
        if activities:
            result["host_cpu_ms_per_activity"] = round(host * 1000 / activities, 4)
            result["sdk_cpu_ms_per_activity"] = round(sdk * 1000 / activities, 4)
        return result


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` (Linux ``/proc/<pid>/stat`` fields 14 and 15)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # gone: its time is lost, which a benchmark run must not hide
        raise RuntimeError(f"worker process {pid} is gone; its CPU time cannot be measured") from None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: Iterable[float], p: float) -> float | None:
    """The ``p``-th percentile (0-100) with linear interpolation; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: Iterable[float], prefix: str = "") -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds, keys ``{prefix}p50_ms`` etc."""
    values = list(seconds)

    def ms(value: float | None) -> float | None:
        return round(value * 1000, 3) if value is not None else None

    return {
        f"{prefix}p50_ms": ms(percentile(values, 50)),
        f"{prefix}p95_ms": ms(percentile(values, 95)),
        f"{prefix}p99_ms": ms(percentile(values, 99)),
        f"{prefix}max_ms": ms(max(values) if values else None),
    }


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def machine_facts() -> dict[str, Any]:
    """Cores, interpreter and library versions: what a reader needs to compare runs."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cores": usable,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "azure_functions_durable": _version("azure-functions-durable"),
        "azure_functions": _version("azure-functions"),
        "aiohttp": _version("aiohttp"),
        "commit": _git("rev-parse", "--short", "HEAD") or None,
        # True when the engine measured differs from that commit (uncommitted edits)
        "engine_modified": bool(_git("status", "--porcelain", "--", "durable_local")),
        # Other processes share the machine: a load above the core count stretches wall times
        # (CPU-time figures are much less affected).
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
