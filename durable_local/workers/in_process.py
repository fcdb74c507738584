"""Running functions in the process that loaded the app: the test API's default, and each worker's core.

Two uses, one class:

* the host in process (``--workers 0``, the test API): orchestrator episodes and entity batches
  run inline on the host's loop (they are synchronous and short, and a debugger stops in them
  in the test's own process), sync activities in a thread pool of ``maxConcurrentActivityFunctions``
  threads, HTTP and trigger functions through the :class:`~durable_local.services.invocation.Invoker`;
* a worker process (:mod:`.main`): synchronous functions run in the worker's one thread pool
  and async ones on its loop, as the Python worker runs them (worker ``dispatcher``:
  ``run_in_executor(self._sync_call_tp, ...)`` for anything that is not a coroutine function).
  One deviation: an orchestrator episode or entity batch whose request is small (under
  ``inline_limit`` bytes of JSON, a history of some fifty events) runs inline on the worker's
  loop, as it does in process. The SDK's handles are plain functions that replay the history
  and do no I/O (orchestrator code may not, by Durable's rules); the thread hop costs about
  65 µs of CPU per call (measured, docs/benchmarks.md#worker-processes), a tenth of a short
  episode's replay. Longer replays go to the pool, so that they never hold the worker's loop
  for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ..engine.episode import OrchestratorReply
from ..engine.executor import ActivityResult, EntityReply, run_activity, run_entity, run_orchestrator
from ..services.invocation import Invocation, InvocationResult, Invoker
from ..services.loader import Registry
from .calls import ActivityCall, EntityCall, OrchestratorCall, WorkerInfo

T = TypeVar("T")


class InProcessRunner:
    """A :class:`~.calls.FunctionRunner` over the app loaded in this process (see the module docstring).

    ``threads`` sizes the pool for synchronous functions; with ``sync_in_threads`` the
    orchestrator and entity handles run there too when their request is ``inline_limit`` bytes
    or more (inline otherwise).
    """

    def __init__(
        self, registry: Registry, *, threads: int, sync_in_threads: bool = False, inline_limit: int = 16384
    ) -> None:
        self.registry = registry
        self.sync_in_threads = sync_in_threads
        self.inline_limit = inline_limit
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="function")
        # HTTP and trigger functions: the loop's default executor in process (as before workers
        # existed), the worker's one pool in a worker process.
        self._invoker = Invoker(registry, self._pool if sync_in_threads else None)

    @property
    def worker_count(self) -> int:
        return 0

    def workers(self) -> list[WorkerInfo]:
        return []

    async def start(self) -> None:
        """Nothing to start: the app is already loaded."""

    async def stop(self) -> None:
        self._pool.shutdown(wait=True)

    async def _sync(self, fn: Callable[[Callable[[str], str], str], T], handle: Callable[[str], str], text: str) -> T:
        if self.sync_in_threads and len(text) >= self.inline_limit:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, handle, text)
        return fn(handle, text)

    async def orchestrate(self, call: OrchestratorCall) -> OrchestratorReply:
        orchestrator = self.registry.orchestrators.get(call.name)
        if orchestrator is None:
            return OrchestratorReply({}, f"The function '{call.name}' doesn't exist, is disabled, or is not an orchestrator function.")
        return await self._sync(run_orchestrator, orchestrator.handle, call.context_json)

    async def run_entity(self, call: EntityCall) -> EntityReply:
        entity = self.registry.entities.get(call.name)
        if entity is None:
            return EntityReply(None, f"The function '{call.name}' doesn't exist, is disabled, or is not an entity function.")
        return await self._sync(run_entity, entity.handle, call.request_json)

    async def run_activity(self, call: ActivityCall) -> ActivityResult:
        activity = self.registry.activities.get(call.name)
        if activity is None:
            reason = f"The function '{call.name}' doesn't exist, is disabled, or is not an activity function."
            return ActivityResult(reason=reason)
        return await run_activity(activity, call.input_json, pool=self._pool)

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        return await self._invoker.invoke(invocation)
