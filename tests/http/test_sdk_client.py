"""The SDK's own DurableOrchestrationClient, pointed at the server through the binding JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from azure.durable_functions import DurableOrchestrationClient, OrchestrationRuntimeStatus

from durable_local.frontends.http import client_binding_json
from durable_local.protocol import RuntimeStatus


@pytest.fixture
def client(http, fake_host) -> DurableOrchestrationClient:
    return DurableOrchestrationClient(client_binding_json(fake_host.base_url, fake_host.hub_name))


async def test_start_new_input_is_decoded_once_like_the_extension(client, fake_host):
    instance_id = await client.start_new("hello_orchestrator", "s1", {"id": 1})
    assert instance_id == "s1"
    # The client double-encodes: the stored input is a JSON string whose text is the JSON.
    assert fake_host.instances["s1"].input == json.dumps(json.dumps({"id": 1}))
    await client.start_new("hello_orchestrator", "s2")
    assert fake_host.instances["s2"].input is None


async def test_start_new_of_unknown_orchestrator_raises_the_extension_message(client):
    with pytest.raises(Exception, match="The function 'nope' doesn't exist"):
        await client.start_new("nope")


async def test_get_status_parses_our_payload_and_missing_is_falsy(client, fake_host):
    fake_host.add("g1", RuntimeStatus.COMPLETED, input='"in"', output='{"r":1}', custom_status='"cs"')
    status = await client.get_status("g1", show_input=True)
    assert status.runtime_status == OrchestrationRuntimeStatus.Completed
    assert status.output == {"r": 1}
    assert status.input_ == "in"
    assert status.custom_status == "cs"
    assert status.created_time == datetime(2025, 1, 1, 12, tzinfo=UTC)
    missing = await client.get_status("nobody")
    assert not missing


async def test_get_status_by_sends_filters_the_api_understands(client, fake_host):
    fake_host.add("q1", RuntimeStatus.RUNNING)
    fake_host.add("q2", RuntimeStatus.COMPLETED)
    found = await client.get_status_by(
        created_time_from=datetime(2024, 1, 1), runtime_status=[OrchestrationRuntimeStatus.Running]
    )
    assert [s.instance_id for s in found] == ["q1"]
    assert len(await client.get_status_all()) == 2


async def test_raise_event_payload_reaches_the_host_as_the_extension_stores_it(client, fake_host):
    fake_host.add("ev")
    await client.raise_event("ev", "Approval", {"approved": True})
    assert fake_host.calls[-1] == ("raise_event", "ev", "Approval", json.dumps(json.dumps({"approved": True})))
    fake_host.set_status("ev", RuntimeStatus.COMPLETED)
    with pytest.raises(Exception, match="is gone"):
        await client.raise_event("ev", "Approval", True)
    with pytest.raises(Exception, match="No instance with ID nobody found"):
        await client.raise_event("nobody", "Approval", True)


async def test_terminate_suspend_resume_round_trip(client, fake_host):
    fake_host.add("life")
    await client.suspend("life", "pause")
    assert fake_host.instances["life"].runtime_status == RuntimeStatus.SUSPENDED
    await client.resume("life", "go on")
    await client.terminate("life", "no longer needed")
    assert fake_host.calls[-1] == ("terminate", "life", "no longer needed")
    assert fake_host.instances["life"].runtime_status == RuntimeStatus.TERMINATED


async def test_restart_returns_the_check_status_payload_as_the_sdk_does(client, fake_host):
    fake_host.add("p1", RuntimeStatus.COMPLETED, input='"again"')
    # SDK restart() returns the response body when there is one: the extension's check-status payload.
    restarted = await client.restart("p1")
    assert restarted["id"] != "p1"
    assert fake_host.instances[restarted["id"]].input == '"again"'
    with pytest.raises(Exception, match="No instance with ID 'nobody' found"):
        await client.restart("nobody")


async def test_purge_one_and_many(client, fake_host):
    fake_host.add("p1", RuntimeStatus.COMPLETED)
    fake_host.add("p2", RuntimeStatus.FAILED)
    fake_host.add("p3", RuntimeStatus.RUNNING)
    assert (await client.purge_instance_history("p1")).instances_deleted == 1
    assert (await client.purge_instance_history("p1")).instances_deleted == 0
    result = await client.purge_instance_history_by(
        created_time_from=datetime(2024, 1, 1), runtime_status=[OrchestrationRuntimeStatus.Failed]
    )
    assert result.instances_deleted == 1
    assert list(fake_host.instances) == ["p3"]


async def test_rewind_of_a_failed_instance_returns_quietly_and_of_a_running_one_raises(client, fake_host):
    fake_host.add("f1", RuntimeStatus.FAILED)
    assert await client.rewind("f1", "fixed") is None
    fake_host.add("r1", RuntimeStatus.RUNNING)
    with pytest.raises(Exception, match="Received unexpected payload from the durable-extension"):
        await client.rewind("r1", "fixed")
