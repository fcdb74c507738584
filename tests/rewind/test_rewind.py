"""Rewind of Failed instances: failed work runs again, completed work keeps its result."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from durable_local.errors import InvalidOperation
from durable_local.protocol import EventType
from durable_local.testing import TestHost, run_host

APP = Path(__file__).parent / "apps" / "mending"
API = "/runtime/webhooks/durabletask"


@pytest.fixture
async def host() -> AsyncIterator[TestHost]:
    async with run_host(APP) as running:
        yield running


def _app(host: TestHost) -> ModuleType:
    module = host.host.registry.module
    assert module is not None
    return module


async def _failed(host: TestHost, name: str, instance_id: str) -> Any:
    await host.start(name, None, instance_id)
    status = await host.wait_for(instance_id)
    assert status.runtime_status == "Failed", status.output
    return status


async def test_rewind_reruns_the_failed_activity_and_keeps_completed_ones(host: TestHost) -> None:
    failed = await _failed(host, "chain", "c1")
    app = _app(host)
    assert dict(app.RUNS) == {"steady:a": 1, "fragile:b": 1}
    app.FIXED["fragile"] = True
    await host.client().rewind("c1", "deployed the fix")
    # Right after the rewind: Pending, the old failure still the output (DTFx keeps it).
    pending = await host.status("c1")
    assert pending is not None and (pending.runtime_status, pending.output) == ("Pending", failed.output)
    status = await host.wait_for("c1", "Completed")
    assert json.loads(status.output or "") == ["a done", "b mended", "c done"]
    assert dict(app.RUNS) == {"steady:a": 1, "fragile:b": 2, "steady:c": 1}
    history = await host.history("c1")
    # The failure became tombstones (GenericEvent) in place; the activity was scheduled again
    # under its own sequence id and completed.
    types = [e["EventType"] for e in history]
    assert types.count(EventType.TASK_FAILED) == 0 and types.count(EventType.GENERIC_EVENT) == 4
    assert [e["EventId"] for e in history if e["EventType"] == EventType.TASK_SCHEDULED] == [0, 1, 2]
    tombstones = [e for e in history if e["EventType"] == EventType.GENERIC_EVENT]
    assert [t["EventId"] for t in tombstones[:3]] == [1, -1, -1]  # TaskScheduled(1), TaskFailed, ExecutionCompleted
    assert tombstones[3]["Data"] == "deployed the fix"  # the message that started the replay


async def test_rewind_of_a_parent_rewinds_its_failed_sub_orchestration(host: TestHost) -> None:
    await _failed(host, "parent", "p1")
    app = _app(host)
    assert (await host.status("p1-child")).runtime_status == "Failed"  # type: ignore[union-attr]
    app.FIXED["fragile"] = True
    await host.host.rewind("p1", "fixed")
    status = await host.wait_for("p1", "Completed")
    assert json.loads(status.output or "") == {"before": "p done", "child": ["a done", "b mended", "c done"]}
    child = await host.status("p1-child")
    assert child is not None and child.runtime_status == "Completed"
    assert dict(app.RUNS) == {"steady:p": 1, "steady:a": 1, "fragile:b": 2, "steady:c": 1}


async def test_rewind_of_an_exhausted_retry_runs_the_last_attempt_again(host: TestHost) -> None:
    await host.start("retrying", None, "r1")
    await host.advance(timedelta(seconds=5))
    failed = await host.wait_for("r1")
    assert failed.runtime_status == "Failed"
    app = _app(host)
    assert app.RUNS["fragile:r"] == 2
    app.FIXED["fragile"] = True
    await host.host.rewind("r1", "fixed")
    status = await host.wait_for("r1", "Completed")
    assert json.loads(status.output or "") == "r mended"
    assert app.RUNS["fragile:r"] == 3
    # the SDK's numbering of the chain held: attempt 0, timer 1, attempt 2 (run again)
    scheduled = [e["EventId"] for e in await host.history("r1") if e["EventType"] == EventType.TASK_SCHEDULED]
    assert scheduled == [0, 2]


async def test_rewind_of_an_orchestrator_code_failure_runs_the_code_again(host: TestHost) -> None:
    await _failed(host, "code_failure", "k1")
    app = _app(host)
    app.FIXED["code"] = True
    await host.host.rewind("k1", "fixed")
    status = await host.wait_for("k1", "Completed")
    assert json.loads(status.output or "") == "k done"
    assert app.RUNS["steady:k"] == 1


async def test_rewinding_an_instance_that_did_not_fail_gets_the_extensions_answers(host: TestHost) -> None:
    await host.start("chain", None, "ok-not")
    app = _app(host)
    app.FIXED["fragile"] = True
    await host.wait_for("ok-not", "Completed")
    async with host.http.post(host.url(f"{API}/instances/ok-not/rewind")) as reply:
        assert reply.status == 412  # ext HandleRewindInstanceRequestAsync: PreconditionFailed
        assert 'only orchestrations in the "Failed" state can be rewound' in (await reply.json())["Message"]
    async with host.http.post(host.url(f"{API}/instances/nobody/rewind")) as reply:
        assert (reply.status, await reply.json()) == (404, 'No orchestration with instance ID "$nobody" found.')
    with pytest.raises(InvalidOperation, match="only supported on failed orchestration instances"):
        await host.host.rewind("ok-not", None)
    with pytest.raises(Exception, match=r"No instance with ID nobody found\."):
        await host.client().rewind("nobody", "x")
