"""The Durable HTTP management API answers with the extension's status codes and bodies."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from durable_local.protocol import RuntimeStatus

API = "/runtime/webhooks/durabletask"
CHECK_STATUS_KEYS = [
    "id",
    "statusQueryGetUri",
    "sendEventPostUri",
    "terminatePostUri",
    "purgeHistoryDeleteUri",
    "restartPostUri",
    "suspendPostUri",
    "resumePostUri",
]


# -- start --------------------------------------------------------------------------------


async def test_start_answers_202_with_check_status_links_location_and_retry_after(http, fake_host):
    response = await http.post(f"{API}/orchestrators/hello_orchestrator/order-1", json={"a": 1})
    assert response.status == 202
    payload = await response.json()
    assert list(payload) == CHECK_STATUS_KEYS
    assert payload["id"] == "order-1"
    origin = fake_host.base_url
    assert payload["statusQueryGetUri"] == f"{origin}{API}/instances/order-1?taskHub=TestHubName&connection=Storage"
    assert payload["sendEventPostUri"] == (
        f"{origin}{API}/instances/order-1/raiseEvent/{{eventName}}?taskHub=TestHubName&connection=Storage"
    )
    assert response.headers["Location"] == payload["statusQueryGetUri"]
    assert response.headers["Retry-After"] == "10"
    assert fake_host.instances["order-1"].input == '{"a":1}'


async def test_start_without_id_generates_one(http, fake_host):
    response = await http.post(f"{API}/orchestrators/hello_orchestrator")
    assert response.status == 202
    instance_id = (await response.json())["id"]
    assert instance_id in fake_host.instances
    assert fake_host.instances[instance_id].input is None


async def test_start_decodes_a_double_encoded_body_once_like_the_extension(http, fake_host):
    body = json.dumps(json.dumps({"id": 1}))  # what DurableOrchestrationClient.start_new sends
    response = await http.post(f"{API}/orchestrators/hello_orchestrator/x1", data=body)
    assert response.status == 202
    assert fake_host.instances["x1"].input == json.dumps(json.dumps({"id": 1}))


async def test_start_with_invalid_json_is_400(http):
    response = await http.post(f"{API}/orchestrators/hello_orchestrator", data="{not json")
    assert response.status == 400
    body = await response.json()
    assert body["Message"] == "Invalid JSON content"
    assert "Invalid JSON content" in body["ExceptionMessage"]


async def test_start_of_unknown_orchestrator_is_400_argument_exception(http):
    response = await http.post(f"{API}/orchestrators/missing_orchestrator")
    assert response.status == 400
    body = await response.json()
    assert body["Message"] == "One or more of the arguments submitted is incorrect"
    assert body["ExceptionType"] == "System.ArgumentException"
    assert body["StackTrace"] is None
    assert body["ExceptionMessage"].startswith("The function 'missing_orchestrator' doesn't exist")


async def test_start_with_an_invalid_instance_id_is_400(http):
    response = await http.post(f"{API}/orchestrators/hello_orchestrator/@entity")
    assert response.status == 400
    assert "@" in (await response.json())["ExceptionMessage"]


async def test_start_with_the_id_of_a_running_instance_is_409(http, fake_host):
    fake_host.add("busy")
    response = await http.post(f"{API}/orchestrators/hello_orchestrator/busy")
    assert response.status == 409
    assert "already exists" in (await response.json())["Message"]


async def test_start_with_get_is_404(http):
    assert (await http.get(f"{API}/orchestrators/hello_orchestrator")).status == 404


async def test_start_and_wait_returns_the_output_when_done_in_time(http, fake_host):
    fake_host.complete_on_start = '{"done":true}'
    response = await http.post(f"{API}/orchestrators/hello_orchestrator/w1?timeout=5&pollingInterval=0.01")
    assert response.status == 200
    assert await response.json() == {"done": True}


async def test_start_and_wait_falls_back_to_check_status_on_timeout(http):
    response = await http.post(f"{API}/orchestrators/hello_orchestrator/w2?timeout=0.05&pollingInterval=0.01")
    assert response.status == 202
    assert (await response.json())["id"] == "w2"


async def test_start_and_wait_rejects_a_polling_interval_longer_than_the_timeout(http):
    response = await http.post(f"{API}/orchestrators/hello_orchestrator/w3?timeout=1&pollingInterval=2")
    assert response.status == 400
    assert "should be bigger than retry timeout" in (await response.json())["ExceptionMessage"]


# -- status -------------------------------------------------------------------------------


async def test_status_of_a_running_instance_is_202_with_location_and_retry_after(http, fake_host):
    fake_host.add("r1", input='{"x":1}', custom_status='"waiting"')
    url = f"{API}/instances/r1?taskHub=TestHubName"
    response = await http.get(url)
    assert response.status == 202
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Location"].endswith(url)
    body = await response.json()
    assert body == {
        "name": "hello_orchestrator",
        "instanceId": "r1",
        "runtimeStatus": "Running",
        "input": {"x": 1},
        "customStatus": "waiting",
        "output": None,
        "createdTime": "2025-01-01T12:00:00Z",
        "lastUpdatedTime": "2025-01-01T12:00:00Z",
    }


@pytest.mark.parametrize("status", [RuntimeStatus.PENDING, RuntimeStatus.SUSPENDED, RuntimeStatus.CONTINUED_AS_NEW])
async def test_status_of_other_in_progress_states_is_202(http, fake_host, status):
    fake_host.add("p1", status)
    assert (await http.get(f"{API}/instances/p1")).status == 202


async def test_status_of_a_completed_instance_is_200_with_parsed_output(http, fake_host):
    fake_host.add("c1", RuntimeStatus.COMPLETED, output='["a", "b"]')
    response = await http.get(f"{API}/instances/c1")
    assert response.status == 200
    assert "Location" not in response.headers
    assert (await response.json())["output"] == ["a", "b"]


async def test_status_of_a_failed_instance_is_200_or_500_when_asked(http, fake_host):
    fake_host.add("f1", RuntimeStatus.FAILED, output='"Orchestrator function failed: boom"')
    assert (await http.get(f"{API}/instances/f1")).status == 200
    response = await http.get(f"{API}/instances/f1?returnInternalServerErrorOnFailure=TRUE")
    assert response.status == 500
    assert (await response.json())["runtimeStatus"] == "Failed"


async def test_status_of_an_unknown_instance_is_404_with_an_empty_body(http):
    response = await http.get(f"{API}/instances/nobody")
    assert response.status == 404
    assert await response.read() == b""


async def test_status_hides_input_when_show_input_is_false(http, fake_host):
    fake_host.add("i1", input='"secret"')
    assert (await (await http.get(f"{API}/instances/i1?showInput=False")).json())["input"] is None
    assert (await (await http.get(f"{API}/instances/i1?showInput=notabool")).json())["input"] == "secret"


def _raw_history() -> list[dict]:
    t0, t1, t2 = "2025-01-01T12:00:00.1000000Z", "2025-01-01T12:00:01.2000000Z", "2025-01-01T12:00:02.3000000Z"
    return [
        {"EventType": 12, "EventId": -1, "IsPlayed": True, "Timestamp": t0},
        {
            "EventType": 0,
            "EventId": -1,
            "IsPlayed": True,
            "Timestamp": t0,
            "Name": "hello_orchestrator",
            "Version": "",
            "Input": '"Oslo"',
            "OrchestrationInstance": {"InstanceId": "h1", "ExecutionId": "e"},
            "ParentInstance": None,
            "Tags": None,
        },
        {
            "EventType": 4,
            "EventId": 0,
            "IsPlayed": True,
            "Timestamp": t0,
            "Name": "say_hello",
            "Version": "",
            "Input": '"Oslo"',
        },
        {"EventType": 13, "EventId": -1, "IsPlayed": True, "Timestamp": t0},
        {"EventType": 12, "EventId": -1, "IsPlayed": False, "Timestamp": t1},
        {
            "EventType": 5,
            "EventId": -1,
            "IsPlayed": False,
            "Timestamp": t1,
            "TaskScheduledId": 0,
            "Result": '"Hello Oslo"',
        },
        {
            "EventType": 1,
            "EventId": -1,
            "IsPlayed": False,
            "Timestamp": t2,
            "OrchestrationStatus": 1,
            "Result": '"Hello Oslo"',
        },
        {"EventType": 13, "EventId": -1, "IsPlayed": False, "Timestamp": t2},
    ]


async def test_status_with_history_shows_the_friendly_event_shape(http, fake_host):
    fake_host.add("h1", RuntimeStatus.COMPLETED, output='"Hello Oslo"')
    fake_host.histories["h1"] = _raw_history()
    body = await (await http.get(f"{API}/instances/h1?showHistory=true")).json()
    assert body["historyEvents"] == [
        {
            "EventType": "ExecutionStarted",
            "Timestamp": "2025-01-01T12:00:00.1000000Z",
            "FunctionName": "hello_orchestrator",
        },
        {
            "EventType": "TaskCompleted",
            "Timestamp": "2025-01-01T12:00:01.2000000Z",
            "ScheduledTime": "2025-01-01T12:00:00.1000000Z",
            "FunctionName": "say_hello",
        },
        {
            "EventType": "ExecutionCompleted",
            "Timestamp": "2025-01-01T12:00:02.3000000Z",
            "OrchestrationStatus": "Completed",
        },
    ]
    with_output = await (await http.get(f"{API}/instances/h1?showHistory=true&showHistoryOutput=true")).json()
    assert with_output["historyEvents"][1]["Result"] == "Hello Oslo"
    assert with_output["historyEvents"][2]["Result"] == "Hello Oslo"
    assert "historyEvents" not in await (await http.get(f"{API}/instances/h1")).json()


# -- list ---------------------------------------------------------------------------------


async def test_list_pages_with_the_continuation_token_header(http, fake_host):
    for n in range(5):
        fake_host.add(f"l{n}", created_at=fake_host.clock.now() + timedelta(minutes=n))
    seen, token, pages = [], None, 0
    while True:
        headers = {"x-ms-continuation-token": token} if token else {}
        response = await http.get(f"{API}/instances?top=2", headers=headers)
        assert response.status == 200
        seen += [item["instanceId"] for item in await response.json()]
        pages += 1
        token = response.headers.get("x-ms-continuation-token")
        if not token:
            break
    assert seen == ["l0", "l1", "l2", "l3", "l4"]
    assert pages == 3


async def test_list_filters_by_status_time_and_prefix(http, fake_host):
    fake_host.add("a-run")
    fake_host.add("a-done", RuntimeStatus.COMPLETED, created_at=fake_host.clock.now() + timedelta(days=1))
    fake_host.add("b-fail", RuntimeStatus.FAILED)
    response = await http.get(f"{API}/instances/?runtimeStatus=Completed,failed")
    assert sorted(i["instanceId"] for i in await response.json()) == ["a-done", "b-fail"]
    response = await http.get(f"{API}/instances?instanceIdPrefix=a-&createdTimeFrom=2025-01-01T12:30:00.000000Z")
    assert [i["instanceId"] for i in await response.json()] == ["a-done"]
    response = await http.get(f"{API}/instances?showInput=false")
    assert all(i["input"] is None for i in await response.json())


@pytest.mark.parametrize(
    ("query", "mentions"),
    [("createdTimeFrom=yesterday", "createdTimeFrom"), ("runtimeStatus=Sleeping", "Sleeping"), ("top=0", "top")],
)
async def test_list_with_bad_filters_is_400_naming_the_parameter(http, query, mentions):
    response = await http.get(f"{API}/instances?{query}")
    assert response.status == 400
    assert mentions in (await response.json())["ExceptionMessage"]
