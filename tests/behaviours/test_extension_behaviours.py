"""Behaviours of the Durable extension and the Functions host that an app can observe.

* suspend only from Running/Pending/ContinuedAsNew, resume only from Suspended, else the
  extension's InvalidOperationException (HTTP 500) and its warning line (ext ``DurableClient``);
* host.json ``overridableExistingInstanceStates`` (ext ``OverridableStates``, ``HttpApiHandler``);
* ``AzureWebJobs.<name>.Disabled`` app settings (webjobs ``IsDisabled``; ext
  ``TaskNonexistentActivityShim``, ``ThrowIfOrchestratorFunctionIsDisabled``);
* the host's log lines for a failed function (python worker ``RpcException``, host
  ``FlattenException``).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from azure.durable_functions import DurableOrchestrationClient

from durable_local.testing import TestHost, run_host

APP = Path(__file__).parent / "apps" / "switches"
API = "/runtime/webhooks/durabletask"


@pytest.fixture
async def host() -> AsyncIterator[TestHost]:
    async with run_host(APP) as running:
        yield running


async def _waiting(host: TestHost, instance_id: str) -> None:
    await host.start("waiting", None, instance_id)
    await host.wait_for(instance_id, "Running")


async def test_suspending_a_suspended_instance_is_the_extensions_500_with_its_warning(
    host: TestHost, caplog: pytest.LogCaptureFixture
) -> None:
    await _waiting(host, "w1")
    client: DurableOrchestrationClient = host.client()
    await client.suspend("w1", "pause")
    await host.wait_for("w1", "Suspended")
    with caplog.at_level(logging.WARNING, logger="durable_local"):
        async with host.http.post(host.url(f"{API}/instances/w1/suspend")) as reply:
            body = await reply.json()
            assert reply.status == 500
        with pytest.raises(Exception, match="The operation failed with an unexpected status code 500"):
            await client.suspend("w1", "again")
    assert body["ExceptionMessage"] == "Cannot suspend the orchestration instance w1 because instance is in the Suspended state."
    assert body["ExceptionType"] == "System.InvalidOperationException"
    warnings = [r.getMessage() for r in caplog.records if "Cannot suspend orchestration instance" in r.getMessage()]
    assert warnings and warnings[0].startswith("Cannot suspend orchestration instance in the Suspended state.. InstanceId: w1.")
    # resuming works, and resuming a running instance is refused the same way
    await client.resume("w1", "go")
    await host.wait_for("w1", "Running")
    with caplog.at_level(logging.WARNING, logger="durable_local"):
        with pytest.raises(Exception, match="unexpected status code 500"):
            await client.resume("w1", "again")
    assert any("Cannot resume orchestration instance in the Running state.. InstanceId: w1." in r.getMessage() for r in caplog.records)


async def test_suspend_and_resume_of_a_finished_instance_are_quietly_ignored_by_the_python_client(host: TestHost) -> None:
    await _waiting(host, "w2")
    await host.host.raise_event("w2", "Go", '"done"')
    await host.wait_for("w2", "Completed")
    client = host.client()
    await client.suspend("w2", "late")  # 410 Gone: the SDK swallows it
    await client.resume("w2", "late")
    async with host.http.post(host.url(f"{API}/instances/w2/suspend")) as reply:
        assert reply.status == 410


async def test_starting_over_a_running_instance_is_refused_by_default(host: TestHost) -> None:
    await _waiting(host, "same-id")
    async with host.http.post(host.url(f"{API}/orchestrators/waiting/same-id")) as reply:
        assert reply.status == 409


async def test_any_state_lets_a_start_replace_a_running_instance(tmp_path: Path) -> None:
    app = tmp_path / "anystate"
    shutil.copytree(APP, app)
    host_json = json.loads((app / "host.json").read_text(encoding="utf-8"))
    host_json["extensions"]["durableTask"]["overridableExistingInstanceStates"] = "AnyState"
    (app / "host.json").write_text(json.dumps(host_json), encoding="utf-8")
    async with run_host(app) as host:
        await _waiting(host, "same-id")
        first = (await host.status("same-id"))
        assert first is not None
        async with host.http.post(host.url(f"{API}/orchestrators/waiting/same-id")) as reply:
            assert reply.status == 202
        await host.wait_for("same-id", "Running")
        second = await host.status("same-id")
        assert second is not None and second.execution_id != first.execution_id
        # the new execution starts from scratch: one ExecutionStarted in its history
        starts = [e for e in await host.history("same-id") if e["EventType"] == 0]
        assert len(starts) == 1


def test_an_unknown_overridable_states_value_stops_start_up(tmp_path: Path) -> None:
    from durable_local.errors import AppLoadError
    from durable_local.services.loader import load_app

    app = tmp_path / "badstates"
    shutil.copytree(APP, app)
    (app / "host.json").write_text(
        '{"version": "2.0", "extensions": {"durableTask": {"overridableExistingInstanceStates": "Sometimes"}}}',
        encoding="utf-8",
    )
    with pytest.raises(AppLoadError, match="overridableExistingInstanceStates must be 'NonRunningStates'"):
        load_app(app)


async def test_a_disabled_activity_fails_its_caller_with_the_extensions_message(
    host: TestHost, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="durable_local"):
        instance_id = await host.start("call_parked_activity")
        status = await host.wait_for(instance_id)
    assert status.runtime_status == "Failed"
    output = json.loads(status.output or "")
    assert output.startswith(
        "Orchestrator function 'call_parked_activity' failed: "
        "Activity function 'ParkedActivity' failed: Activity function 'ParkedActivity' is disabled."
    )
    assert any(
        "Activity function 'ParkedActivity' was scheduled but is disabled. Failing the activity." in r.getMessage()
        for r in caplog.records
    )


async def test_a_disabled_orchestrator_cannot_be_started(host: TestHost) -> None:
    async with host.http.post(host.url(f"{API}/orchestrators/parked_orchestrator/p1")) as reply:
        body = await reply.json()
        assert reply.status == 400
    assert body["ExceptionMessage"].startswith(
        "The function 'parked_orchestrator' doesn't exist, is disabled, or is not an orchestrator function."
    )
    async with host.http.get(host.url(f"{API}/instances/p1")) as reply:
        assert reply.status == 404  # no instance was created


async def test_a_call_to_a_disabled_entity_fails_and_names_it(host: TestHost) -> None:
    instance_id = await host.start("call_parked_entity")
    status = await host.wait_for(instance_id)
    assert status.runtime_status == "Failed"
    assert "ParkedEntity" in (status.output or "")


async def test_a_disabled_http_function_answers_an_empty_404_as_on_azure(
    host: TestHost, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="durable_local"):
        async with host.http.get(host.url("/api/parked")) as reply:
            assert (reply.status, await reply.read()) == (404, b"")
    assert "Function 'parked_route' is disabled (app setting AzureWebJobs.parked_route.Disabled)" in caplog.text


async def test_a_failed_activity_is_logged_with_the_workers_exception_on_one_line(
    host: TestHost, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="durable_local"):
        instance_id = await host.start("call_raising_activity")
        await host.wait_for(instance_id)
    lines = [r.getMessage() for r in caplog.records]
    executed = next(i for i, line in enumerate(lines) if line.startswith("Executed 'Functions.raising_activity' (Failed"))
    assert lines[executed + 1] == (
        "System.Private.CoreLib: Exception while executing function: Functions.raising_activity. "
        "System.Private.CoreLib: Result: Failure"
    )
    assert lines[executed + 2] == "Exception: ValueError: refused x"
    assert lines[executed + 3].startswith("Stack:   File ")
