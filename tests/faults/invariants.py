"""What every history must look like, however often the host crashed or a store step failed.

:func:`history_problems` lists every violation it finds in one raw (DTFx-shaped) history, so a
failing test shows them all at once:

* episodes do not overlap: OrchestratorStarted and OrchestratorCompleted alternate, starting
  with a start and ending with a completion, one episode per pair;
* one ExecutionStarted, first in the first episode; at most one ExecutionCompleted, in the last;
* each TaskScheduled id once, each completion (TaskCompleted/TaskFailed) once, after its
  scheduling; with ``finished`` every scheduled task has its completion;
* each TimerCreated id once, each TimerFired once and after its TimerCreated (a cancelled timer
  may never fire).
"""

from __future__ import annotations

import collections
import json
from typing import Any

from durable_local.protocol import EventType as E


def scheduled_input(event: dict[str, Any]) -> Any:
    """The activity input of a TaskScheduled event (stored as a one-element array of JSON text)."""
    texts = json.loads(event["Input"])
    return json.loads(texts[0]) if texts and texts[0] is not None else None


def history_problems(history: list[dict[str, Any]], *, finished: bool = True) -> list[str]:
    problems: list[str] = []
    kinds = [e["EventType"] for e in history]
    markers = [k for k in kinds if k in (E.ORCHESTRATOR_STARTED, E.ORCHESTRATOR_COMPLETED)]
    expected = [E.ORCHESTRATOR_STARTED, E.ORCHESTRATOR_COMPLETED] * (len(markers) // 2)
    if markers != expected:
        problems.append(f"OrchestratorStarted/Completed do not alternate in pairs: {markers}")
    if kinds[:2] != [E.ORCHESTRATOR_STARTED, E.EXECUTION_STARTED]:
        problems.append(f"history does not begin with OrchestratorStarted, ExecutionStarted: {kinds[:2]}")
    if kinds.count(E.EXECUTION_STARTED) != 1:
        problems.append(f"{kinds.count(E.EXECUTION_STARTED)} ExecutionStarted events")
    completed = kinds.count(E.EXECUTION_COMPLETED)
    if completed > 1 or (finished and completed != 1):
        problems.append(f"{completed} ExecutionCompleted events")
    if completed and kinds[-2:] != [E.EXECUTION_COMPLETED, E.ORCHESTRATOR_COMPLETED]:
        problems.append(f"ExecutionCompleted is not the last event of the last episode: {kinds[-3:]}")

    scheduled = collections.Counter()
    done = collections.Counter()
    created = collections.Counter()
    fired = collections.Counter()
    for event in history:
        kind = event["EventType"]
        if kind == E.TASK_SCHEDULED:
            scheduled[event["EventId"]] += 1
        elif kind in (E.TASK_COMPLETED, E.TASK_FAILED):
            task = event["TaskScheduledId"]
            if not scheduled[task]:
                problems.append(f"completion of task {task} before (or without) its TaskScheduled")
            done[task] += 1
        elif kind == E.TIMER_CREATED:
            created[event["EventId"]] += 1
        elif kind == E.TIMER_FIRED:
            timer = event["TimerId"]
            if not created[timer]:
                problems.append(f"TimerFired {timer} before (or without) its TimerCreated")
            fired[timer] += 1
    for name, counter in (("TaskScheduled", scheduled), ("completion of task", done), ("TimerCreated", created), ("TimerFired", fired)):
        repeated = {key: count for key, count in counter.items() if count > 1}
        if repeated:
            problems.append(f"{name} repeated: {repeated}")
    if finished:
        missing = sorted(set(scheduled) - set(done))
        if missing:
            problems.append(f"tasks scheduled but never completed: {missing}")
    return problems
