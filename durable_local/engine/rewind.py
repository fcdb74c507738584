"""Rewind of a Failed instance, as the Azure Storage provider does it. Pure: histories in, a plan out.

DTFx ``AzureTableTrackingStore.RewindHistoryAsync`` (still the provider's algorithm in 2026;
confirmed in azure-functions-durable-extension PR #3504) turns the failure into tombstones and
lets a replay do the rest:

* every TaskFailed of the current execution, with its TaskScheduled, and the failed
  ExecutionCompleted become ``GenericEvent`` rows (same position, same timestamp);
* a SubOrchestrationInstanceFailed becomes a tombstone too, but its SubOrchestrationInstanceCreated
  stays: the child instance is rewound in turn and reports to the parent when it completes;
* every rewound instance goes back to Pending (its old output stays until it finishes again), and
  the deepest failed instances get a GenericEvent message, whose episode replays the history: the
  failed work has no TaskScheduled any more, so it is scheduled again under its own id and runs
  again; work that completed keeps its result and does not run again.

Retry chains (``call_*_with_retry``) are the host's work here, not DTFx's: of a chain whose
attempts all failed, only the last attempt and the zero-delay timer after it become tombstones,
and that attempt runs again under its id (the earlier attempts and timers stay, so the SDK's
numbering of the chain is unchanged). A failure the orchestrator caught and went on from stays
as it is: nothing after it is rescheduled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ..protocol import EventType, HistoryEvent, RuntimeStatus
from ..records import InstanceRecord, InstanceRewind, OutboundMessage, RewindPlan
from . import history as h
from .state import ExecutionState, OpenTask, TaskKind

_FAILED = 3  # DTFx OrchestrationStatus.Failed in ExecutionCompleted


def plan_rewind(
    instance_id: str,
    reason: str | None,
    now: datetime,
    load: Callable[[str], tuple[InstanceRecord, list[HistoryEvent]] | None],
) -> RewindPlan:
    """The rewind of ``instance_id`` and, recursively, of its failed sub-orchestrations.

    ``load`` returns an instance's record and current history (or None if it is gone).
    """
    rewinds: list[InstanceRewind] = []
    _rewind(instance_id, reason, now, load, rewinds)
    return RewindPlan(now, RuntimeStatus.PENDING, tuple(rewinds))


def _rewind(
    instance_id: str,
    reason: str | None,
    now: datetime,
    load: Callable[[str], tuple[InstanceRecord, list[HistoryEvent]] | None],
    rewinds: list[InstanceRewind],
) -> None:
    loaded = load(instance_id)
    if loaded is None:
        return
    record, history = loaded
    state = ExecutionState.from_json(record.exec_state)
    leaves = {leaf.id: i for i, leaf in enumerate(state.leaves)}
    new_leaves = list(state.leaves)
    new_chains = list(state.chains)
    opened = dict(state.open)
    next_id = state.next_id
    scheduled_at = {e["EventId"]: i for i, e in enumerate(history) if e["EventType"] == EventType.TASK_SCHEDULED}
    created = {e["EventId"]: e for e in history if e["EventType"] == EventType.SUB_ORCHESTRATION_CREATED}
    timers = {e["EventId"]: i for i, e in enumerate(history) if e["EventType"] == EventType.TIMER_CREATED}
    fired = {e.get("TimerId"): i for i, e in enumerate(history) if e["EventType"] == EventType.TIMER_FIRED}
    last_attempts = {chain.last_attempt_id: n for n, chain in enumerate(state.chains) if chain.final_timer_id is not None}
    tombstoned: set[int] = set()
    children: list[str] = []

    for position, event in enumerate(history):
        etype = event["EventType"]
        if etype == EventType.EXECUTION_COMPLETED and event.get("OrchestrationStatus") == _FAILED:
            tombstoned.add(position)
        elif etype in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
            task_id = int(event["TaskScheduledId"])
            is_child = etype == EventType.SUB_ORCHESTRATION_FAILED
            if task_id in last_attempts:
                index = last_attempts[task_id]
                chain = new_chains[index]
                final = chain.final_timer_id
                if final is None or final != next_id - 1:
                    continue  # caught, and the orchestration went on: not what failed it
                tombstoned.update(p for p in (timers.get(final), fired.get(final)) if p is not None)
                next_id = final  # a new failure of the revived attempt gets the same final timer id
                new_chains[index] = replace(chain, rewound=not is_child, final_timer_id=None)
                chain_index: int | None = index
            elif task_id in leaves and state.leaves[leaves[task_id]].kind in _REVIVABLE and not state.leaves[leaves[task_id]].retried:
                leaf = state.leaves[leaves[task_id]]
                if not is_child:
                    new_leaves[leaves[task_id]] = replace(leaf, rewound=True)
                chain_index = None
            else:
                continue  # an earlier attempt of a chain that went on to retry
            tombstoned.add(position)
            if is_child:
                child = created.get(task_id)
                if child is not None:
                    opened[task_id] = OpenTask(TaskKind.SUB_ORCHESTRATION, name=child.get("Name"), chain=chain_index)
                    children.append(str(child["InstanceId"]))
            elif task_id in scheduled_at:
                tombstoned.add(scheduled_at[task_id])

    new_state = ExecutionState(next_id, tuple(new_leaves), MappingProxyType(opened), tuple(new_chains), state.generation)
    status = record.status
    messages: tuple[OutboundMessage, ...] = ()
    if not children:  # the deepest failed instance: its GenericEvent starts the replay
        messages = (OutboundMessage(status.instance_id, status.execution_id, h.generic_event(now, reason), now),)
    rewinds.append(
        InstanceRewind(
            instance_id=status.instance_id,
            execution_id=status.execution_id,
            tombstones=tuple((p, _tombstone(history[p])) for p in sorted(tombstoned)),
            exec_state=new_state.to_json(),
            messages=messages,
        )
    )
    for child_id in children:
        _rewind(child_id, reason, now, load, rewinds)


_REVIVABLE = frozenset({TaskKind.ACTIVITY, TaskKind.HTTP, TaskKind.SUB_ORCHESTRATION})


def _tombstone(event: HistoryEvent) -> str:
    """A ``GenericEvent`` in place of ``event``: the same id for a scheduling event, -1 otherwise."""
    tombstone: dict[str, Any] = {
        "EventType": int(EventType.GENERIC_EVENT),
        "EventId": event.get("EventId", -1),
        "IsPlayed": True,
        "Timestamp": event.get("Timestamp"),
        "Data": None,
    }
    return json.dumps(tombstone)
