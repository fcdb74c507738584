"""Engine-level scenarios: the engine in-process, no HTTP, instances started through the facade.

Each scenario is ``async def scenario(options) -> dict`` returning the flat results that
:mod:`bench.run` prints. Timed windows never contain sleeps: completion is observed on the
committing episode (:class:`bench.engine.CommitLog`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from argparse import Namespace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from durable_local.services.clock import AutoSkipClock, Clock, ManualClock, SystemClock
from durable_local.services.loader import load_app

from .engine import HELLO_APP, client_input, running_engine
from .metering import REPO_ROOT, CpuMeter, latency_summary
from .sdk_only import ContextCapture
from .storage import notification_bindings

#: Netherite counts an activity call and its result as two events (docs/throughput.md).
EVENTS_PER_ACTIVITY = 2
HELLO_CITIES = 5
REMINDER_INPUT = {"recipient": "ada@contoso.com", "message": "Please review the design"}


def _clock(kind: str) -> Clock:
    return ManualClock() if kind == "manual" else SystemClock()


def _load(app_dir: Path, meter: CpuMeter, capture: ContextCapture | None = None) -> Any:
    registry = load_app(app_dir)
    if capture is not None:  # first, so the timed wrapper charges the capture to the SDK
        capture.instrument(registry)
    return meter.instrument(registry)


def _engine_options(options: Namespace, meter: CpuMeter, capture: ContextCapture | None = None) -> dict[str, Any]:
    """``running_engine``'s worker options: ``--workers N`` (0: in process), measured and captured."""
    return {"workers": getattr(options, "workers", 0) or 0, "meter": meter, "capture": capture}


def _capture(options: Namespace) -> ContextCapture | None:
    """A context capture for the SDK-only figures unless ``--no-sdk-only``."""
    return ContextCapture() if getattr(options, "sdk_only", True) else None


async def _warm_up(host: Any, log: Any, name: str, count: int, input_value: Any = None) -> None:
    """Run a few instances first so one-off costs (lazy imports, caches) stay out of the window."""
    for i in range(count):
        await host.start_orchestration(name, f"warmup-{i}", client_input(input_value))
    await log.wait_finished(count, timeout=60)


def _check(log: Any) -> None:
    failed = log.failures()
    if failed:
        raise RuntimeError(f"{len(failed)} orchestration(s) did not complete, e.g. {failed[0]}")


async def hello_cities5(options: Namespace) -> dict[str, Any]:
    """N HelloCities5 orchestrations started at once on a file store; throughput and latency."""
    n = options.n or 1000
    meter = CpuMeter(breakdown=options.breakdown)
    capture = _capture(options)
    with _load(HELLO_APP, meter, capture) as registry:
        async with running_engine(registry, clock=_clock(options.clock), state=options.state, max_activities=options.max_activities, store_meter=meter.store, **_engine_options(options, meter, capture)) as (host, log):
            await _warm_up(host, log, "hello_cities5", options.warmup)
            base = len(log.finished)
            episodes_before = host.dispatcher.episodes
            starts: dict[str, float] = {}
            if capture is not None:
                capture.start()
            meter.start()
            began = time.perf_counter()
            for i in range(n):
                instance_id = f"hello-{i}"
                starts[instance_id] = time.perf_counter()
                await host.start_orchestration("hello_cities5", instance_id, None)
            started_all = time.perf_counter()
            await log.wait_finished(base + n, timeout=options.timeout)
            wall = time.perf_counter() - began
            meter.stop()
            if capture is not None:
                capture.stop()
            _check(log)
            sample = await host.get_status("hello-0")
            assert sample is not None and json.loads(sample.output or "null") == [f"Hello {c}!" for c in ("Tokyo", "Seattle", "London", "Amsterdam", "Cairo")]
            history = await host.get_history("hello-0") or []
            episodes = host.dispatcher.episodes - episodes_before
        latencies = [log.finished[i][0] - starts[i] for i in starts]
        rate = n / wall
        # the same histories through the SDK's handle alone, right after the host's window
        sdk_only = capture.replay(n, host_rate=rate) if capture is not None else {}
        return {
            "n": n,
            "wall_s": round(wall, 4),
            "start_phase_s": round(started_all - began, 4),
            "orchestrations_per_s": round(rate, 2),
            **sdk_only,
            "events_per_s": round(rate * HELLO_CITIES * EVENTS_PER_ACTIVITY, 1),
            "activities_per_s": round(rate * HELLO_CITIES, 1),
            **latency_summary(latencies),
            "episodes": episodes,
            "history_events_per_orchestration": len(history),
            **meter.report(n, n * HELLO_CITIES),
        }


