"""Fixture app for the entity kill -9 tests: an order-sensitive ``Journal`` entity and its caller.

* entity ``Journal``: operation ``append`` adds its input to the end of the list in its state
  and returns the new length; ``get`` returns the list. Each ``append`` first writes
  ``<host pid> <key> <input>`` to the file named by :data:`LOG_ENV` (``O_APPEND`` + fsync, so a
  SIGKILLed host leaves every line it wrote): the test learns which operations ran under which
  host process, committed or not. The host's pid is the parent's in a worker process (the
  Functions host sets ``FUNCTIONS_WORKER_DIRECTORY`` there), this process's own in process. It then works for :data:`DELAY_ENV` seconds of real time
  (app behaviour, a slow entity, so that a burst of signals is still queued when the host is
  killed; the tests themselves never sleep).
* orchestrator ``append_and_read``: ``{"key", "value"}`` -> calls ``append`` then ``get`` on
  ``Journal(key)`` and returns ``{"position": <append's result>, "entries": <get's result>}``.

host.json keeps batches small (``maxEntityOperationBatchSize``: 4) so a burst is committed in
many transactions, some before the kill and some after.
"""

import os
import time

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: Environment variable naming the operation log file (unset: nothing is written).
LOG_ENV = "DURABLE_LOCAL_FAULTS_ENTITY_LOG"
#: Environment variable: seconds each ``append`` takes (unset or 0: no delay).
DELAY_ENV = "DURABLE_LOCAL_FAULTS_ENTITY_DELAY"


def _host_pid() -> int:
    return os.getppid() if "FUNCTIONS_WORKER_DIRECTORY" in os.environ else os.getpid()


def _log(line: str) -> None:
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


# The context parameter must be named "context" (the SDK registers Entity.create(fn).handle).
@app.entity_trigger(context_name="context", entity_name="Journal")
def journal_entity(context: df.DurableEntityContext) -> None:
    entries = context.get_state(list)
    if context.operation_name == "append":
        value = context.get_input()
        _log(f"{_host_pid()} {context.entity_key} {value}")
        delay = float(os.environ.get(DELAY_ENV) or 0)
        if delay:
            time.sleep(delay)
        entries.append(value)
        context.set_state(entries)
        context.set_result(len(entries))
    elif context.operation_name == "get":
        context.set_result(entries)


@app.orchestration_trigger(context_name="context")
def append_and_read(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    journal = df.EntityId("Journal", spec["key"])
    position = yield context.call_entity(journal, "append", spec["value"])
    entries = yield context.call_entity(journal, "get")
    return {"position": position, "entries": entries}
