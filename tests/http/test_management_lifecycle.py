"""The management API's purge, event, lifecycle and routing answers: the extension's status codes and bodies."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from durable_local.protocol import RuntimeStatus

API = "/runtime/webhooks/durabletask"

# -- purge --------------------------------------------------------------------------------


async def test_purge_one_answers_200_with_count_then_404(http, fake_host):
    fake_host.add("done", RuntimeStatus.COMPLETED)
    response = await http.delete(f"{API}/instances/done")
    assert response.status == 200
    assert await response.json() == {"instancesDeleted": 1}
    response = await http.delete(f"{API}/instances/done")
    assert response.status == 404
    assert "done" in (await response.json())["Message"]


async def test_purge_of_a_running_instance_is_412(http, fake_host):
    fake_host.add("live")
    response = await http.delete(f"{API}/instances/live")
    assert response.status == 412
    assert "terminal state" in (await response.json())["Message"]


async def test_purge_many_requires_created_time_from(http):
    response = await http.delete(f"{API}/instances")
    assert response.status == 400
    assert (await response.json())["Message"] == "Please provide value for 'createdTimeFrom' parameter."


async def test_purge_many_is_200_with_count_or_404_when_nothing_matched(http, fake_host):
    fake_host.add("old1", RuntimeStatus.COMPLETED)
    fake_host.add("old2", RuntimeStatus.FAILED)
    fake_host.add("old3", RuntimeStatus.RUNNING)
    query = "createdTimeFrom=2024-01-01T00:00:00Z&runtimeStatus=Completed,Failed"
    response = await http.delete(f"{API}/instances/?{query}")
    assert response.status == 200
    assert await response.json() == {"instancesDeleted": 2}
    assert list(fake_host.instances) == ["old3"]
    assert (await http.delete(f"{API}/instances?{query}")).status == 404


async def test_purge_many_defaults_created_time_to_the_host_clock(http, fake_host):
    fake_host.add("later", RuntimeStatus.COMPLETED, created_at=fake_host.clock.now() + timedelta(days=3))
    assert (await http.delete(f"{API}/instances?createdTimeFrom=2024-01-01")).status == 404
    fake_host.clock.advance(timedelta(days=4))
    assert (await http.delete(f"{API}/instances?createdTimeFrom=2024-01-01")).status == 200


# -- events and lifecycle -----------------------------------------------------------------


async def test_raise_event_is_202_and_stores_the_body_as_json_text(http, fake_host):
    fake_host.add("e1")
    response = await http.post(f"{API}/instances/e1/raiseEvent/Approval", json={"approved": True})
    assert response.status == 202
    assert await response.read() == b""
    assert fake_host.calls[-1] == ("raise_event", "e1", "Approval", '{"approved":true}')


async def test_raise_event_decodes_the_python_clients_double_encoding_once(http, fake_host):
    fake_host.add("e2")
    body = json.dumps(json.dumps({"approved": True}))
    response = await http.post(
        f"{API}/instances/e2/raiseEvent/Approval", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 202
    assert fake_host.calls[-1][3] == json.dumps(json.dumps({"approved": True}))


async def test_raise_event_for_unknown_instance_is_404(http):
    response = await http.post(f"{API}/instances/ghost/raiseEvent/E", json=1)
    assert response.status == 404
    assert "ghost" in (await response.json())["Message"]


async def test_raise_event_for_a_finished_instance_is_410(http, fake_host):
    fake_host.add("over", RuntimeStatus.COMPLETED)
    response = await http.post(f"{API}/instances/over/raiseEvent/E", json=1)
    assert response.status == 410
    assert "Completed" in (await response.json())["Message"]


async def test_raise_event_with_a_non_json_content_type_is_400(http, fake_host):
    fake_host.add("e3")
    response = await http.post(f"{API}/instances/e3/raiseEvent/E", data="true", headers={"Content-Type": "text/plain"})
    assert response.status == 400
    assert (await response.json())["Message"] == "Only application/json request content is supported"


async def test_raise_event_with_invalid_json_is_400(http, fake_host):
    fake_host.add("e4")
    response = await http.post(
        f"{API}/instances/e4/raiseEvent/E", data="{oops", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status == 400
    assert (await response.json())["Message"] == "Invalid JSON content"


@pytest.mark.parametrize("operation", ["terminate", "suspend", "resume"])
async def test_lifecycle_operations_answer_202_404_410(http, fake_host, operation):
    fake_host.add("t1")
    response = await http.post(f"{API}/instances/t1/{operation}?reason=because%20I%20said")
    assert response.status == 202
    assert fake_host.calls[-1] == (operation, "t1", "because I said")
    assert (await http.post(f"{API}/instances/nobody/{operation}")).status == 404
    fake_host.add("t2", RuntimeStatus.TERMINATED)
    response = await http.post(f"{API}/instances/t2/{operation}")
    assert response.status == 410
    assert "Terminated" in (await response.json())["Message"]


async def test_rewind_is_404_412_or_202_with_the_reason_passed_on(http, fake_host):
    assert (await http.post(f"{API}/instances/nobody/rewind")).status == 404
    fake_host.add("running")
    assert (await http.post(f"{API}/instances/running/rewind")).status == 412
    fake_host.add("failed", RuntimeStatus.FAILED)
    response = await http.post(f"{API}/instances/failed/rewind?reason=fixed")
    assert response.status == 202
    assert ("rewind", "failed", "fixed") in fake_host.calls


async def test_restart_starts_a_new_instance_with_the_same_input(http, fake_host):
    fake_host.add("orig", RuntimeStatus.COMPLETED, input='"Oslo"')
    response = await http.post(f"{API}/instances/orig/restart")
    assert response.status == 202
    new_id = (await response.json())["id"]
    assert new_id != "orig"
    assert fake_host.instances[new_id].input == '"Oslo"'
    response = await http.post(f"{API}/instances/orig/restart?restartWithNewInstanceId=false")
    assert response.status == 202
    assert (await response.json())["id"] == "orig"


async def test_restart_of_unknown_is_404_and_of_a_running_id_in_place_is_409(http, fake_host):
    assert (await http.post(f"{API}/instances/nobody/restart")).status == 404
    fake_host.add("live")
    assert (await http.post(f"{API}/instances/live/restart?restartWithNewInstanceId=false")).status == 409


async def test_delete_task_hub_clears_all_state(http, fake_host):
    fake_host.add("x")
    response = await http.delete(f"{API}/taskhub")
    assert response.status == 200
    assert await response.json() == {"taskHub": "TestHubName", "deleted": True}
    assert fake_host.instances == {}


# -- routing ------------------------------------------------------------------------------


async def test_the_rpc_base_serves_the_same_api(http, fake_host):
    fake_host.add("rpc1", RuntimeStatus.COMPLETED, output="1")
    response = await http.get("/durabletask/instances/rpc1")
    assert response.status == 200
    assert (await response.json())["output"] == 1


async def test_instance_ids_in_paths_are_url_decoded_like_webutility(http, fake_host):
    fake_host.add("my id", RuntimeStatus.COMPLETED)
    assert (await http.get(f"{API}/instances/my%20id")).status == 200
    assert (await http.get(f"{API}/instances/my+id")).status == 200


async def test_literals_match_case_insensitively(http, fake_host):
    fake_host.add("ci")
    assert (await http.post(f"{API}/Instances/ci/RaiseEvent/E", json=1)).status == 202
    assert (await http.post(f"{API}/instances/ci/TERMINATE")).status == 202


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nothing"), ("PUT", "/instances/x"), ("POST", "/instances/x/fly")]
)
async def test_unknown_operations_are_404_json(http, method, path):
    response = await http.request(method, f"{API}{path}")
    assert response.status == 404
    assert "no" in (await response.json())["Message"]


async def test_reading_an_entity_without_state_is_a_404_with_an_empty_body(http, fake_host):
    # ext HandleGetEntityRequestAsync: CreateResponse(NotFound) without content.
    response = await http.get(f"{API}/entities/counter/one")
    assert response.status == 404 and await response.read() == b""
    fake_host.add_entity("counter", "one", '{"n": 1}')
    response = await http.get(f"{API}/entities/Counter/one")
    assert (response.status, await response.json()) == (200, {"n": 1})
