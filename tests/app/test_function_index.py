"""``import function_app`` indexes exactly the functions, triggers and bindings Azure will see.

Indexing runs in a fresh interpreter started in the app directory, as the Python worker does:
``app.get_functions()`` may be called only once per app object (azure-functions 1.26 raises on
the second call: every function would be a duplicate), and ``import azure.durable_functions``
reads ``./host.json`` at import time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import APP_DIR

# The function.json representation the worker reports to the Functions host when it indexes.
INDEX_SCRIPT = """
import json
import function_app

print(json.dumps([
    {
        "name": function.get_function_name(),
        "trigger": function.get_trigger().get_binding_name(),
        "bindings": json.loads(function.get_function_json())["bindings"],
    }
    for function in function_app.app.get_functions()
]))
"""

QUEUE_OUTPUT = {
    "type": "queue",
    "direction": "OUT",
    "name": "msg",
    "queueName": "approval-notifications",
    "connection": "AzureWebJobsStorage",
}


@pytest.fixture(scope="module")
def index() -> dict[str, dict[str, Any]]:
    completed = subprocess.run(
        [sys.executable, "-c", INDEX_SCRIPT],
        cwd=APP_DIR, capture_output=True, text=True, timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(completed.stdout.strip().splitlines()[-1])
    return {row["name"]: row for row in rows}


def test_indexes_exactly_the_expected_functions(index: dict[str, dict[str, Any]]) -> None:
    assert {name: row["trigger"] for name, row in index.items()} == {
        "start_approval": "httpTrigger",
        "start_orchestration": "httpTrigger",
        "submit_decision": "httpTrigger",
        "get_approval": "httpTrigger",
        "start_reminders": "httpTrigger",
        "get_reminders": "httpTrigger",
        "unmatched_route": "httpTrigger",
        "approval_orchestrator": "orchestrationTrigger",
        "reminders_orchestrator": "orchestrationTrigger",
        "NotifyApprover": "activityTrigger",
        "Escalation": "activityTrigger",
        "Approval": "activityTrigger",
        "SendReminder": "activityTrigger",
    }


@pytest.mark.parametrize(
    ("name", "route", "method"),
    [
        ("start_approval", "approvals", "POST"),
        ("start_orchestration", "orchestrators/{functionName}", "POST"),
        ("submit_decision", "approvals/{instanceId}/decision", "POST"),
        ("get_approval", "approvals/{instanceId}", "GET"),
        ("start_reminders", "reminders", "POST"),
        ("get_reminders", "reminders/{instanceId}", "GET"),
    ],
)
def test_http_functions_have_route_method_function_key_and_durable_client(
    index: dict[str, dict[str, Any]], name: str, route: str, method: str
) -> None:
    bindings = index[name]["bindings"]
    assert bindings == [
        {"type": "durableClient", "direction": "IN", "name": "client"},
        {"type": "httpTrigger", "direction": "IN", "name": "req", "methods": [method],
         "authLevel": "FUNCTION", "route": route},
        {"type": "http", "direction": "OUT", "name": "$return"},
    ]


def test_the_catch_all_takes_every_method_on_every_route(index: dict[str, dict[str, Any]]) -> None:
    assert index["unmatched_route"]["bindings"] == [
        {"type": "httpTrigger", "direction": "IN", "name": "req",
         "methods": ["GET", "POST", "DELETE", "HEAD", "PATCH", "PUT", "OPTIONS"],
         "authLevel": "FUNCTION", "route": "{*path}"},
        {"type": "http", "direction": "OUT", "name": "$return"},
    ]


def test_the_catch_all_sorts_after_every_other_http_function_as_the_functions_host_orders_them(
    index: dict[str, dict[str, Any]],
) -> None:
    # The host routes in function-name order (FunctionMetadataManager: OrderBy(Name,
    # StringComparer.OrdinalIgnoreCase), i.e. upper-cased ordinal) and the first route whose
    # template and method match answers: a catch-all sorting earlier would shadow the others.
    http = [name for name, row in index.items() if row["trigger"] == "httpTrigger"]
    assert sorted(http, key=str.upper)[-1] == "unmatched_route"


def test_the_route_table_is_what_the_http_functions_register(index: dict[str, dict[str, Any]]) -> None:
    from approval.endpoints import ENDPOINTS

    registered = {
        (binding["route"], tuple(binding["methods"]))
        for name, row in index.items() if row["trigger"] == "httpTrigger" and name != "unmatched_route"
        for binding in row["bindings"] if binding["type"] == "httpTrigger"
    }
    assert registered == {(endpoint.route, endpoint.methods) for endpoint in ENDPOINTS}


@pytest.mark.parametrize("name", ["approval_orchestrator", "reminders_orchestrator"])
def test_orchestrators_register_under_their_orchestration_name(
    index: dict[str, dict[str, Any]], name: str
) -> None:
    assert index[name]["bindings"] == [
        {"type": "orchestrationTrigger", "direction": "IN", "name": "context",
         "orchestration": name}
    ]


@pytest.mark.parametrize("name", ["NotifyApprover", "Escalation", "Approval", "SendReminder"])
def test_activities_write_to_the_notification_queue(
    index: dict[str, dict[str, Any]], name: str
) -> None:
    assert index[name]["bindings"] == [
        QUEUE_OUTPUT,
        {"type": "activityTrigger", "direction": "IN", "name": "payload"},
    ]


def test_function_app_only_composes_blueprints() -> None:
    source = (APP_DIR / "function_app.py").read_text(encoding="utf-8")
    assert "df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)" in source
    assert source.count("register_functions(") == 2
    assert "@app." not in source


def test_deployed_code_has_no_trace_of_the_local_host() -> None:
    deployed = [APP_DIR / "function_app.py", *Path(APP_DIR, "approval").rglob("*.py"),
                *Path(APP_DIR, "activities").rglob("*.py"),
                APP_DIR / "requirements.txt", APP_DIR / "host.json"]
    offenders = [str(p.relative_to(APP_DIR)) for p in deployed
                 if "durable_local" in p.read_text(encoding="utf-8")]
    assert offenders == []
    ignored = (APP_DIR / ".funcignore").read_text(encoding="utf-8").split()
    for entry in ("durable_local/", "tests/", ".venv/", "local.settings.json", "__pycache__/",
                  "README.md"):
        assert entry in ignored
