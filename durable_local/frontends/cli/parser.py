"""The command line's arguments (``durable-local --help``, ``python -m durable_local --help``)."""

from __future__ import annotations

import argparse
import os

DEFAULT_HOST_URL = "http://localhost:7071"

def build_parser(prog: str = "durable-local") -> argparse.ArgumentParser:
    """The parser; ``prog`` is how the user ran it (``durable-local`` or ``python -m durable_local``)."""
    from ... import __version__

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Local Azure Durable Functions host for Python v2 apps, and `func durable` commands.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    start = commands.add_parser("start", help="run the app on the local host (like `func start`)")
    start.add_argument("--app", default=".", help="the Functions app directory (default: the current directory, as func start)")
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
    start.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes running the app's code, 1 to 10 (default: FUNCTIONS_WORKER_PROCESS_COUNT, "
        "else 1, as on Azure); 0 runs it inside the host's process, for a debugger",
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
