"""``start``: run an app on the local host, with ``func start``'s banner and log format."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from typing import TYPE_CHECKING

from .exit_codes import EXIT_API_ERROR, EXIT_OK

if TYPE_CHECKING:
    from ...host import DurableHost

def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter("[%(asctime)s.%(msecs)03dZ] %(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # The storage SDKs log every HTTP request at INFO.
    logging.getLogger("azure").setLevel(logging.DEBUG if verbose else logging.WARNING)


def _banner(host: DurableHost, state: str, clock: str) -> str:
    from ..http.routes import FunctionRoutes

    registry = host.registry
    urls = FunctionRoutes(registry.http, registry.host.route_prefix).urls(host.base_url)
    rows = [(f.name, f"[{','.join(f.methods)}] {urls[f.name]}") for f in registry.http]
    rows += [(f.function_name, "orchestrationTrigger") for f in registry.orchestrators.values()]
    rows += [(f.function_name, "activityTrigger") for f in registry.activities.values()]
    rows += [(f.function_name, "entityTrigger") for f in registry.entities.values()]
    rows += [(f.name, str(f.kind)) for f in registry.triggered]
    lines = ["", "Functions:", ""]
    for name, what in sorted(rows):
        lines += [f"        {name}: {what}", ""]
    lines.append(f"Durable management API: {host.base_url}/runtime/webhooks/durabletask")
    if host.dashboard_url:
        lines.append(f"Dashboard: {host.dashboard_url}")
    lines.append(f"Task hub: {host.hub_name}  State: {state}  Clock: {clock}  Workers: {_workers(host)}")
    if host.function_keys:
        lines.append("Function keys are on: pass the master key as ?code= or x-functions-key.")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines) + "\n"


def _workers(host: DurableHost) -> str:
    processes = host.worker_processes
    if processes is None:
        return "in process"
    return ", ".join(f"{w.name} (pid {w.pid})" for w in processes)


async def serve(args: argparse.Namespace) -> int:
    from ...composition import absolute_state_path, default_state_path, open_host
    from ...errors import AppLoadError
    from ...services.clock import make_clock
    from ...services.loader import load_app

    # Before loading: the app's root becomes the working directory of the process.
    state_arg = absolute_state_path(args.state)
    try:
        registry = load_app(args.app)
    except AppLoadError as err:
        print(f"Error: {err}", file=sys.stderr)
        return EXIT_API_ERROR
    state = str(state_arg or default_state_path(registry.app_dir))
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
            # None: as the storage provider in host.json implies (only Azure Storage sends them)
            timer_settings=False if args.no_timer_settings else None,
            function_keys=keys,
            # None: FUNCTIONS_WORKER_PROCESS_COUNT (1 when unset), read after the app's settings were exported
            workers=args.workers,
        ) as host:
            for notice in host.notices:
                label = "Warning" if notice.level == "warning" else "Note"
                print(f"{label}: {notice.message}", flush=True)
            print(_banner(host, state, args.clock), flush=True)
            await stop.wait()
            print("Stopping: finishing in-flight work...", flush=True)
    except AppLoadError as err:  # a trigger the extension would reject (checked before listening)
        print(f"Error: {err}", file=sys.stderr)
        return EXIT_API_ERROR
    except OSError as err:
        print(
            f"Error: cannot listen on {args.host}:{args.port}: {err.strerror or err}. "
            "Is another host running? Pick another --port.",
            file=sys.stderr,
        )
        return EXIT_API_ERROR
    finally:
        registry.close()
    print("Stopped.", flush=True)
    return EXIT_OK
