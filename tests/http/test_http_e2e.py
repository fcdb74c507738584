"""The HTTP layer on the real engine: starter function, SDK client and management API together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from durable_local.testing import run_host

BASIC_APP = Path(__file__).parent / "apps" / "basic"
API = "/runtime/webhooks/durabletask"

pytestmark = pytest.mark.e2e


async def test_starter_function_runs_the_orchestration_to_completion():
    async with run_host(BASIC_APP) as host:
        response = await host.http.post(host.url("/api/orchestrators/hello_orchestrator"), data=json.dumps("Oslo"))
        assert response.status == 202
        payload = await response.json()
        await host.wait_for(payload["id"])
        status = await host.http.get(payload["statusQueryGetUri"] + "&showHistory=true&showHistoryOutput=true")
        assert status.status == 200
        body = await status.json()
        assert body["runtimeStatus"] == "Completed"
        assert body["output"] == "Hello Oslo"
        kinds = [event["EventType"] for event in body["historyEvents"]]
        assert kinds == ["ExecutionStarted", "TaskCompleted", "ExecutionCompleted"]
        assert body["historyEvents"][1]["FunctionName"] == "say_hello"
        assert body["historyEvents"][1]["Result"] == "Hello Oslo"


async def test_management_start_and_wait_returns_the_output():
    async with run_host(BASIC_APP) as host:
        url = host.url(f"{API}/orchestrators/hello_orchestrator/w1?timeout=10&pollingInterval=1")
        # A Python orchestrator's get_input() parses the context input once more, so a bare string
        # input must arrive double-encoded, as the SDK client sends it (protocol notes 1.4).
        response = await host.http.post(url, data=json.dumps(json.dumps("Bergen")))
        assert response.status == 200
        assert await response.json() == "Hello Bergen"


async def test_start_and_wait_reports_a_failed_orchestration_with_its_status():
    async with run_host(BASIC_APP) as host:
        url = host.url(f"{API}/orchestrators/hello_orchestrator/w2?timeout=10&pollingInterval=1")
        response = await host.http.post(url, json="not double-encoded")
        assert response.status == 200
        body = await response.json()
        assert body["runtimeStatus"] == "Failed"
        assert body["output"].startswith("Orchestrator function 'hello_orchestrator' failed")


async def test_sdk_client_against_the_real_host():
    async with run_host(BASIC_APP) as host:
        client = host.client()
        instance_id = await client.start_new("hello_orchestrator", "sdk-1", "Tromsø")
        await host.wait_for(instance_id)
        status = await client.get_status(instance_id)
        assert status.output == "Hello Tromsø"
        assert (await client.purge_instance_history(instance_id)).instances_deleted == 1
        assert not await client.get_status(instance_id)
