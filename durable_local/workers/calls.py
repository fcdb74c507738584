"""The work a language worker does for the host, as values that cross a process boundary.

The Functions host sends the Python worker one ``InvocationRequest`` per function call; for
Durable functions the trigger value is the extension's JSON (the orchestration context, the
entity batch request, the activity input) and the answer is JSON text again (protocol notes
1.1, 1.8). So the calls here carry names and JSON text, never function objects: the side that
runs them looks the function up in its own import of the app, as the worker does.

:class:`FunctionRunner` is what the engine and the front-ends need from "the worker": the
in-process :class:`~.in_process.InProcessRunner` and the process pool
:class:`~.pool.WorkerPool` both implement it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ..engine.episode import OrchestratorReply
from ..engine.executor import ActivityResult, EntityReply
from ..services.invocation import Invocation, InvocationResult


@dataclass(frozen=True)
class OrchestratorCall:
    """One orchestrator episode: the orchestrator's registered name and the context JSON."""

    name: str
    context_json: str


@dataclass(frozen=True)
class EntityCall:
    """One entity batch: the entity's (lowercase) name and the batch request JSON."""

    name: str
    request_json: str


@dataclass(frozen=True)
class ActivityCall:
    """One activity invocation: the activity's registered name and its input JSON."""

    name: str
    input_json: str | None


Call = OrchestratorCall | EntityCall | ActivityCall | Invocation


class WorkerState(StrEnum):
    STARTING = "starting"
    READY = "ready"
    EXITED = "exited"


@dataclass(frozen=True)
class WorkerInfo:
    """One worker process as the dashboard shows it."""

    name: str
    pid: int | None
    state: WorkerState
    #: invocations sent to it so far
    invocations: int
    #: invocations running in it now
    running: int
    #: how many times its slot's process was started (1 unless it was restarted)
    starts: int


class FunctionRunner(Protocol):
    """Runs the app's functions: in this process (``worker_count`` 0) or in worker processes.

    Durable calls never raise for the user's failures: a failing orchestrator, entity batch or
    activity is data in the reply. :meth:`invoke` (HTTP and trigger functions) raises the
    function's failure, for the caller to report as the host does.
    """

    @property
    def worker_count(self) -> int:
        """0 in process, else the number of worker processes (``FUNCTIONS_WORKER_PROCESS_COUNT``)."""

    def workers(self) -> list[WorkerInfo]:
        """The worker processes (empty in process)."""

    async def start(self) -> None:
        """Be ready to run functions; raises ``AppLoadError`` when the app cannot be loaded."""

    async def stop(self) -> None:
        """Release threads and processes; calls in flight are the caller's to finish first."""

    async def orchestrate(self, call: OrchestratorCall) -> OrchestratorReply: ...

    async def run_entity(self, call: EntityCall) -> EntityReply: ...

    async def run_activity(self, call: ActivityCall) -> ActivityResult: ...

    async def invoke(self, invocation: Invocation) -> InvocationResult: ...
