"""Wire vocabulary shared with the Durable extension and the Python SDK.

The numeric values are the extension's (``DurableTask.Core.History.EventType`` and
``OutOfProcOrchestrationShim.AsyncActionType``); the SDK mirrors them in
``azure.durable_functions.models.history.HistoryEventType`` and ``models.actions.ActionType``.
Changing any value breaks replay, which is why they are spelled out rather than imported.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any, TypedDict

#: The Durable extension version whose behaviour and log lines the local host follows.
EXTENSION_VERSION = "2.13.7"
#: The activity name the extension schedules ``call_http`` under (``HttpOptions.HttpTaskActivityReservedName``).
HTTP_ACTIVITY = "BuiltIn::HttpActivity"


class EventType(IntEnum):
    """History event types, ``dtfx: History/EventType.cs``."""

    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    GENERIC_EVENT = 17
    HISTORY_STATE = 18
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


#: Events that complete a scheduled activity or sub-orchestration (matched by ``TaskScheduledId``).
COMPLETION_EVENT_TYPES = frozenset(
    {
        EventType.TASK_COMPLETED,
        EventType.TASK_FAILED,
        EventType.SUB_ORCHESTRATION_COMPLETED,
        EventType.SUB_ORCHESTRATION_FAILED,
    }
)
#: Events a suspended instance still takes (DTFx holds everything else until it resumes).
WAKES_SUSPENDED_TYPES = frozenset({EventType.EXECUTION_RESUMED, EventType.EXECUTION_TERMINATED})


class ActionType(IntEnum):
    """Actions an orchestrator episode returns, ``ext: OutOfProcOrchestrationShim.AsyncActionType``."""

    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    SCHEDULED_SIGNAL_ENTITY = 10
    WHEN_ANY = 11
    WHEN_ALL = 12


_EVENT_TYPES = {member.value: member for member in EventType}
_ACTION_TYPES = {member.value: member for member in ActionType}


def event_type(value: Any) -> EventType:
    """``EventType(value)`` (the same member, the same ValueError), by one dict lookup."""
    try:
        return _EVENT_TYPES[value]
    except (KeyError, TypeError):
        return EventType(value)


def action_type(value: Any) -> ActionType:
    """``ActionType(value)`` (the same member, the same ValueError), by one dict lookup."""
    try:
        return _ACTION_TYPES[value]
    except (KeyError, TypeError):
        return ActionType(value)


class RuntimeStatus(StrEnum):
    """``OrchestrationRuntimeStatus`` names exactly as the HTTP API spells them."""

    RUNNING = "Running"
    COMPLETED = "Completed"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    FAILED = "Failed"
    CANCELED = "Canceled"
    TERMINATED = "Terminated"
    PENDING = "Pending"
    SUSPENDED = "Suspended"

    @property
    def is_terminal(self) -> bool:
        """True for states no event can leave (the extension answers 410 Gone to them)."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED, RuntimeStatus.CANCELED}
)


class HistoryEvent(TypedDict, total=False):
    """One DTFx history event as Newtonsoft serializes it: PascalCase, nulls kept."""

    EventType: int
    EventId: int
    IsPlayed: bool
    Timestamp: str
    Name: str
    Version: str | None
    Input: str | None
    Result: str | None
    TaskScheduledId: int
    TimerId: int
    FireAt: str
    Reason: str | None
    Details: str | None
    InstanceId: str
    OrchestrationInstance: dict[str, str]
    ParentInstance: dict[str, Any] | None
    OrchestrationStatus: int


class OrchestratorState(TypedDict, total=False):
    """What ``Orchestrator.handle`` returns (``SDK: models/OrchestratorState.py``)."""

    isDone: bool
    schemaVersion: int
    actions: list[list[dict[str, Any]]]
    output: Any
    error: str
    customStatus: Any
