"""The host's side of one worker process: starting it, calling it, relaying its output, noticing its exit.

Faithful to the Functions host (``RpcWorkerProcess``, ``WorkerProcess``,
``GrpcWorkerChannel``), with the differences a local host needs:

* the process is a new interpreter started in the app root with the host's environment
  (host ``RpcWorkerContext``: ``WorkingDirectory = scriptRootPath``); ``FUNCTIONS_WORKER_DIRECTORY``
  and ``FUNCTIONS_APPLICATION_DIRECTORY`` are set as the host sets them;
* its stdout and stderr are read line by line and logged (host ``WorkerProcess.ParseErrorMessage
  AndLog``: a stderr line is a warning if it mentions "warn", an error if it mentions "error",
  "fail", "severe" or "unhandled exception", else information). Every line is prefixed with
  the worker's name and pid, e.g. ``[worker 2 pid 4711] ...``. ``func start`` prints only a
  time stamp there; naming the worker is the local host's addition, so that two workers'
  output can be told apart;
* when it exits, every call in flight on it fails with :class:`WorkerProcessExited`, whose
  message is the host's (``python exited with code 137 (0x89)``), and the host logs
  ``Language Worker Process exited. Pid=...`` (host ``RpcWorkerProcess.HandleWorkerProcessExitError``,
  ``RpcWorkerChannel.TryFailExecutions``). What happens next is the pool's decision (:mod:`.pool`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine.failures import FunctionFailed, WorkerProcessExited
from . import frames
from .calls import Call, WorkerInfo, WorkerState
from .channel import Channel

logger = logging.getLogger("durable_local.worker")

#: The package directory's parent: the worker imports this very copy of ``durable_local``.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_WORKER_DIRECTORY = str(Path(__file__).resolve().parent)
# The worker's first lines: make this copy of durable_local importable, then take the path entry
# out again so the app cannot import the repository's other top-level modules by accident
# (submodules of durable_local resolve through the package's own __path__ from then on).
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, {root!r}); import durable_local.workers.main as m; "
    "sys.path.remove({root!r}); m.main(sys.argv[1:])"
)
#: How much of a line the relay reads at once (longer lines are split, never fatal).
_LINE_LIMIT = 1 << 20


class WorkerStartError(Exception):
    """The worker could not load the app or did not become ready in time."""


def exit_message(returncode: int | None) -> str:
    """host ``WorkerProcess.OnProcessExited``: ``{FileName} exited with code {code} (0x{code:X})``.

    A signal shows as 128 + the signal number, as .NET reports a signalled child on Linux.
    """
    code = 128 - returncode if returncode is not None and returncode < 0 else (returncode or 0)
    return f"python exited with code {code} (0x{code:X})"


def stderr_level(line: str) -> int:
    """host ``WorkerProcess.ParseErrorMessageAndLog``'s classification of a stderr line."""
    lowered = line.lower()
    if "warn" in lowered:
        return logging.WARNING
    if any(word in lowered for word in ("error", "fail", "severe", "unhandled exception")):
        return logging.ERROR
    return logging.INFO


