"""History events in the exact shape the Durable extension sends them to the SDK.

DTFx ``HistoryEvent`` subclasses are ``[DataContract]`` types serialized by Newtonsoft:
PascalCase names, enums as integers, nulls included, DateTime as ISO-8601 UTC with seven
fractional digits (protocol notes 1.3). Every event carries ``EventType``, ``EventId``,
``IsPlayed`` and ``Timestamp`` — the SDK's ``HistoryEvent.__init__`` requires all four.
Scheduling events carry the action's sequence id as ``EventId``; all others carry -1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from dateutil import parser as _dateparser

from ..jsontext import dumps
from ..protocol import EventType, HistoryEvent, RuntimeStatus


def format_timestamp(moment: datetime) -> str:
    """``2025-01-01T12:00:00.1234560Z``: .NET's round-trip format with 7 fractional digits."""
    if moment.tzinfo is UTC:
        return _format_utc(moment)
    return _format(moment.astimezone(UTC))


def _format(moment: datetime) -> str:
    if moment.year < 1000:  # isoformat pads the year to 4 digits, strftime's %Y does not
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"
    return moment.isoformat(timespec="microseconds")[:26] + "0Z"


# An episode stamps its OrchestratorStarted, every action it schedules and its
# OrchestratorCompleted with the same moment (the host clock's, in UTC), so most calls repeat
# an earlier one. Only UTC moments are cached: equal UTC datetimes are the same instant.
_format_utc = lru_cache(maxsize=256)(_format)


