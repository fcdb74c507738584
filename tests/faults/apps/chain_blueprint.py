"""Orchestrators and the ``step`` activity shared by the fault-suite fixture apps.

``step`` appends ``<instance> <step> start`` and ``<instance> <step> end`` lines to the file
named by :data:`LOG_ENV` (each line written with ``O_APPEND`` and fsynced, so a SIGKILLed host
leaves every line it wrote), waits ``delay`` seconds of real time in between (an async activity
doing slow I/O: app behaviour, not a test sleep) and returns :func:`step_value` of its input.
In-process tests read :data:`RUNS` instead of the file.

* ``chain``        ``{"seed", "steps", "delay"}`` -> one ``step`` after the other, each fed the
                   previous result; output: the list of results (:func:`expected_chain`).
* ``fan_out``      ``{"count", "delay"}`` -> ``count`` parallel steps; output: their results.
* ``timer_chain``  ``{"seed", "delay"}`` -> a 1-minute timer, a step, another timer, a step.
"""

from __future__ import annotations

import asyncio
import collections
import os
from datetime import timedelta

import azure.durable_functions as df

bp = df.Blueprint()

#: Environment variable naming the activity log file (unset: no file is written).
LOG_ENV = "DURABLE_LOCAL_FAULTS_LOG"
#: ``"<instance> <step>"`` -> how many times ``step`` began in this process.
RUNS: collections.Counter[str] = collections.Counter()


def step_value(value: int, step: int) -> int:
    """What ``step`` returns for ``value``: deterministic, so outputs can be predicted."""
    return (value * 31 + step + 7) % 1_000_003


def expected_chain(seed: int, steps: int) -> list[int]:
    results, value = [], seed
    for number in range(steps):
        value = step_value(value, number)
        results.append(value)
    return results


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


@bp.activity_trigger(input_name="payload")
async def step(payload: dict) -> int:
    marker = f"{payload['instance']} {payload['step']}"
    RUNS[marker] += 1
    _log(f"{marker} start")
    delay = float(payload.get("delay") or 0)
    if delay:
        await asyncio.sleep(delay)
    _log(f"{marker} end")
    return step_value(int(payload["value"]), int(payload["step"]))


def _call_step(context: df.DurableOrchestrationContext, number: int, value: int, delay: float):
    return context.call_activity(
        "step", {"instance": context.instance_id, "step": number, "value": value, "delay": delay}
    )


@bp.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext):
    params = context.get_input()
    value, results = int(params["seed"]), []
    for number in range(int(params["steps"])):
        value = yield _call_step(context, number, value, params.get("delay", 0))
        results.append(value)
    return results


@bp.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    params = context.get_input()
    tasks = [_call_step(context, number, number, params.get("delay", 0)) for number in range(int(params["count"]))]
    return (yield context.task_all(tasks))


@bp.orchestration_trigger(context_name="context")
def timer_chain(context: df.DurableOrchestrationContext):
    params = context.get_input()
    value, results = int(params["seed"]), []
    for number in range(2):
        yield context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
        value = yield _call_step(context, number, value, params.get("delay", 0))
        results.append(value)
    return results
