"""DTFx's non-determinism failures, worded as DTFx words them.

When a replay produces actions that contradict the recorded history, DTFx fails the instance
with a ``NonDeterministicOrchestrationException`` whose message names the recorded and the
replayed call (``dtfx: TaskOrchestrationContext.HandleTaskScheduledEvent`` and siblings). Users
learn from it that they changed an orchestrator under running instances, so the wording matters.
"""

from __future__ import annotations

from typing import Any

from ..protocol import ActionType
from .state import RecordedLeaf, TaskKind


class NonDeterminismError(Exception):
    """A replay produced actions that contradict the recorded history."""


_NDE = "Non-Deterministic workflow detected: "
_CHANGED = " Was a change made to the orchestrator code after this instance had already started running?"
_ACTION_CLASS = {
    TaskKind.ACTIVITY: "ScheduleTaskOrchestratorAction",
    TaskKind.TIMER: "CreateTimerOrchestratorAction",
    TaskKind.SUB_ORCHESTRATION: "CreateSubOrchestrationAction",
    TaskKind.ENTITY: "SendEventOrchestratorAction",
    TaskKind.HTTP: "ScheduleTaskOrchestratorAction",
}


def missing(recorded: RecordedLeaf) -> NonDeterminismError:
    """The replay stopped before a leaf that a previous episode scheduled."""
    name = f" and name '{recorded.name}' (version '')" if recorded.name else ""
    return NonDeterminismError(
        f"{_NDE}A previous execution of this orchestration scheduled {recorded.kind.description} with sequence ID "
        f"{recorded.id}{name}, but the current replay execution hasn't (yet?) scheduled this task.{_CHANGED}"
    )


def kind_mismatch(recorded: RecordedLeaf, action_kind: TaskKind | None, action: dict[str, Any]) -> NonDeterminismError:
    """The replay scheduled another kind of task at a recorded position."""
    actual = _ACTION_CLASS[action_kind] if action_kind is not None else ActionType(action["actionType"]).name
    named = f" named '{recorded.name}'" if recorded.name else ""
    return NonDeterminismError(
        f"{_NDE}A previous execution of this orchestration scheduled {recorded.kind.description} with sequence "
        f"number {recorded.id}{named}, but the current orchestration replay instead produced a {actual} action "
        f"with this sequence number.{_CHANGED}"
    )


def name_mismatch(recorded: RecordedLeaf, action: dict[str, Any]) -> NonDeterminismError:
    """The replay scheduled the same kind of task under another name."""
    what = recorded.kind.description
    return NonDeterminismError(
        f"{_NDE}A previous execution of this orchestration scheduled {what} with sequence number {recorded.id} "
        f"named '{recorded.name}', but the current orchestration replay instead scheduled {what} named "
        f"'{action.get('functionName')}' with this sequence number.{_CHANGED}"
    )
