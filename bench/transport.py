"""The cost of one call into a worker process, beside the same call in process.

``worker-call`` sends N trivial activity calls (``SayHello``) one after another, first through
an :class:`~durable_local.workers.InProcessRunner` (the call itself: input decoding, the thread
hop of a sync function, result encoding) and then through a one-process
:class:`~durable_local.workers.WorkerPool` (the same work plus the socket round trip: pickling
both ways, two system calls, waking the worker's loop and the host's). The difference of the
medians is what the transport adds per call; the host's CPU per call is measured too.
"""

from __future__ import annotations

import time
from argparse import Namespace
from typing import Any

from durable_local.services.loader import load_app
from durable_local.workers import ActivityCall, InProcessRunner, WorkerPool

from .engine import HELLO_APP
from .metering import latency_summary, process_cpu_seconds


async def _timed_calls(runner: Any, n: int) -> tuple[list[float], float]:
    call = ActivityCall("SayHello", '"Oslo"')
    for _ in range(20):  # warm-up: imports, the first thread of the pool
        await runner.run_activity(call)
    latencies: list[float] = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        result = await runner.run_activity(call)
        latencies.append(time.perf_counter() - started)
        if result.result_json != '"Hello Oslo!"':
            raise RuntimeError(f"unexpected result {result!r}")
    return latencies, time.process_time() - cpu


async def worker_call(options: Namespace) -> dict[str, Any]:
    n = options.n or 2000
    with load_app(HELLO_APP) as registry:
        in_process = InProcessRunner(registry, threads=10)
        local, local_cpu = await _timed_calls(in_process, n)
        await in_process.stop()
        pool = WorkerPool(registry, 1)
        await pool.start()
        try:
            (worker,) = pool.workers()
            assert worker.pid is not None
            worker_cpu = process_cpu_seconds(worker.pid)
            remote, remote_cpu = await _timed_calls(pool, n)
            worker_cpu = process_cpu_seconds(worker.pid) - worker_cpu
        finally:
            await pool.stop()
    local_summary = latency_summary(local, "in_process_")
    remote_summary = latency_summary(remote, "worker_")
    added = (remote_summary["worker_p50_ms"] or 0.0) - (local_summary["in_process_p50_ms"] or 0.0)
    return {
        "n": n,
        **local_summary,
        **remote_summary,
        "transport_added_p50_ms": round(added, 4),
        "in_process_cpu_ms_per_call": round(local_cpu * 1000 / n, 4),
        "worker_mode_host_cpu_ms_per_call": round(remote_cpu * 1000 / n, 4),
        "worker_mode_worker_cpu_ms_per_call": round(worker_cpu * 1000 / n, 4),
    }
