"""Load: many concurrent approvals over HTTP, then as many concurrent decisions; none is lost.

The repository's app runs on ``python -m durable_local start`` as a child process (system clock,
SQLite state file in ``tmp_path``, Azurite for the notification queue). The client fires every
``POST /api/approvals`` at once through a connector bounded to 100 connections, waits until
each approval awaits its decision, fires every decision at once, and waits until all are
Completed. Asserted: every request answered 202, every instance Completed with the decision it
was sent, the host logged no unhandled error, and its peak RSS stayed under a generous 1 GiB.
Peak RSS of the host (``VmHWM``) and of the test process (``ru_maxrss``) and the phase
durations are printed, never asserted.

Sizes: 200 approvals by default, 1000 with ``DURABLE_LOCAL_FULL=1``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.faults.conditions import wait_until
from tests.faults.host_process import REPO_ROOT, HostProcess, host_environment

pytestmark = [pytest.mark.load, pytest.mark.e2e]

FULL = os.environ.get("DURABLE_LOCAL_FULL") == "1"
APPROVALS = 1000 if FULL else 200
CONNECTIONS = 100
RSS_LIMIT = 1024**3
API = "/runtime/webhooks/durabletask"
APPROVER = "bob@contoso.com"


async def post(http: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> int:
    async with http.post(url, json=body, headers=headers) as reply:
        await reply.read()
        return reply.status


async def instances(http: aiohttp.ClientSession, base: str, status: str) -> list[dict[str, Any]]:
    async with http.get(f"{base}{API}/instances", params={"runtimeStatus": status, "showInput": "false"}) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


@pytest.mark.timeout(900 if FULL else 180)
async def test_concurrent_starts_and_decisions_complete_every_approval_with_bounded_memory(
    tmp_path: Path, azurite: str
) -> None:
    env = host_environment(
        AzureWebJobsStorage=azurite, APPROVAL_TIMEOUT="PT24H", ESCALATION_TIMEOUT="PT24H",
        ESCALATE_TO="head-of-department@contoso.com",
    )
    host = HostProcess(REPO_ROOT, tmp_path / "state.sqlite", tmp_path / "host.out", env)
    ids = [f"load-{n:04d}" for n in range(APPROVALS)]
    decisions = {iid: ("approved", "rejected")[n % 2] for n, iid in enumerate(ids)}
    timings: dict[str, float] = {}
    try:
        base = await host.start()
        connector = aiohttp.TCPConnector(limit=CONNECTIONS)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=300)) as http:
            began = time.monotonic()
            starts = await asyncio.gather(*(
                post(http, f"{base}/api/approvals", {"title": f"load {iid}", "approver": APPROVER, "instanceId": iid},
                     {"X-MS-CLIENT-PRINCIPAL-NAME": "ada@contoso.com"})
                for iid in ids
            ))
            timings["starts"] = time.monotonic() - began
            assert starts == [202] * APPROVALS

            async def all_awaiting() -> bool:
                running = await instances(http, base, "Running")
                return sum(1 for i in running if (i.get("customStatus") or {}).get("stage") == "awaiting_approval") == APPROVALS

            await wait_until(all_awaiting, timeout=600, interval=0.25, what=f"{APPROVALS} approvals awaiting a decision")
            timings["until awaiting"] = time.monotonic() - began

            began = time.monotonic()
            replies = await asyncio.gather(*(
                post(http, f"{base}/api/approvals/{iid}/decision", {"decision": decisions[iid]},
                     {"X-MS-CLIENT-PRINCIPAL-NAME": APPROVER})
                for iid in ids
            ))
            timings["decisions"] = time.monotonic() - began
            assert replies == [202] * APPROVALS

            async def all_completed() -> list[dict[str, Any]] | None:
                done = await instances(http, base, "Completed")
                return done if len(done) == APPROVALS else None

            completed = await wait_until(all_completed, timeout=600, interval=0.25, what=f"{APPROVALS} approvals Completed")
            timings["until completed"] = time.monotonic() - began
            others = [i["instanceId"] for s in ("Running", "Pending", "Failed", "Terminated") for i in await instances(http, base, s)]
        host_peak = host.peak_rss_bytes()
        assert await host.stop() == 0
    finally:
        host.ensure_dead()

    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"\n{APPROVALS} approvals over {CONNECTIONS} connections: "
        + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items())
        + f"\npeak RSS: host {host_peak / 2**20:.0f} MiB, test process {own_peak / 2**20:.0f} MiB"
    )
    assert others == []
    outcomes = {i["instanceId"]: (i["output"]["outcome"], i["output"]["decidedBy"]) for i in completed}
    assert outcomes == {iid: (decisions[iid], APPROVER) for iid in ids}
    log = host.text()
    assert "Traceback" not in log and "Unhandled error" not in log, log[-4000:]
    assert host_peak < RSS_LIMIT
