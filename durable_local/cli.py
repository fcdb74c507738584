"""``python -m durable_local``: run the local host, and ``func durable``'s commands against it.

::

    python -m durable_local start [--app DIR] [--port 7071] [--clock system|auto-skip] ...
    python -m durable_local start-new --function-name approval --input @request.json
    python -m durable_local get-runtime-status --id <id> --show-output
    python -m durable_local raise-event --id <id> --event-name Approval --event-data '{"approved": true}'

``start`` prints the functions like ``func start`` and logs every invocation; Ctrl+C or SIGTERM
stops the HTTP server, drains in-flight work and exits 0.

The other commands are Azure Functions Core Tools' ``func durable`` commands with the same option
names (docs: durable-functions-instance-management.md), sent to a running host's management API
(``--host-url``, default ``$DURABLE_LOCAL_URL`` or http://localhost:7071; ``--code`` when keys are
on). ``--task-hub-name`` and ``--connection-string-setting`` are accepted for compatibility; the
local host serves one task hub. Output is human-readable, or the API's JSON with ``--json``.

Exit codes: 0 success, 1 the API refused (its message is printed) or the host is unreachable,
2 usage errors and operations the local host does not support (``rewind``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from .cli_client import ApiError, ManagementClient, Unreachable, read_json_argument

EXIT_OK, EXIT_API_ERROR, EXIT_USAGE = 0, 1, 2
DEFAULT_HOST_URL = "http://localhost:7071"


# -- parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m durable_local",
        description="Local Azure Durable Functions host for Python v2 apps, and `func durable` commands.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    start = commands.add_parser("start", help="run the app on the local host (like `func start`)")
    start.add_argument("--app", default=".", help="the Functions app directory (default: .)")
    start.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    start.add_argument("--port", type=int, default=7071, help="port to listen on (default: 7071; 0 = any free port)")
    start.add_argument(
        "--state", help="SQLite state file (default: <app>/.durable_local/state.sqlite; :memory: for none)"
    )
    start.add_argument(
        "--clock",
        choices=("system", "auto-skip"),
        default="system",
        help="system: real time; auto-skip: jump to the next timer whenever idle",
    )
    start.add_argument("--hub", help="task hub name (default: host.json durableTask.hubName, else TestHubName)")
    start.add_argument(
        "--no-timer-settings", action="store_true", help="do not send the Azure Storage long-timer settings to the SDK"
    )
    start.add_argument(
        "--master-key",
        default=os.environ.get("DURABLE_LOCAL_MASTER_KEY"),
        help="turn function keys on with this master key (default: keys off, like func start)",
    )
    start.add_argument("--verbose", action="store_true", help="debug logging")

    def durable(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.add_argument(
            "--host-url",
            default=os.environ.get("DURABLE_LOCAL_URL", DEFAULT_HOST_URL),
            help="the running host (default: $DURABLE_LOCAL_URL or http://localhost:7071)",
        )
        sub.add_argument(
            "--code", default=os.environ.get("DURABLE_LOCAL_CODE"), help="system or master key, if keys are on"
        )
        sub.add_argument("--json", action="store_true", help="print the API's JSON instead of text")
        sub.add_argument("--task-hub-name", help="accepted for compatibility; the host serves one task hub")
        sub.add_argument("--connection-string-setting", help="accepted for compatibility; ignored")
        return sub

    sub = durable("start-new", "start an orchestration instance")
    sub.add_argument("--function-name", required=True, help="orchestrator function name")
    sub.add_argument("--id", help="instance ID (default: a new GUID)")
    sub.add_argument("--input", help="input as JSON text, or @file; get_input() returns exactly this value")
    sub.add_argument("--wait", type=float, metavar="SECONDS", help="wait up to SECONDS for the instance to finish")

    sub = durable("get-runtime-status", "show an instance's status")
    sub.add_argument("--id", required=True)
    sub.add_argument("--show-input", type=_flag, nargs="?", const=True, default=False, metavar="BOOL")
    sub.add_argument("--show-output", type=_flag, nargs="?", const=True, default=False, metavar="BOOL")
    sub.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="first wait up to SECONDS for a final status (Completed, Failed, Terminated)",
    )

    sub = durable("get-history", "show an instance's history")
    sub.add_argument("--id", required=True)

    sub = durable("get-instances", "list instances")
    sub.add_argument("--created-after", help="ISO 8601 time, e.g. 2025-01-01T00:00:00Z")
    sub.add_argument("--created-before", help="ISO 8601 time")
    sub.add_argument("--runtime-status", help="comma list: Running,Completed,Failed,Terminated,Pending,Suspended")
    sub.add_argument("--top", type=int, help="page size")
    sub.add_argument("--continuation-token", help="token printed by the previous page")

    sub = durable("raise-event", "send an event to an instance")
    sub.add_argument("--id", required=True)
    sub.add_argument("--event-name", required=True)
    sub.add_argument(
        "--event-data", default="null", help="JSON text or @file (text that is not JSON is sent as a string)"
    )

    for name, verb in (("terminate", "terminate"), ("suspend", "suspend"), ("resume", "resume"), ("rewind", "rewind")):
        sub = durable(name, f"{verb} an instance")
        sub.add_argument("--id", required=True)
        sub.add_argument("--reason", default="", help="why (recorded in history)")

    sub = durable("purge-history", "delete the history of finished instances")
    sub.add_argument("--id", help="purge this one instance")
    sub.add_argument("--created-after", help="ISO 8601 time (default: the beginning of time)")
    sub.add_argument("--created-before", help="ISO 8601 time (default: now)")
    sub.add_argument("--runtime-status", help="comma list (default: Completed,Failed,Terminated,Canceled)")

    durable("delete-task-hub", "delete all instances and history of the task hub")
    return parser


def _flag(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


# -- start --------------------------------------------------------------------------------


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter("[%(asctime)s.%(msecs)03dZ] %(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # The storage SDKs log every HTTP request at INFO.
    logging.getLogger("azure").setLevel(logging.DEBUG if verbose else logging.WARNING)


def _banner(host: Any, state: str, clock: str) -> str:
    from .http.routes import FunctionRoutes

    registry = host.registry
    urls = FunctionRoutes(registry.http, registry.host.route_prefix).urls(host.base_url)
    rows = [(f.name, f"[{','.join(f.methods)}] {urls[f.name]}") for f in registry.http]
    rows += [(f.function_name, "orchestrationTrigger") for f in registry.orchestrators.values()]
    rows += [(f.function_name, "activityTrigger") for f in registry.activities.values()]
    lines = ["", "Functions:", ""]
    for name, what in sorted(rows):
        lines += [f"        {name}: {what}", ""]
    lines.append(f"Durable management API: {host.base_url}/runtime/webhooks/durabletask")
    dashboard = getattr(host, "dashboard_url", None)
    if dashboard:
        lines.append(f"Dashboard: {dashboard}")
    lines.append(f"Task hub: {host.hub_name}  State: {state}  Clock: {clock}")
    if host.function_keys:
        lines.append("Function keys are on: pass the master key as ?code= or x-functions-key.")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines) + "\n"


async def _serve(args: argparse.Namespace) -> int:
    from .clock import make_clock
    from .errors import AppLoadError
    from .host import default_state_path, open_host
    from .loader import load_app

    try:
        registry = load_app(args.app)
    except AppLoadError as err:
        print(f"Error: {err}", file=sys.stderr)
        return EXIT_API_ERROR
    state = args.state or str(default_state_path(registry.app_dir))
    keys = {"_master": args.master_key} if args.master_key else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # not on this platform; Ctrl+C raises instead
            pass
    try:
        async with open_host(
            registry=registry,
            state=state,
            clock=make_clock(args.clock),
            hub_name=args.hub,
            host=args.host,
            port=args.port,
            timer_settings=not args.no_timer_settings,
            function_keys=keys,
        ) as host:
            print(_banner(host, state, args.clock), flush=True)
            await stop.wait()
            print("Stopping: finishing in-flight work...", flush=True)
    except OSError as err:
        print(
            f"Error: cannot listen on {args.host}:{args.port}: {err.strerror or err}. "
            "Is another host running? Pick another --port.",
            file=sys.stderr,
        )
        return EXIT_API_ERROR
    print("Stopped.", flush=True)
    return EXIT_OK


# -- func durable commands ----------------------------------------------------------------


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


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "start":
        _configure_logging(args.verbose)
        try:
            return asyncio.run(_serve(args))
        except KeyboardInterrupt:  # platforms without loop signal handlers
            return EXIT_OK
    api = ManagementClient(args.host_url, args.code)
    try:
        result = COMMANDS[args.command](api, args)
    except ValueError as err:  # --input/--event-data file unreadable
        print(f"Error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except Unreachable as err:
        print(f"Error: {err}", file=sys.stderr)
        return EXIT_API_ERROR
    except ApiError as err:
        print(f"Error: {err}", file=sys.stderr)
        return EXIT_USAGE if err.status == 501 else EXIT_API_ERROR
    if result is not None:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return EXIT_OK