def parse_timestamp(text: str) -> datetime:
    """Parse any ISO-8601 timestamp (the SDK's ``fireAt`` lacks a 7th digit); naive means UTC."""
    moment = _dateparser.isoparse(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def played_text(event: HistoryEvent) -> str:
    """An event as stored: JSON text with ``IsPlayed`` true, ready to splice into later contexts."""
    return dumps({**event, "IsPlayed": True})


def _event(event_type: EventType, at: datetime, event_id: int = -1, **fields: Any) -> HistoryEvent:
    event: dict[str, Any] = {
        "EventType": int(event_type),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": format_timestamp(at),
    }
    event.update(fields)
    return event  # type: ignore[return-value]  # a TypedDict cannot be built from **fields


def orchestrator_started(at: datetime) -> HistoryEvent:
    return _event(EventType.ORCHESTRATOR_STARTED, at)


def orchestrator_completed(at: datetime) -> HistoryEvent:
    return _event(EventType.ORCHESTRATOR_COMPLETED, at)


def execution_started(
    at: datetime,
    *,
    name: str,
    instance_id: str,
    execution_id: str,
    input_json: str | None,
    parent: dict[str, Any] | None = None,
    generation: int = 0,
) -> HistoryEvent:
    """``ExecutionStartedEvent``; ``Version`` must be present (the SDK reads it unconditionally)."""
    return _event(
        EventType.EXECUTION_STARTED,
        at,
        Name=name,
        Version="",
        Input=input_json,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=parent,
        Tags=None,
        Correlation=None,
        ScheduledStartTime=None,
        Generation=generation,
    )


def parent_instance(instance_id: str, execution_id: str, task_id: int) -> dict[str, Any]:
    """``ExecutionStartedEvent.ParentInstance`` of a sub-orchestration (DTFx ``ParentInstance``)."""
    return {
        "Name": None,
        "OrchestrationInstance": {"InstanceId": instance_id, "ExecutionId": execution_id},
        "TaskScheduleId": task_id,
        "Version": None,
    }


def execution_completed(
    at: datetime, status: RuntimeStatus, result: str | None, failure: dict[str, Any] | None = None
) -> HistoryEvent:
    """``ExecutionCompletedEvent``; ``OrchestrationStatus`` is DTFx's integer for ``status``."""
    return _event(
        EventType.EXECUTION_COMPLETED,
        at,
        OrchestrationStatus=ORCHESTRATION_STATUS[status],
        Result=result,
        FailureDetails=failure,
    )


def execution_terminated(at: datetime, reason: str | None) -> HistoryEvent:
    return _event(EventType.EXECUTION_TERMINATED, at, Input=reason)


def execution_suspended(at: datetime, reason: str | None) -> HistoryEvent:
    return _event(EventType.EXECUTION_SUSPENDED, at, Reason=reason)


def execution_resumed(at: datetime, reason: str | None) -> HistoryEvent:
    return _event(EventType.EXECUTION_RESUMED, at, Reason=reason)


def task_scheduled(at: datetime, task_id: int, name: str, input_json: str | None, *, as_object: bool = False) -> HistoryEvent:
    # The shim passes the SDK's JSON text to ScheduleTask(name, version, params object[]), so
    # DTFx stores a one-element array holding that text as a string (protocol notes 1.3; the
    # reference's worked example shows the bare text instead). The SDK never reads this field.
    # ``as_object``: the input is an object the extension passes itself (the DurableHttpRequest
    # of call_http), stored as the array's one JSON object.
    stored = [json.loads(input_json)] if as_object and input_json is not None else [input_json]
    return _event(
        EventType.TASK_SCHEDULED,
        at,
        task_id,
        Name=name,
        Version="",
        Input=dumps(stored),
        ParentTraceContext=None,
        Tags=None,
    )


def task_completed(at: datetime, task_id: int, result: str | None) -> HistoryEvent:
    return _event(EventType.TASK_COMPLETED, at, TaskScheduledId=task_id, Result=result)


def task_failed(at: datetime, task_id: int, reason: str, details: str | None) -> HistoryEvent:
    return _event(EventType.TASK_FAILED, at, TaskScheduledId=task_id, Reason=reason, Details=details, FailureDetails=None)


def sub_orchestration_created(at: datetime, task_id: int, name: str, instance_id: str, input_json: str | None) -> HistoryEvent:
    return _event(
        EventType.SUB_ORCHESTRATION_CREATED,
        at,
        task_id,
        Name=name,
        Version="",
        InstanceId=instance_id,
        Input=input_json,
        ClientSpanId=None,
        Tags=None,
    )


def sub_orchestration_completed(at: datetime, task_id: int, result: str | None) -> HistoryEvent:
    return _event(EventType.SUB_ORCHESTRATION_COMPLETED, at, TaskScheduledId=task_id, Result=result)


def sub_orchestration_failed(at: datetime, task_id: int, reason: str, details: str | None) -> HistoryEvent:
    return _event(
        EventType.SUB_ORCHESTRATION_FAILED, at, TaskScheduledId=task_id, Reason=reason, Details=details, FailureDetails=None
    )


def timer_created(at: datetime, timer_id: int, fire_at: datetime) -> HistoryEvent:
    return _event(EventType.TIMER_CREATED, at, timer_id, FireAt=format_timestamp(fire_at))


def timer_fired(at: datetime, timer_id: int, fire_at: datetime) -> HistoryEvent:
    return _event(EventType.TIMER_FIRED, at, TimerId=timer_id, FireAt=format_timestamp(fire_at))


def generic_event(at: datetime, data: str | None) -> HistoryEvent:
    """``GenericEvent``: what a rewind queues to make the rewound instance replay (DTFx ``Data``)."""
    return _event(EventType.GENERIC_EVENT, at, Data=data)


def event_sent(at: datetime, event_id: int, instance_id: str, name: str, input_json: str | None) -> HistoryEvent:
    """``EventSentEvent`` (DTFx ``ProcessSendEventDecision``): a message sent to another instance."""
    return _event(EventType.EVENT_SENT, at, event_id, InstanceId=instance_id, Name=name, Input=input_json)


def event_raised(at: datetime, name: str, input_json: str | None) -> HistoryEvent:
    return _event(EventType.EVENT_RAISED, at, Name=name, Input=input_json, ParentTraceContext=None)


#: DTFx ``OrchestrationStatus`` integers used in ExecutionCompleted.
ORCHESTRATION_STATUS = {
    RuntimeStatus.RUNNING: 0,
    RuntimeStatus.COMPLETED: 1,
    RuntimeStatus.CONTINUED_AS_NEW: 2,
    RuntimeStatus.FAILED: 3,
    RuntimeStatus.CANCELED: 4,
    RuntimeStatus.TERMINATED: 5,
    RuntimeStatus.PENDING: 6,
    RuntimeStatus.SUSPENDED: 7,
}
