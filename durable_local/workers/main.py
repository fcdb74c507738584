"""A worker process: imports the app as the Python worker does and runs what the host sends.

Started by :class:`~.process.WorkerProcess` as a fresh interpreter (never a fork of the host, so
module state is the worker's own), with the app root as its working directory and first on
``sys.path`` (Azure runs ``python -m azure_functions_worker`` from ``/home/site/wwwroot``), the
host's environment (``local.settings.json`` values included) and one end of a socket pair.

It loads the app (:func:`~durable_local.services.loader.load_app`, the same indexing and checks
as the host), answers :class:`~.frames.Ready` with the function names it found, then runs each
:class:`~.frames.Request` as its own task through an
:class:`~.in_process.InProcessRunner` whose synchronous calls go to one thread pool of
``PYTHON_THREADPOOL_THREAD_COUNT`` threads (default 1000: the Functions host sets that when the
app does not, host ``DefaultWorkerProcessFactory.ApplyWorkerConcurrencyLimits``).

The app's log records travel to the host as :class:`~.frames.LogLine` messages (the worker's
``RpcLog``); ``print`` output and tracebacks go to stdout/stderr, which the host reads line by
line (host ``WorkerProcess``). When the host's end of the socket closes (the host stopped, or
was killed) the worker exits at once, abandoning whatever runs: the host re-runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
import threading
import traceback

from ..engine.failures import WorkerError
from ..errors import AppLoadError
from ..services.invocation import Invocation
from ..services.loader import load_app
from . import frames
from .calls import ActivityCall, Call, EntityCall, OrchestratorCall
from .channel import Channel
from .in_process import InProcessRunner

#: host ``RpcWorkerConstants.DefaultConcurrencyLimit``, applied when the app sets no thread count
DEFAULT_THREAD_COUNT = 1000


class RelayHandler(logging.Handler):
    """Sends the app's log records to the host (formatted here: arguments may not pickle)."""

    def __init__(self, channel: Channel, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._channel = channel
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = frames.LogLine(record.levelno, record.name, self.format(record))
            if threading.get_ident() == self._loop_thread:
                self._channel.send(line)
            else:
                self._loop.call_soon_threadsafe(self._channel.send, line)
        except Exception:  # a closed loop at exit, an unformattable record: never fail the caller
            self.handleError(record)


def thread_count(environ: os._Environ[str] | dict[str, str]) -> int:
    """worker ``_get_sync_tp_max_workers``: ``PYTHON_THREADPOOL_THREAD_COUNT`` if a whole number >= 1."""
    raw = environ.get("PYTHON_THREADPOOL_THREAD_COUNT")
    if raw is not None and raw.strip().isdigit() and int(raw) >= 1:
        return int(raw)
    return DEFAULT_THREAD_COUNT


async def _run(runner: InProcessRunner, call: Call) -> object:
    if isinstance(call, OrchestratorCall):
        return await runner.orchestrate(call)
    if isinstance(call, EntityCall):
        return await runner.run_entity(call)
    if isinstance(call, ActivityCall):
        return await runner.run_activity(call)
    if isinstance(call, Invocation):
        return await runner.invoke(call)
    raise TypeError(f"unknown call {type(call).__name__}")


async def _handle(runner: InProcessRunner, channel: Channel, request: frames.Request) -> None:
    try:
        reply = frames.Reply(request.id, await _run(runner, request.call))
    except Exception as err:  # the function's own failure (HTTP and trigger functions raise)
        reply = frames.Reply(request.id, None, WorkerError.of(err))
    try:
        channel.send(reply)
    except Exception as err:  # the value does not pickle: the call fails, as an unserializable output would
        message = f"{type(err).__name__}: the result cannot be sent to the host: {err}"
        channel.send(frames.Reply(request.id, None, WorkerError(message, "")))


class Server:
    """Runs each request as its own task once the app is loaded; knows when the host has gone."""

    def __init__(self) -> None:
        self.runner: InProcessRunner | None = None
        self.channel: Channel | None = None
        self.closed = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def received(self, message: object) -> None:
        # The host sends requests only after Ready, when the runner exists.
        if isinstance(message, frames.Request) and self.runner is not None and self.channel is not None:
            task = asyncio.get_running_loop().create_task(_handle(self.runner, self.channel, message))
            self._running.add(task)
            task.add_done_callback(self._running.discard)


async def serve(app_dir: str, sock: socket.socket) -> int:
    """Load the app, then answer requests until the host closes the socket; the exit code."""
    server = Server()
    channel = server.channel = await Channel.open(sock, server.received, server.closed.set)
    logging.getLogger().addHandler(RelayHandler(channel, asyncio.get_running_loop()))
    try:
        registry = load_app(app_dir)
    except AppLoadError as err:
        channel.send(frames.LoadFailed(str(err)))
        channel.close()
        return 1
    except Exception:  # a fault of the loader itself: report it whole
        channel.send(frames.LoadFailed(traceback.format_exc()))
        channel.close()
        return 1
    server.runner = InProcessRunner(registry, threads=thread_count(os.environ), sync_in_threads=True)
    channel.send(frames.Ready(os.getpid(), tuple(sorted(registry.function_names()))))
    await server.closed.wait()
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="durable_local.workers", description="a worker process of the local host")
    parser.add_argument("--app", required=True, help="the Functions app directory")
    parser.add_argument("--fd", type=int, required=True, help="this end of the host's socket pair")
    parser.add_argument("--log-level", type=int, default=logging.INFO, help="root logger level (the host's)")
    parser.add_argument("--azure-log-level", type=int, default=logging.WARNING, help="level of the 'azure' loggers")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(args.log_level)
    logging.getLogger("azure").setLevel(args.azure_log_level)
    # Not asyncio.run: its clean-up would wait for tasks and threads of user code.
    loop = asyncio.new_event_loop()
    code = loop.run_until_complete(serve(args.app, socket.socket(fileno=args.fd)))
    sys.stdout.flush()
    sys.stderr.flush()
    # Threads running user code (a sync activity mid-way) must not keep a worker alive whose
    # host is gone: leave without waiting for them, as a killed worker would.
    os._exit(code)
