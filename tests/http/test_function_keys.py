"""Function keys: off by default; when on, functions and the management API need them."""

from __future__ import annotations

import logging

import pytest
import pytest_asyncio
from azure.durable_functions import DurableOrchestrationClient

from durable_local.frontends.http import client_binding_json
from durable_local.frontends.http.access_log import mask_secrets
from durable_local.protocol import RuntimeStatus
from tests.http.conftest import serve
from tests.http.fake_host import FakeHost

KEYS = {"default": "fn-key", "_master": "master-key"}
API = "/runtime/webhooks/durabletask"


@pytest_asyncio.fixture
async def keyed(basic_registry):
    host = FakeHost(basic_registry, function_keys=KEYS)
    client = await serve(host)
    yield client, host
    await client.close()


async def test_without_keys_every_level_is_open(http):
    assert (await http.get("/api/keyed")).status == 200
    assert (await http.get("/api/admin-only")).status == 200
    assert (await http.get(f"{API}/instances")).status == 200


async def test_function_level_needs_a_key_in_query_or_header(keyed):
    http, _ = keyed
    response = await http.get("/api/keyed")
    assert response.status == 401
    assert "function key" in (await response.json())["Message"]
    assert (await http.get("/api/keyed?code=wrong")).status == 401
    assert (await http.get("/api/keyed?code=fn-key")).status == 200
    assert (await http.get("/api/keyed", headers={"x-functions-key": "master-key"})).status == 200
    assert (await http.get("/api/text")).status == 200  # anonymous stays open


async def test_admin_level_needs_the_master_key(keyed):
    http, _ = keyed
    assert (await http.get("/api/admin-only?code=fn-key")).status == 401
    assert (await http.get("/api/admin-only?code=master-key")).status == 200


async def test_management_api_needs_the_system_or_master_key(keyed):
    http, _ = keyed
    response = await http.get(f"{API}/instances")
    assert response.status == 401
    assert "key" in (await response.json())["Message"]
    assert (await http.get(f"{API}/instances?code=fn-key")).status == 401
    assert (await http.get(f"{API}/instances?code=master-key")).status == 200


async def test_links_and_binding_carry_the_key_so_the_sdk_works(keyed):
    http, host = keyed
    host.add("k1", RuntimeStatus.COMPLETED)
    binding = client_binding_json(host.base_url, host.hub_name, "master-key")
    client = DurableOrchestrationClient(binding)
    # RPC calls come from loopback, like the real host's loopback-only RPC listener.
    assert (await client.get_status("k1")).runtime_status.value == "Completed"
    response = await http.post(f"{API}/orchestrators/hello_orchestrator?code=master-key")
    assert response.status == 202
    status_url = (await response.json())["statusQueryGetUri"]
    assert status_url.endswith("&code=master-key")
    assert (await http.get(status_url.replace(host.base_url, ""))).status == 202


def test_access_log_masks_keys():
    assert mask_secrets("/api/x?code=fn-key&a=1") == "/api/x?code=***&a=1"
    assert mask_secrets("/api/x?a=1&CODE=k") == "/api/x?a=1&CODE=***"
    assert mask_secrets("/q?sv=1&sig=abc") == "/q?sv=1&sig=***"


@pytest.mark.parametrize("path", ["/api/keyed?code=fn-key", f"{API}/instances?code=master-key"])
async def test_keys_never_reach_the_logs(keyed, caplog, path):
    http, _ = keyed
    with caplog.at_level(logging.DEBUG):
        await http.get(path)
    assert "fn-key" not in caplog.text and "master-key" not in caplog.text