async def fan_out(options: Namespace) -> dict[str, Any]:
    """One orchestration fanning out K activities and fanning in."""
    k = options.n or 1000
    meter = CpuMeter(breakdown=options.breakdown)
    with _load(HELLO_APP, meter) as registry:
        async with running_engine(registry, clock=_clock(options.clock), state=options.state, max_activities=options.max_activities, store_meter=meter.store, **_engine_options(options, meter)) as (host, log):
            await _warm_up(host, log, "fan_out_fan_in", options.warmup, 10)
            base = len(log.finished)
            episodes_before = host.dispatcher.episodes
            meter.start()
            began = time.perf_counter()
            await host.start_orchestration("fan_out_fan_in", "fan-out", client_input(k))
            await log.wait_finished(base + 1, timeout=options.timeout)
            wall = time.perf_counter() - began
            meter.stop()
            _check(log)
            status = await host.get_status("fan-out")
            assert status is not None and json.loads(status.output or "null") == k
            commits = log.episodes["fan-out"]
            episodes = host.dispatcher.episodes - episodes_before
        return {
            "n": k,
            "k": k,
            "wall_s": round(wall, 4),
            "activities_per_s": round(k / wall, 1),
            "events_per_s": round(k * EVENTS_PER_ACTIVITY / wall, 1),
            "fan_out_ms": round((commits[0] - began) * 1000, 3),
            "fan_in_ms": round((commits[-1] - commits[0]) * 1000, 3),
            "p50_ms": None,
            "p95_ms": None,
            "episodes": episodes,
            "results_per_episode": round(k / max(episodes - 1, 1), 1),
            **meter.report(1, k),
        }


def _window(values: list[float], step: int, width: int = 5) -> float | None:
    """Mean of ``values`` for steps ``step-width+1 .. step`` (1-based), in ms."""
    if step > len(values):
        return None
    chunk = values[max(0, step - width) : step]
    return round(sum(chunk) / len(chunk) * 1000, 3)


async def long_sequence(options: Namespace) -> dict[str, Any]:
    """One orchestration of M sequential activities; cost per step as history grows."""
    m = options.n or 1000
    meter = CpuMeter(breakdown=options.breakdown)
    meter.orchestrators.keep_samples()
    with _load(HELLO_APP, meter) as registry:
        async with running_engine(registry, clock=_clock(options.clock), state=options.state, max_activities=options.max_activities, store_meter=meter.store, **_engine_options(options, meter)) as (host, log):
            await _warm_up(host, log, "long_sequence", options.warmup, 10)
            base = len(log.finished)
            meter.start()
            began = time.perf_counter()
            await host.start_orchestration("long_sequence", "sequence", client_input(m))
            await log.wait_finished(base + 1, timeout=options.timeout)
            wall = time.perf_counter() - began
            meter.stop()
            _check(log)
            history = await host.get_history("sequence") or []
            commits = log.episodes["sequence"]
            replay = list(meter.orchestrators.samples or [])
        # Episode k (k >= 1) replays the result of activity k; step k = commit k-1 -> commit k, i.e.
        # activity k runs, its result is committed, then episode k loads, replays and commits.
        steps = [b - a for a, b in itertools.pairwise(commits)]
        step_replay = replay[1 : len(steps) + 1]
        events_per_step = (len(history) - 2) / m  # minus the first episode's start events
        marks: dict[str, Any] = {}
        for step in (10, 100, 1000):
            if step <= len(steps):
                step_ms = _window(steps, step)
                replay_ms = _window(step_replay, step)
                marks[f"step_{step}"] = {
                    "step_ms": step_ms,
                    "sdk_replay_ms": replay_ms,
                    "host_and_activity_ms": round(step_ms - replay_ms, 3) if step_ms is not None and replay_ms is not None else None,
                    "history_events": round(2 + events_per_step * step),
                }
        fit = _linear_fit(steps)
        result: dict[str, Any] = {
            "n": m,
            "m": m,
            "wall_s": round(wall, 4),
            "activities_per_s": round(m / wall, 1),
            **latency_summary(steps),
            "history_events_final": len(history),
            "per_step": marks,
            "per_step_fit_ms": fit,
            "sdk_replay_total_s": round(sum(replay), 4),
        }
        if "step_10" in marks and "step_1000" in marks:
            ratio = marks["step_1000"]["step_ms"] / marks["step_10"]["step_ms"]
            result["growth_exponent_10_to_1000"] = round(math.log(ratio) / math.log(100), 3)
        if "step_100" in marks and "step_1000" in marks:
            ratio = marks["step_1000"]["step_ms"] / marks["step_100"]["step_ms"]
            result["growth_exponent_100_to_1000"] = round(math.log(ratio) / math.log(10), 3)
        result.update(meter.report(1, m))
        return result


def _linear_fit(values: list[float]) -> dict[str, float] | None:
    """Least-squares ``ms = intercept + slope * step`` over all steps, with R²."""
    if len(values) < 3:
        return None
    xs = range(1, len(values) + 1)
    ys = [v * 1000 for v in values]
    n = len(ys)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=False))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=False))
    return {
        "intercept_ms": round(intercept, 4),
        "slope_ms_per_step": round(slope, 6),
        "r2": round(1 - ss_res / ss_tot, 4) if ss_tot > 0 else 1.0,
    }


