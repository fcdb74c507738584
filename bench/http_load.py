"""Load client for ``approval-http``: runs in its own process so its CPU is not the host's.

    python -m bench.http_load --url http://127.0.0.1:PORT --n 200 --concurrency 10 --poll-ms 5

Each of ``n`` approvals does what a user with curl does: ``POST /api/approvals``; poll the
returned ``statusQueryGetUri`` until the instance is Running and awaiting a decision; ``POST
/api/approvals/{id}/decision``; poll ``statusQueryGetUri`` until Completed. ``concurrency``
approvals are in flight at once. Prints one JSON object: per-approval end-to-end seconds, the
phases, request counts and the client-side wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

START_BODY = {
    "title": "New laptop",
    "approver": "bob@contoso.com",
    "escalateTo": "head-of-department@contoso.com",
}
DECISION_BODY = {"decision": "approved", "comment": "Go ahead"}
#: The requester and the decider sign in (App Service Authentication's header; locally sent by the client).
REQUESTER = {"X-MS-CLIENT-PRINCIPAL-NAME": "ada@contoso.com"}
DECIDER = {"X-MS-CLIENT-PRINCIPAL-NAME": "bob@contoso.com"}


class Load:
    def __init__(self, session: aiohttp.ClientSession, base: str, poll_s: float) -> None:
        self.session = session
        self.base = base
        self.poll_s = poll_s
        self.requests = 0
        self.polls = 0
        self.conflicts = 0

    async def call(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        self.requests += 1
        async with self.session.request(method, url, json=body, headers=headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None)

    async def poll(self, url: str, done: Any) -> dict[str, Any]:
        while True:
            self.polls += 1
            status, body = await self.call("GET", url)
            if status in (200, 202) and body and done(body):
                return body
            if body and body.get("runtimeStatus") in ("Failed", "Terminated"):
                raise RuntimeError(f"instance ended {body.get('runtimeStatus')}: {body.get('output')}")
            await asyncio.sleep(self.poll_s)

    async def approval(self) -> dict[str, float]:
        began = time.perf_counter()
        status, started = await self.call("POST", self.base + "/api/approvals", START_BODY, REQUESTER)
        if status != 202:
            raise RuntimeError(f"start answered {status}: {started}")
        accepted = time.perf_counter()
        status_url = started["statusQueryGetUri"]
        await self.poll(status_url, _awaiting)
        awaiting = time.perf_counter()
        while True:
            status, body = await self.call("POST", f"{self.base}/api/approvals/{started['id']}/decision", DECISION_BODY, DECIDER)
            if status == 202:
                break
            if status != 409:
                raise RuntimeError(f"decision answered {status}: {body}")
            self.conflicts += 1  # not awaiting yet (status read between episodes): ask again
            await asyncio.sleep(self.poll_s)
        decided = time.perf_counter()
        final = await self.poll(status_url, lambda b: b.get("runtimeStatus") == "Completed")
        finished = time.perf_counter()
        output = final.get("output")
        output = json.loads(output) if isinstance(output, str) else output
        if not isinstance(output, dict) or output.get("outcome") != "approved":
            raise RuntimeError(f"unexpected output {output!r}")
        return {
            "e2e": finished - began,
            "start_request": accepted - began,
            "to_awaiting": awaiting - accepted,
            "decision_request": decided - awaiting,
            "decision_to_completed": finished - decided,
        }


def _awaiting(body: dict[str, Any]) -> bool:
    custom = body.get("customStatus")
    if isinstance(custom, str):
        try:
            custom = json.loads(custom)
        except ValueError:
            return False
    return body.get("runtimeStatus") == "Running" and isinstance(custom, dict) and custom.get("stage") == "awaiting_approval"


async def run(url: str, n: int, concurrency: int, poll_ms: float) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        load = Load(session, url.rstrip("/"), poll_ms / 1000)

        async def one() -> dict[str, float]:
            async with gate:
                return await load.approval()

        began = time.perf_counter()
        results = await asyncio.gather(*(one() for _ in range(n)))
        wall = time.perf_counter() - began
    return {
        "wall_s": wall,
        "requests": load.requests,
        "status_polls": load.polls,
        "decision_conflicts": load.conflicts,
        "approvals": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--poll-ms", type=float, default=5.0)
    options = parser.parse_args()
    result = asyncio.run(run(options.url, options.n, options.concurrency, options.poll_ms))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