class WorkerProcess:
    """One worker process of slot ``slot``; :meth:`start`, then :meth:`call` until it exits."""

    def __init__(
        self,
        slot: int,
        app_dir: Path,
        *,
        functions: tuple[str, ...],
        on_exit: Callable[[WorkerProcess], None],
        starts: int = 1,
    ) -> None:
        self.slot = slot
        self.name = f"worker {slot}"
        self.app_dir = app_dir
        self.starts = starts
        self.pid: int | None = None
        self.state = WorkerState.STARTING
        self.invocations = 0
        self.exit_message: str | None = None
        self._functions = functions
        self._on_exit = on_exit
        self._process: asyncio.subprocess.Process | None = None
        self._channel: Channel | None = None
        self._first: asyncio.Future[object] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._relays: list[asyncio.Task[None]] = []
        self._exit_task: asyncio.Task[None] | None = None
        self._stderr_tail: deque[str] = deque(maxlen=20)
        self._stopping = False

    @property
    def label(self) -> str:
        return f"[{self.name} pid {self.pid}]"

    @property
    def ready(self) -> bool:
        return self.state is WorkerState.READY

    def info(self) -> WorkerInfo:
        return WorkerInfo(self.name, self.pid, self.state, self.invocations, len(self._pending), self.starts)

    # -- starting ----------------------------------------------------------------------------
    async def start(self, timeout: float) -> None:
        """Start the process and wait until it has loaded the app; raises :class:`WorkerStartError`."""
        host_end, worker_end = socket.socketpair()
        env = dict(os.environ)
        env.update(
            PYTHONUNBUFFERED="1",
            FUNCTIONS_WORKER_DIRECTORY=_WORKER_DIRECTORY,
            FUNCTIONS_APPLICATION_DIRECTORY=str(self.app_dir),
        )
        command = [
            sys.executable,
            "-c",
            _BOOTSTRAP.format(root=_PACKAGE_ROOT),
            "--app",
            str(self.app_dir),
            "--fd",
            str(worker_end.fileno()),
            "--log-level",
            str(logging.getLogger().getEffectiveLevel()),
            "--azure-log-level",
            str(logging.getLogger("azure").getEffectiveLevel()),
        ]
        try:
            self._process = await asyncio.create_subprocess_exec(
                *command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(worker_end.fileno(),),
                cwd=self.app_dir,
                env=env,
                limit=_LINE_LIMIT,
            )
        except BaseException:
            host_end.close()
            raise
        finally:
            worker_end.close()
        self.pid = self._process.pid
        assert self._process.stdout is not None and self._process.stderr is not None
        self._relays = [
            asyncio.create_task(self._relay(self._process.stdout, stderr=False), name=f"{self.name}-stdout"),
            asyncio.create_task(self._relay(self._process.stderr, stderr=True), name=f"{self.name}-stderr"),
        ]
        self._first = asyncio.get_running_loop().create_future()
        self._channel = await Channel.open(host_end, self._received, self._lost)
        try:
            first = await asyncio.wait_for(asyncio.shield(self._first), timeout)
        except TimeoutError:
            await self.kill()
            raise WorkerStartError(f"{self.name} did not load the app within {timeout:.0f}s") from None
        except WorkerProcessExited:
            await self._wait_exit(5.0)
            await self._drain_relays()
            detail = "\n".join(self._stderr_tail) or "no output"
            raise WorkerStartError(
                f"{self.name} exited while loading the app ({exit_message(self._returncode())}):\n{detail}"
            ) from None
        if isinstance(first, frames.LoadFailed):
            await self._wait_exit(5.0)
            raise WorkerStartError(first.message)
        assert isinstance(first, frames.Ready)
        if first.functions != self._functions:
            await self.kill()
            raise WorkerStartError(
                f"{self.name} indexed other functions than the host: {list(first.functions)} "
                f"instead of {list(self._functions)} (does the app register functions conditionally?)"
            )
        self.state = WorkerState.READY

    # -- the channel -------------------------------------------------------------------------
    def _received(self, message: object) -> None:
        if isinstance(message, frames.Reply):
            future = self._pending.pop(message.id, None)
            if future is None or future.done():
                return
            if message.error is not None:
                future.set_exception(FunctionFailed(message.error))
            else:
                future.set_result(message.value)
        elif isinstance(message, frames.LogLine):
            logging.getLogger(message.logger).log(message.level, "%s %s", self.label, message.text)
        elif isinstance(message, (frames.Ready, frames.LoadFailed)) and self._first and not self._first.done():
            self._first.set_result(message)

    def _lost(self) -> None:
        """The worker's end closed: it exited (or is exiting). Fail what was in flight on it."""
        self.state = WorkerState.EXITED
        if self._first is not None and not self._first.done():
            self._first.set_exception(WorkerProcessExited("exited while loading the app"))
            self._first.exception()  # retrieved here: start() may already have given up on it
        self._exit_task = asyncio.get_running_loop().create_task(self._exited(), name=f"{self.name}-exit")

    async def _exited(self) -> None:
        await self._wait_exit(5.0)
        self.exit_message = exit_message(self._returncode())
        failure = WorkerProcessExited(self.exit_message)
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(failure)
        if not self._stopping and self._first is not None and self._first.done() and not self._first.exception():
            await self._drain_relays(timeout=1.0)  # its last words (a traceback) before the exit lines
            self._on_exit(self)

    # -- calling -----------------------------------------------------------------------------
    async def call(self, call: Call) -> Any:
        """Run ``call`` in this worker; raises the function's :class:`FunctionFailed` or :class:`WorkerProcessExited`."""
        channel = self._channel
        if not self.ready or channel is None or not channel.is_open:
            raise WorkerProcessExited(self.exit_message or f"{self.name} is not ready")
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        channel.send(frames.Request(request_id, call))
        self._pending[request_id] = future
        self.invocations += 1
        return await future

    # -- output ------------------------------------------------------------------------------
    async def _relay(self, stream: asyncio.StreamReader, *, stderr: bool) -> None:
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line longer than the limit: take what is there
                raw = await stream.read(_LINE_LIMIT)
            if not raw:
                return
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            level = stderr_level(line) if stderr else logging.INFO
            if stderr:
                self._stderr_tail.append(line)
            logger.log(level, "%s %s", self.label, line)

    async def _drain_relays(self, timeout: float = 2.0) -> None:
        """Let the output relays reach the end of the pipes (a grandchild holding them open must not hold us)."""
        if not self._relays:
            return
        _, unfinished = await asyncio.wait(self._relays, timeout=timeout)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*self._relays, return_exceptions=True)

    # -- stopping ----------------------------------------------------------------------------
    def _returncode(self) -> int | None:
        return self._process.returncode if self._process is not None else None

    async def _wait_exit(self, timeout: float) -> None:
        if self._process is None:
            return
        try:
            await asyncio.wait_for(self._process.wait(), timeout)
        except TimeoutError:
            await self.kill()

    async def kill(self) -> None:
        """Kill the process now (SIGKILL) and wait for it."""
        if self._process is not None and self._process.returncode is None:
            try:
                self._process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
            await self._process.wait()

    async def stop(self, timeout: float) -> None:
        """Close the channel (the worker exits at once); kill it after ``timeout`` seconds."""
        self._stopping = True
        if self._channel is not None:
            self._channel.close()
            await self._wait_exit(timeout)
        else:  # stopped while starting: it has no channel to be told by
            await self.kill()
        if self._exit_task is not None:
            await self._exit_task
        await self._drain_relays()
        self.state = WorkerState.EXITED