async def step_latency(options: Namespace) -> dict[str, Any]:
    """One schedule -> activity -> replay step, measured on N single-step orchestrations in turn."""
    n = options.n or 200
    meter = CpuMeter(breakdown=options.breakdown)
    capture = _capture(options)
    with _load(HELLO_APP, meter, capture) as registry:
        async with running_engine(registry, clock=_clock(options.clock), state=options.state, max_activities=options.max_activities, store_meter=meter.store, **_engine_options(options, meter, capture)) as (host, log):
            await _warm_up(host, log, "one_step", options.warmup)
            base = len(log.finished)
            starts: dict[str, float] = {}
            if capture is not None:
                capture.start()
            meter.start()
            began = time.perf_counter()
            for i in range(n):
                instance_id = f"step-{i}"
                starts[instance_id] = time.perf_counter()
                await host.start_orchestration("one_step", instance_id, None)
                await log.wait_finished(base + i + 1, timeout=options.timeout)
            wall = time.perf_counter() - began
            meter.stop()
            if capture is not None:
                capture.stop()
            _check(log)
            idle = await _idle_wakeups(host, options.idle_window)
        # commit of the scheduling episode -> commit of the episode that replayed the result
        steps = [log.episodes[i][1] - log.episodes[i][0] for i in starts]
        totals = [log.finished[i][0] - starts[i] for i in starts]
        first_episode = [log.episodes[i][0] - starts[i] for i in starts]
        # one orchestration at a time, so the host's rate includes each step's waits (thread hop,
        # wake-up); the SDK-only replay has none
        sdk_only = capture.replay(n, host_rate=n / wall) if capture is not None else {}
        return {
            "n": n,
            "wall_s": round(wall, 4),
            "orchestrations_per_s": round(n / wall, 2),
            **sdk_only,
            **latency_summary(steps),
            **latency_summary(totals, "orchestration_"),
            **latency_summary(first_episode, "start_to_first_commit_"),
            "idle_poll_s": host.dispatcher.options.idle_poll_s,
            **idle,
            **meter.report(n, n),
        }


async def _idle_wakeups(host: Any, window: float) -> dict[str, Any]:
    """Count dispatcher passes (``ready_instances`` calls) while nothing is runnable."""
    if window <= 0:
        return {}
    store = host.store
    original = store.ready_instances
    calls = 0

    def ready_instances(*args: Any, **kwargs: Any) -> list[str]:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    await host.dispatcher.wait_idle()
    store.ready_instances = ready_instances
    cpu = time.process_time()
    try:
        await asyncio.sleep(window)  # measuring idleness itself: nothing else is timed here
    finally:
        del store.ready_instances
    return {
        "idle_window_s": window,
        "idle_dispatcher_passes_per_s": round(calls / window, 2),
        "idle_cpu_ms_per_s": round((time.process_time() - cpu) * 1000 / window, 3),
    }


async def time_skip(options: Namespace) -> dict[str, Any]:
    """The app's ten daily reminders under AutoSkipClock: wall time per run of ten virtual days."""
    n = options.n or 5
    meter = CpuMeter(breakdown=options.breakdown)
    with _load(REPO_ROOT, meter) as registry:
        start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        clock = AutoSkipClock(start)
        async with notification_bindings(options.storage) as (bindings, storage_facts):
            async with running_engine(registry, clock=clock, state=options.state, bindings=bindings, max_activities=options.max_activities, store_meter=meter.store, **_engine_options(options, meter)) as (host, log):
                walls: list[float] = []
                skipped: list[float] = []
                meter.start()
                began = time.perf_counter()
                for i in range(n):
                    before = clock.skipped
                    t0 = time.perf_counter()
                    await host.start_orchestration("reminders_orchestrator", f"reminders-{i}", client_input(REMINDER_INPUT))
                    await log.wait_finished(i + 1, timeout=options.timeout)
                    walls.append(time.perf_counter() - t0)
                    skipped.append((clock.skipped - before).total_seconds())
                wall = time.perf_counter() - began
                meter.stop()
                _check(log)
                status = await host.get_status("reminders-0")
                output = json.loads(status.output or "null") if status else None
        assert output is not None and output["count"] == 10 and len(output["reminders"]) == 10
        return {
            "n": n,
            "wall_s": round(wall, 4),
            "first_run_ms": round(walls[0] * 1000, 3),
            **latency_summary(walls),
            "virtual_days_per_run": round(skipped[0] / 86400, 3),
            "reminders_per_run": len(output["reminders"]),
            **storage_facts,
            **meter.report(n, n * 10),
        }


SCENARIOS = {
    "hello-cities5": hello_cities5,
    "fan-out": fan_out,
    "long-sequence": long_sequence,
    "time-skip": time_skip,
    "step-latency": step_latency,
}
