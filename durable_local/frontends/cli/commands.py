"""``durable-local`` (or ``python -m durable_local``): run the local host, and ``func durable``'s commands.

::

    durable-local start [--app DIR] [--port 7071] [--clock system|auto-skip] ...
    durable-local start-new --function-name approval --input @request.json
    durable-local get-runtime-status --id <id> --show-output
    durable-local raise-event --id <id> --event-name Approval --event-data '{"approved": true}'

``durable-local`` is the console script of the durable-local distribution (pyproject.toml);
``start`` runs the app in the current directory unless ``--app`` says otherwise, as ``func start``.

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

import asyncio
import json
import sys

from .client import ApiError, ManagementClient, Unreachable
from .durable import COMMANDS
from .exit_codes import EXIT_API_ERROR, EXIT_OK, EXIT_USAGE
from .parser import build_parser
from .serve import configure_logging, serve


def main(argv: list[str] | None = None, prog: str = "durable-local") -> int:
    """Run one command; returns the process exit code. ``prog`` names the program in help and errors."""
    args = build_parser(prog).parse_args(argv)
    if args.command == "start":
        configure_logging(args.verbose)
        try:
            return asyncio.run(serve(args))
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
