"""Where the app's code runs: in the host's process, or in worker processes as on Azure.

* :mod:`.calls` — the work as values (:class:`OrchestratorCall`, :class:`EntityCall`,
  :class:`ActivityCall`, and :class:`~durable_local.services.invocation.Invocation` for HTTP and
  trigger functions) and the :class:`FunctionRunner` protocol the engine calls;
* :mod:`.in_process` — :class:`InProcessRunner`: the app loaded in this process (the test API's
  default, ``--workers 0``, and the core of every worker process);
* :mod:`.pool` — :class:`WorkerPool`: ``FUNCTIONS_WORKER_PROCESS_COUNT`` processes, round-robin,
  restarts, re-runs after a crash; :mod:`.process` is one of them seen from the host,
  :mod:`.main` the process itself, :mod:`.frames` what crosses the socket between them;
* :mod:`.settings` — the worker count, read as the Functions host reads it.
"""

from .calls import ActivityCall, EntityCall, FunctionRunner, OrchestratorCall, WorkerInfo, WorkerState
from .in_process import InProcessRunner
from .pool import WorkerOptions, WorkerPool
from .settings import MAX_WORKERS, SETTING, check_worker_count, worker_count_from_settings

__all__ = [
    "MAX_WORKERS",
    "SETTING",
    "ActivityCall",
    "EntityCall",
    "FunctionRunner",
    "InProcessRunner",
    "OrchestratorCall",
    "WorkerInfo",
    "WorkerOptions",
    "WorkerPool",
    "WorkerState",
    "check_worker_count",
    "worker_count_from_settings",
]
