"""Fixtures of the trigger tests: the fixture apps and a way to wait for instances."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from durable_local.instances import InstanceQuery, InstanceStatus
from durable_local.testing import TestHost

APPS = Path(__file__).parent / "apps"


async def instances_of(host: TestHost, name: str) -> list[InstanceStatus]:
    """Instances of orchestrator ``name``, oldest first."""
    found, _ = await host.host.list_instances(InstanceQuery())
    return sorted((i for i in found if i.name == name), key=lambda i: i.created_at)


async def wait_for_instances(
    host: TestHost, name: str, count: int, *, completed: bool = True, timeout: float = 20.0
) -> list[InstanceStatus]:
    """Wait (on committed changes, no sleeping) until ``count`` instances of ``name`` exist (and completed)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await instances_of(host, name)
        done = [i for i in found if i.runtime_status == "Completed"] if completed else found
        if len(done) >= count:
            return found
        if loop.time() >= deadline:
            raise TimeoutError(f"{len(done)} of {count} '{name}' instances after {timeout}s: {found}")
        await host.host.changed(min(0.5, deadline - loop.time()))


def input_of(status: InstanceStatus) -> Any:
    """An instance's input as the orchestrator saw it (the SDK client sends a JSON string of JSON)."""
    value = json.loads(status.input) if status.input is not None else None
    return json.loads(value) if isinstance(value, str) else value
