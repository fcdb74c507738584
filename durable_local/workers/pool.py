"""N worker processes behind one :class:`~.calls.FunctionRunner`: round-robin, restarts, re-runs.

As the Functions host runs a Python app with ``FUNCTIONS_WORKER_PROCESS_COUNT`` = N:

* **Start-up**: N processes each import the app (so module globals are per process). The host
  starts them one after another 10 s apart (``ProcessStartupInterval``) and sends everything to
  the first until the next is ready; the local host starts them together and waits for all,
  so that a test sees N workers from its first call. A worker that cannot load the app stops
  start-up with its error (the host would log it and serve nothing).
* **Dispatch**: every invocation goes to the next ready worker in turn, whatever its kind or
  instance (host ``RpcFunctionInvocationDispatcherLoadBalancer``:
  ``Interlocked.Increment(ref _counter) % workers``), so an orchestration's episodes land on
  any worker; the SDK rebuilds its state from the history every time, as on Azure.
* **A worker exits**: its in-flight calls fail with the host's ``WorkerProcessExitException``
  message and a replacement starts at once (the host waits ``ProcessRestartInterval``, 10 s;
  restarts of a worker that cannot load the app back off up to that).

What happens to the calls a dead worker was running differs from Azure on purpose. The Python
path of the extension (the out-of-proc shim, ext 2.x ``TaskActivityShim``/``TaskOrchestrationShim``)
turns such a failure into a failed activity or a failed orchestration; the maintainers call
that a bug ("system failures should never cause orchestrations to fail", extension issue #2788)
and the .NET-isolated path retries it (ext ``OutOfProcMiddleware``, PR #2922). The local host
follows the intended behaviour: an orchestrator episode, entity batch or activity whose worker
died is run again on a live worker, up to ``crash_attempts`` runs in all, and only then is the
exit reported as that function's failure (a function that kills its own worker every time must
end somewhere). HTTP and trigger invocations are not re-run, as the host does not re-run them:
the HTTP caller gets a 500, a queue message is retried by the queue's own rules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..engine.dispatch.policy import BackoffPolicy
from ..engine.episode import OrchestratorReply
from ..engine.executor import ActivityResult, EntityReply
from ..engine.failures import FunctionFailed, WorkerError, WorkerProcessExited, activity_failure_fields
from ..errors import AppLoadError
from ..services.invocation import Invocation, InvocationResult
from ..services.loader import Registry
from .calls import ActivityCall, Call, EntityCall, OrchestratorCall, WorkerInfo
from .process import WorkerProcess, WorkerStartError

logger = logging.getLogger("durable_local.worker")

T = TypeVar("T")


@dataclass(frozen=True)
class WorkerOptions:
    """Timings and limits of the worker processes (host ``WorkerProcessCountOptions`` where it has one)."""

    #: ``ProcessStartupTimeout``: from launch to a loaded app
    start_timeout_s: float = 60.0
    #: ``ProcessShutdownTimeout``
    shutdown_timeout_s: float = 10.0
    #: runs of one orchestrator episode, entity batch or activity while its workers keep exiting
    crash_attempts: int = 3
    #: delays between attempts to restart a worker that fails to load the app (capped at the
    #: host's ``ProcessRestartInterval``, 10 s)
    restart_backoff: BackoffPolicy = field(default_factory=lambda: BackoffPolicy(initial_s=0.1, factor=2.0, max_s=10.0))


class WorkerPool:
    """See the module docstring. ``registry`` is the host's own index of the app, for the cross-check."""

    def __init__(self, registry: Registry, count: int, options: WorkerOptions | None = None) -> None:
        if count < 1:
            raise ValueError("a worker pool has at least one process")
        self.app_dir = registry.app_dir
        self.options = options or WorkerOptions()
        self._count = count
        self._functions = tuple(sorted(registry.function_names()))
        self._slots: list[WorkerProcess] = []
        self._counter = 0
        self._changed = asyncio.Event()
        self._closing = False
        self._restarts: set[asyncio.Task[None]] = set()

    @property
    def worker_count(self) -> int:
        return self._count

    def workers(self) -> list[WorkerInfo]:
        return [worker.info() for worker in self._slots]

    # -- lifecycle ---------------------------------------------------------------------------
    def _new(self, slot: int, starts: int = 1) -> WorkerProcess:
        return WorkerProcess(slot, self.app_dir, functions=self._functions, on_exit=self._exited, starts=starts)

    async def start(self) -> None:
        """Start every worker; raises ``AppLoadError`` (after stopping the others) if one cannot load the app."""
        self._slots = [self._new(slot) for slot in range(1, self._count + 1)]
        outcomes = await asyncio.gather(
            *(worker.start(self.options.start_timeout_s) for worker in self._slots), return_exceptions=True
        )
        failures = [(w, o) for w, o in zip(self._slots, outcomes, strict=True) if isinstance(o, BaseException)]
        if failures:
            await self.stop()
            worker, error = failures[0]
            if not isinstance(error, WorkerStartError):
                raise error
            raise AppLoadError(f"The app failed to load in {worker.name}: {error}")
        for worker in self._slots:
            # host SetFunctionDispatcherStateToInitializedAndLog ("Do not change this log message").
            logger.info("%s Worker process started and initialized.", worker.label)
        self._notify()

    async def stop(self) -> None:
        """Stop every worker (calls still in flight fail); restarts in progress are abandoned."""
        self._closing = True
        self._notify()
        for task in list(self._restarts):
            task.cancel()
        await asyncio.gather(*self._restarts, return_exceptions=True)
        await asyncio.gather(*(w.stop(self.options.shutdown_timeout_s) for w in self._slots), return_exceptions=True)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _exited(self, worker: WorkerProcess) -> None:
        """A worker's process is gone: log as the host does and start its replacement."""
        # host RpcWorkerProcess.HandleWorkerProcessExitError, then the WorkerProcessExitException.
        logger.error("%s Language Worker Process exited. Pid=%s.", worker.label, worker.pid)
        logger.error("%s %s", worker.label, worker.exit_message)
        self._notify()
        if self._closing:
            return
        task = asyncio.get_running_loop().create_task(self._restart(worker), name=f"restart-{worker.name}")
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, dead: WorkerProcess) -> None:
        attempt = 0
        while not self._closing:
            worker = self._new(dead.slot, dead.starts + 1 + attempt)
            self._slots[dead.slot - 1] = worker
            try:
                await worker.start(self.options.start_timeout_s)
            except (WorkerStartError, OSError) as err:
                delay = self.options.restart_backoff.delay(attempt)
                attempt += 1
                logger.error("%s could not be restarted: %s; trying again in %.1fs", worker.label, err, delay)
                await asyncio.sleep(delay)
                continue
            logger.info("%s Worker process started and initialized.", worker.label)
            self._notify()
            return

    # -- dispatch ----------------------------------------------------------------------------
    async def _next_worker(self) -> WorkerProcess:
        """The next ready worker in turn; waits while none is ready (all restarting)."""
        while True:
            if self._closing:
                raise WorkerProcessExited("the worker processes are stopping")
            ready = [worker for worker in self._slots if worker.ready]
            if ready:
                self._counter += 1
                return ready[0] if len(ready) == 1 else ready[self._counter % len(ready)]
            await self._changed.wait()

    async def _call(self, call: Call, attempts: int) -> Any:
        attempt = 1
        while True:
            worker = await self._next_worker()
            try:
                return await worker.call(call)
            except WorkerProcessExited as err:
                if attempt >= attempts or self._closing:
                    raise
                logger.warning(
                    "%s exited while running %s (%s); running it again on a live worker (run %d of at most %d)",
                    worker.label,
                    _describe(call),
                    err,
                    attempt + 1,
                    attempts,
                )
                attempt += 1

    async def _durable(self, call: Call, on_failure: Callable[[str], T]) -> T:
        """Run a durable call with re-runs; an exit or a worker-side fault becomes ``on_failure(text)``."""
        try:
            result: T = await self._call(call, self.options.crash_attempts)
        except (WorkerProcessExited, FunctionFailed) as err:
            return on_failure(str(err))
        return result

    async def orchestrate(self, call: OrchestratorCall) -> OrchestratorReply:
        return await self._durable(
            call, lambda why: OrchestratorReply({}, f"Orchestrator function '{call.name}' failed: {why}")
        )

    async def run_entity(self, call: EntityCall) -> EntityReply:
        return await self._durable(call, lambda why: EntityReply(None, why))

    async def run_activity(self, call: ActivityCall) -> ActivityResult:
        def failed(why: str) -> ActivityResult:
            error = WorkerError(why, "")
            reason, details = activity_failure_fields(call.name, error)
            return ActivityResult(reason=reason, details=details, error=error)

        return await self._durable(call, failed)

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        result: InvocationResult = await self._call(invocation, attempts=1)
        return result

    async def wait_ready(self) -> None:
        """Return once every slot has a ready worker again (after restarts), or the pool is closing."""
        while not (self._closing or all(worker.ready for worker in self._slots)):
            await self._changed.wait()


def _describe(call: Call) -> str:
    if isinstance(call, OrchestratorCall):
        return f"an episode of orchestrator '{call.name}'"
    if isinstance(call, EntityCall):
        return f"a batch of entity '{call.name}'"
    if isinstance(call, ActivityCall):
        return f"activity '{call.name}'"
    return f"function '{call.function_name}'"
