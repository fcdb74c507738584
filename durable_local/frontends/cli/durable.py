"""``func durable``'s commands, sent to a running host's management API.

Each command takes the :class:`~.client.ManagementClient` and the parsed arguments; it prints a
human-readable answer and returns None, or returns the API's JSON for ``--json``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from .client import ManagementClient, read_json_argument


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _print_status(status: dict[str, Any], show_input: bool, show_output: bool) -> None:
    print(f"Instance:       {status['instanceId']}")
    print(f"Name:           {status['name']}")
    print(f"Runtime status: {status['runtimeStatus']}")
    print(f"Created:        {status['createdTime']}")
    print(f"Last updated:   {status['lastUpdatedTime']}")
    if status.get("customStatus") is not None:
        print(f"Custom status:  {_show(status['customStatus'])}")
    if show_input:
        print(f"Input:          {_show(status.get('input'))}")
    if show_output:
        print(f"Output:         {_show(status.get('output'))}")


def _start_new(api: ManagementClient, args: argparse.Namespace) -> Any:
    # Encoded as the SDK's start_new does (JSON of the JSON text): a Python orchestrator's
    # get_input() parses once more, so this way it returns exactly the value given.
    body = json.dumps(json.dumps(read_json_argument(args.input))) if args.input is not None else None
    path = f"orchestrators/{api.quote(args.function_name)}" + (f"/{api.quote(args.id)}" if args.id else "")
    query = {"timeout": args.wait, "pollingInterval": min(args.wait, 1.0)} if args.wait else {}
    response = api.call("POST", path, query=query, body=body)
    payload = response.json()
    if response.status == 202 and "statusQueryGetUri" in payload:
        instance_id = payload["id"]
        if args.json:
            return payload
        print(f"Started '{args.function_name}' with instance ID '{instance_id}'.")
        if args.wait:
            print(f"It did not finish within {args.wait:g}s; check: get-runtime-status --id {instance_id}")
        print(f"Status: {payload['statusQueryGetUri']}")
        return None
    if args.json:  # waited: the output (Completed) or the status (Failed/Terminated)
        return payload
    if isinstance(payload, dict) and "runtimeStatus" in payload:
        _print_status(payload, False, True)
    else:
        print(f"Completed. Output: {_show(payload)}")
    return None


def _get_runtime_status(api: ManagementClient, args: argparse.Namespace) -> Any:
    path = f"instances/{api.quote(args.id)}"
    query = {"showInput": str(args.show_input).lower()}
    deadline = time.monotonic() + (args.wait or 0)
    while True:
        response = api.call("GET", path, query=query, not_found=f"No instance with ID '{args.id}' was found.")
        status = response.json()
        if not args.wait or response.status != 202 or time.monotonic() >= deadline:
            break
        time.sleep(0.2)  # polling a remote host: the API has no long-poll for status
    if args.json:
        return status
    _print_status(status, args.show_input, args.show_output)
    return None


def _get_history(api: ManagementClient, args: argparse.Namespace) -> Any:
    path = f"instances/{api.quote(args.id)}"
    query = {"showHistory": "true", "showHistoryOutput": "true", "showInput": "false"}
    status = api.call("GET", path, query=query, not_found=f"No instance with ID '{args.id}' was found.").json()
    events = status.get("historyEvents") or []
    if args.json:
        return events
    for event in events:
        name = event.get("FunctionName") or event.get("Name") or ""
        detail = event.get("Result", event.get("Reason", event.get("OrchestrationStatus", "")))
        shown = _show(detail) if detail != "" else ""
        print(f"{event.get('Timestamp', ''):<30} {event['EventType']:<34} {name:<24} {shown}".rstrip())
    return None


def _get_instances(api: ManagementClient, args: argparse.Namespace) -> Any:
    query = {
        "createdTimeFrom": args.created_after,
        "createdTimeTo": args.created_before,
        "runtimeStatus": args.runtime_status,
        "top": args.top,
        "showInput": "false",
    }
    headers = {"x-ms-continuation-token": args.continuation_token} if args.continuation_token else {}
    response = api.call("GET", "instances", query=query, headers=headers)
    instances, token = response.json(), response.headers.get("x-ms-continuation-token")
    if args.json:
        return {"instances": instances, "continuationToken": token}
    if not instances:
        print("No instances.")
    for item in instances:
        print(f"{item['instanceId']:<34} {item['name']:<28} {item['runtimeStatus']:<14} {item['createdTime']}")
    if token:
        print(f"More instances: pass --continuation-token {token}")
    return None


def _raise_event(api: ManagementClient, args: argparse.Namespace) -> Any:
    # One encoding, as curl or Core Tools send it: wait_for_external_event returns this value.
    body = json.dumps(read_json_argument(args.event_data))
    path = f"instances/{api.quote(args.id)}/raiseEvent/{api.quote(args.event_name)}"
    api.call("POST", path, body=body)
    if args.json:
        return {"instanceId": args.id, "eventName": args.event_name, "accepted": True}
    print(f"Raised event '{args.event_name}' to instance '{args.id}'.")
    return None


def _operation(verb: str, done: str) -> Callable[[ManagementClient, argparse.Namespace], Any]:
    def run(api: ManagementClient, args: argparse.Namespace) -> Any:
        api.call("POST", f"instances/{api.quote(args.id)}/{verb}", query={"reason": args.reason})
        if args.json:
            return {"instanceId": args.id, "operation": verb, "accepted": True}
        print(f"{done} instance '{args.id}'.")
        return None

    return run


def _purge_history(api: ManagementClient, args: argparse.Namespace) -> Any:
    if args.id:
        response = api.call("DELETE", f"instances/{api.quote(args.id)}")
    else:
        query = {
            "createdTimeFrom": args.created_after or "0001-01-01T00:00:00Z",
            "createdTimeTo": args.created_before,
            "runtimeStatus": args.runtime_status or "Completed,Failed,Terminated,Canceled",
        }
        response = api.call("DELETE", "instances", query=query, not_found=None)
    deleted = response.json().get("instancesDeleted", 0) if response.status == 200 else 0
    if args.json:
        return {"instancesDeleted": deleted}
    print(f"Purged {deleted} instance(s).")
    return None


def _delete_task_hub(api: ManagementClient, args: argparse.Namespace) -> Any:
    payload = api.call("DELETE", "taskhub").json()
    if args.json:
        return payload
    print(f"Deleted task hub '{payload.get('taskHub')}'.")
    return None


COMMANDS: dict[str, Callable[[ManagementClient, argparse.Namespace], Any]] = {
    "start-new": _start_new,
    "get-runtime-status": _get_runtime_status,
    "get-history": _get_history,
    "get-instances": _get_instances,
    "raise-event": _raise_event,
    "terminate": _operation("terminate", "Terminated"),
    "suspend": _operation("suspend", "Suspended"),
    "resume": _operation("resume", "Resumed"),
    "rewind": _operation("rewind", "Rewound"),
    "purge-history": _purge_history,
    "delete-task-hub": _delete_task_hub,
}
