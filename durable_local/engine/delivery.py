"""Which queued messages an episode consumes, and in what order. Pure.

The rules are DTFx's dispatcher's: completions for another execution or for a task that is
not open are dropped (so nothing is applied twice); while an instance is suspended everything
but resume and terminate is held back (``TaskOrchestrationDispatcher.HandleEventWhileSuspended``);
a terminal instance consumes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol import COMPLETION_EVENT_TYPES, EventType, HistoryEvent, RuntimeStatus, event_type
from ..records import Message
from .state import ExecutionState


@dataclass(frozen=True)
class Delivery:
    """The messages an episode accepts, already filtered and ordered.

    ``events`` are the accepted events in the order the SDK must see them; ``consumed`` the ids
    of the messages they came from; ``held`` stay queued (suspended); ``dropped`` are deleted
    with the reason logged. ``status`` is the instance's status after suspend/resume.
    """

    events: tuple[HistoryEvent, ...]
    consumed: tuple[int, ...]
    held: tuple[int, ...]
    dropped: tuple[tuple[int, str], ...]
    status: RuntimeStatus

    @property
    def removed(self) -> tuple[int, ...]:
        """Every message id the episode deletes: consumed and dropped."""
        return self.consumed + tuple(message_id for message_id, _ in self.dropped)

    @property
    def terminated(self) -> HistoryEvent | None:
        return next((e for e in self.events if e["EventType"] == EventType.EXECUTION_TERMINATED), None)

    @property
    def control_only(self) -> bool:
        """True when every accepted event is a suspend or resume: nothing for the SDK to replay."""
        return all(e["EventType"] in _CONTROL_TYPES for e in self.events)


_CONTROL_TYPES = frozenset({EventType.EXECUTION_SUSPENDED, EventType.EXECUTION_RESUMED})


def deliver(state: ExecutionState, status: RuntimeStatus, execution_id: str, messages: list[Message]) -> Delivery:
    """Decide which of ``messages`` this episode consumes (see the module docstring).

    Retry-relevant completions go first so that the host and the SDK consume sequence ids in
    the same order (protocol notes, section 8).
    """
    accepted: list[tuple[int, HistoryEvent]] = []
    held: list[int] = []
    dropped: list[tuple[int, str]] = []
    suspended = status is RuntimeStatus.SUSPENDED
    seen: set[tuple[int, int]] = set()
    for message in messages:
        event = message.event
        etype = event_type(event["EventType"])
        if status.is_terminal:
            dropped.append((message.id, f"instance is {status}"))
            continue
        if message.execution_id is not None and message.execution_id != execution_id:
            dropped.append((message.id, "addressed to a previous execution"))
            continue
        if etype is EventType.EXECUTION_TERMINATED:
            accepted.append((message.id, event))
            continue
        if suspended and etype is not EventType.EXECUTION_RESUMED:
            held.append(message.id)
            continue
        if etype is EventType.EXECUTION_SUSPENDED:
            suspended = True
        elif etype is EventType.EXECUTION_RESUMED:
            if not suspended:
                dropped.append((message.id, "resume of an instance that is not suspended"))
                continue
            suspended = False
        elif etype in COMPLETION_EVENT_TYPES or etype is EventType.TIMER_FIRED:
            task_id = int(event.get("TaskScheduledId", event.get("TimerId", -1)))
            key = (int(etype), task_id)
            if state.open_task(task_id) is None or key in seen:
                dropped.append((message.id, f"duplicate or stale completion of task {task_id}"))
                continue
            seen.add(key)
        accepted.append((message.id, event))
    ordered = sorted(accepted, key=lambda pair: 0 if consumes_retry_id(state, pair[1]) else 1)
    if suspended:
        final_status = RuntimeStatus.SUSPENDED
    elif status is RuntimeStatus.SUSPENDED:
        final_status = RuntimeStatus.RUNNING
    else:
        final_status = status
    return Delivery(
        events=tuple(event for _, event in ordered),
        consumed=tuple(message_id for message_id, _ in accepted),
        held=tuple(held),
        dropped=tuple(dropped),
        status=final_status,
    )


def consumes_retry_id(state: ExecutionState, event: HistoryEvent) -> bool:
    """True for a completion that makes the host schedule retry work (a failed attempt, a retry timer)."""
    etype = event["EventType"]
    if etype in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
        task = state.open_task(int(event["TaskScheduledId"]))
        return task is not None and task.chain is not None
    if etype == EventType.TIMER_FIRED:
        task = state.open_task(int(event["TimerId"]))
        return task is not None and task.retry_timer and not task.final
    return False
