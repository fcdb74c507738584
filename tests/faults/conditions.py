"""Waiting on conditions with a deadline: the only place the fault/load suites pause.

A test never sleeps for a fixed time. It waits until a predicate holds (the host answered, a
log file grew, every instance finished), checking again after a short asyncio wait, and fails
with a message saying what it waited for when the deadline passes first.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

#: Seconds between two checks of a condition (a file read or one HTTP request).
POLL_INTERVAL = 0.02


async def wait_until(
    predicate: Callable[[], Any | Awaitable[Any]],
    *,
    timeout: float,
    what: str,
    interval: float = POLL_INTERVAL,
) -> Any:
    """Return the first truthy value of ``predicate()`` (sync or async); TimeoutError after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(interval)
