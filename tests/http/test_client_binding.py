"""The durable client binding JSON has exactly the extension's shape."""

from __future__ import annotations

import json

import azure.functions as func
from azure.durable_functions import DurableOrchestrationClient

from durable_local.frontends.http.client_binding import check_status_payload, client_binding, client_binding_json

BASE = "http://127.0.0.1:7071"
WEBHOOK = f"{BASE}/runtime/webhooks/durabletask"


def test_binding_without_keys_has_the_extension_shape_exactly():
    suffix = "taskHub=TestHubName&connection=Storage"
    instance = f"{WEBHOOK}/instances/INSTANCEID"
    assert client_binding(BASE, "TestHubName") == {
        "taskHubName": "TestHubName",
        "creationUrls": {
            "createNewInstancePostUri": f"{WEBHOOK}/orchestrators/{{functionName}}[/{{instanceId}}]?",
            "createAndWaitOnNewInstancePostUri": (
                f"{WEBHOOK}/orchestrators/{{functionName}}[/{{instanceId}}]"
                "?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&"
            ),
        },
        "managementUrls": {
            "id": "INSTANCEID",
            "statusQueryGetUri": f"{instance}?{suffix}",
            "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}?{suffix}",
            "terminatePostUri": f"{instance}/terminate?reason={{text}}&{suffix}",
            "rewindPostUri": f"{instance}/rewind?reason={{text}}&{suffix}",
            "purgeHistoryDeleteUri": f"{instance}?{suffix}",
            "restartPostUri": f"{instance}/restart?{suffix}",
            "suspendPostUri": f"{instance}/suspend?reason={{text}}&{suffix}",
            "resumePostUri": f"{instance}/resume?reason={{text}}&{suffix}",
        },
        "baseUrl": WEBHOOK,
        "requiredQueryStringParameters": "",
        "rpcBaseUrl": f"{BASE}/durabletask/",
        "connectionName": None,
        "httpBaseUrl": None,
    }


def test_binding_with_a_key_carries_code_everywhere():
    binding = client_binding(BASE + "/", "Hub", system_key="s3cr3t/+=")
    encoded = "s3cr3t%2F%2B%3D"
    assert binding["requiredQueryStringParameters"] == f"code={encoded}"
    assert binding["creationUrls"]["createNewInstancePostUri"].endswith(f"?code={encoded}")
    assert all(url.endswith(f"&code={encoded}") for key, url in binding["managementUrls"].items() if key != "id")
    assert binding["rpcBaseUrl"] == f"{BASE}/durabletask/"


def test_json_string_keeps_nulls_and_order():
    text = client_binding_json(BASE, "Hub")
    assert list(json.loads(text)) == [
        "taskHubName",
        "creationUrls",
        "managementUrls",
        "baseUrl",
        "requiredQueryStringParameters",
        "rpcBaseUrl",
        "connectionName",
        "httpBaseUrl",
    ]
    assert '"connectionName": null' in text


def test_instance_ids_in_links_are_encoded_like_webutility_urlencode():
    payload = check_status_payload(BASE, "Hub", "order 1/a")
    assert payload["statusQueryGetUri"] == f"{WEBHOOK}/instances/order+1%2Fa?taskHub=Hub&connection=Storage"
    assert payload["id"] == "order 1/a"


def test_sdk_check_status_response_rewrites_our_links_to_the_request_origin():
    client = DurableOrchestrationClient(client_binding_json(BASE, "Hub"))
    request = func.HttpRequest("POST", "http://myhost:8080/api/start", body=b"", headers={})
    response = client.create_check_status_response(request, "abc")
    body = json.loads(response.get_body())
    assert response.status_code == 202
    assert response.headers["Location"] == (
        "http://myhost:8080/runtime/webhooks/durabletask/instances/abc?taskHub=Hub&connection=Storage"
    )
    assert body["rewindPostUri"].startswith("http://myhost:8080/runtime/webhooks/durabletask/instances/abc/rewind")
