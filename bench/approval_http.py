"""``approval-http``: the repository's approval app over real HTTP, as users run it.

The host runs in this process (``durable_local.testing.run_host`` on the repository root, a
SQLite file in a temp dir, the system clock) with ``AzureWebJobsStorage`` pointing at a private
Azurite, so every notification activity writes its queue message for real. The load comes from
:mod:`bench.http_load` in a child process, so this process's CPU time is the host's (HTTP
server, management API, dispatcher, store), the SDK's and the app's only; Azurite is a third
process. A short warm-up run precedes the measured one.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path
from typing import Any

from durable_local.services.clock import SystemClock
from durable_local.services.loader import load_app
from durable_local.testing import run_host

from .engine import DiscardingBindings
from .metering import REPO_ROOT, CpuMeter, latency_summary
from .storage import storage_connection


async def _load(base_url: str, n: int, options: Namespace) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.http_load",
        "--url",
        base_url,
        "--n",
        str(n),
        "--concurrency",
        str(options.concurrency),
        "--poll-ms",
        str(options.poll_ms),
        cwd=str(REPO_ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=options.timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"load client failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return json.loads(out)


async def approval_http(options: Namespace) -> dict[str, Any]:
    n = options.n or 200
    meter = CpuMeter()
    with meter.instrument(load_app(REPO_ROOT)) as registry:
        async with storage_connection(options.storage) as storage_facts:
            with tempfile.TemporaryDirectory(prefix="durable-bench-") as tmp:
                state = Path(tmp) / "state.sqlite" if options.state == "file" else ":memory:"
                async with run_host(REPO_ROOT, registry=registry, clock=SystemClock(), state=state, max_activities=options.max_activities) as host:
                    if options.storage == "none":
                        host.host.dispatcher.activity_runner.bindings = DiscardingBindings()  # type: ignore[assignment]
                    if options.warmup:
                        await _load(host.base_url, options.warmup, options)
                    episodes_before = host.host.dispatcher.episodes
                    meter.start()
                    began = time.perf_counter()
                    load = await _load(host.base_url, n, options)
                    wall_host = time.perf_counter() - began
                    meter.stop()
                    episodes = host.host.dispatcher.episodes - episodes_before
    approvals = load["approvals"]
    wall = load["wall_s"]
    result: dict[str, Any] = {
        "n": n,
        "wall_s": round(wall, 4),
        "approvals_per_s": round(n / wall, 2),
        "orchestrations_per_s": round(n / wall, 2),
        "requests_per_s": round(load["requests"] / wall, 1),
        "requests": load["requests"],
        "requests_per_approval": round(load["requests"] / n, 2),
        "status_polls": load["status_polls"],
        "decision_conflicts": load["decision_conflicts"],
        **latency_summary(a["e2e"] for a in approvals),
    }
    for phase in ("start_request", "to_awaiting", "decision_request", "decision_to_completed"):
        summary = latency_summary(a[phase] for a in approvals)
        result[f"{phase}_p50_ms"] = summary["p50_ms"]
        result[f"{phase}_p95_ms"] = summary["p95_ms"]
    result["episodes"] = episodes
    result["host_window_s"] = round(wall_host, 4)
    result.update(storage_facts)
    result.update(meter.report(n, n * 2))
    return result
