"""Status payloads of the management API and the query-string parsing rules behind them.

``StatusResponsePayload`` (``ext: HttpApiHandler.ConvertFrom``): ``name, instanceId,
runtimeStatus, input, customStatus, output, createdTime, lastUpdatedTime`` and, only with
``showHistory``, ``historyEvents``. ``input``/``output``/``customStatus`` are JSON values parsed
from the stored JSON text (``ext: DurableClient.ParseToJToken``); times are ``ToString("s") + "Z"``.

``historyEvents`` is not the raw DTFx history but the "friendly" shape the extension derives
from it (``ext: DurableClient.GetDurableOrchestrationStatusAsync``): event types as names,
OrchestratorStarted/Completed dropped, each TaskScheduled folded into its completion as
``FunctionName`` + ``ScheduledTime``, inputs dropped and results kept only with
``showHistoryOutput``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ...errors import ClientRequestError
from ...instances import InstanceStatus
from ...protocol import EventType, RuntimeStatus

#: DTFx ``OrchestrationStatus`` numbers, as ExecutionCompleted.OrchestrationStatus carries them.
_ORCHESTRATION_STATUS_NAMES = {
    0: "Running",
    1: "Completed",
    2: "ContinuedAsNew",
    3: "Failed",
    4: "Canceled",
    5: "Terminated",
    6: "Pending",
    7: "Suspended",
}
#: Statuses answered with 202 + Location (``ext: HttpApiHandler.HandleGetStatusRequestAsync``).
IN_PROGRESS = frozenset(
    {RuntimeStatus.RUNNING, RuntimeStatus.PENDING, RuntimeStatus.CONTINUED_AS_NEW, RuntimeStatus.SUSPENDED}
)


def format_time(value: datetime) -> str:
    """``DateTime.ToString("s") + "Z"``: UTC, seconds precision."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_json_text(text: str | None) -> Any:
    """The JSON value of stored JSON text; text that is not JSON is returned as a string."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def status_payload(
    status: InstanceStatus, *, show_input: bool = True, history: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """One ``StatusResponsePayload``; ``history`` (already friendly) is added when given."""
    payload: dict[str, Any] = {
        "name": status.name,
        "instanceId": status.instance_id,
        "runtimeStatus": str(status.runtime_status),
        "input": parse_json_text(status.input) if show_input else None,
        "customStatus": parse_json_text(status.custom_status),
        "output": parse_json_text(status.output),
        "createdTime": format_time(status.created_at),
        "lastUpdatedTime": format_time(status.last_updated_at),
    }
    if history is not None:
        payload["historyEvents"] = history
    return payload


#: ``dtfx: History/EventType.cs`` names by number (``protocol.EventType`` holds the numbers).
_EVENT_TYPE_NAMES = (
    "ExecutionStarted",
    "ExecutionCompleted",
    "ExecutionFailed",
    "ExecutionTerminated",
    "TaskScheduled",
    "TaskCompleted",
    "TaskFailed",
    "SubOrchestrationInstanceCreated",
    "SubOrchestrationInstanceCompleted",
    "SubOrchestrationInstanceFailed",
    "TimerCreated",
    "TimerFired",
    "OrchestratorStarted",
    "OrchestratorCompleted",
    "EventSent",
    "EventRaised",
    "ContinueAsNew",
    "GenericEvent",
    "HistoryState",
    "ExecutionSuspended",
    "ExecutionResumed",
)
assert len(_EVENT_TYPE_NAMES) == len(EventType)


def event_type_name(value: Any) -> str | None:
    """``EventType`` number (or name) -> the DTFx enum name, e.g. 5 -> ``"TaskCompleted"``."""
    if isinstance(value, str) and not value.isdigit():
        return value
    try:
        return _EVENT_TYPE_NAMES[int(value)]
    except (TypeError, ValueError, IndexError):
        return None


def friendly_history(events: Iterable[Mapping[str, Any]], show_output: bool) -> list[dict[str, Any]]:
    """The ``historyEvents`` array for raw DTFx-shaped ``events`` (see module docstring)."""
    items = [dict(event) for event in events]
    scheduled: dict[str, tuple[int, str | None, Any, str | None]] = {}
    dropped: set[int] = set()

    def fold(prefix: str, item: dict[str, Any]) -> None:
        # ext: AddScheduledEventDataAndAggregate — copy name + time, hide the scheduling event.
        found = scheduled.get(f"{prefix}_{item.get('TaskScheduledId')}")
        if found is not None:
            index, name, timestamp, child_id = found
            item["ScheduledTime"] = timestamp
            item["FunctionName"] = name
            if child_id is not None:
                # Not in the extension's payload: the local dashboard links a finished
                # sub-orchestration to its own page with it.
                item["InstanceId"] = child_id
            dropped.add(index)

    for index, item in enumerate(items):
        kind = event_type_name(item.get("EventType"))
        if kind is None:
            continue
        item["EventType"] = kind
        if kind in ("TaskScheduled", "SubOrchestrationInstanceCreated"):
            child_id = item.get("InstanceId") if kind == "SubOrchestrationInstanceCreated" else None
            scheduled[f"{kind}_{item.get('EventId')}"] = (index, item.get("Name"), item.get("Timestamp"), child_id)
            item.pop("Version", None)
            item.pop("Input", None)
        elif kind in ("TaskCompleted", "TaskFailed"):
            fold("TaskScheduled", item)
            item.pop("TaskScheduledId", None)
            _keep_result(item, show_output and kind == "TaskCompleted", drop=kind == "TaskCompleted")
        elif kind in ("SubOrchestrationInstanceCompleted", "SubOrchestrationInstanceFailed"):
            fold("SubOrchestrationInstanceCreated", item)
            item.pop("TaskScheduledId", None)
            completed = kind == "SubOrchestrationInstanceCompleted"
            _keep_result(item, show_output and completed, drop=completed)
        elif kind == "ExecutionStarted":
            item["FunctionName"] = item.pop("Name", None)
            for key in ("OrchestrationInstance", "ParentInstance", "Version", "Tags", "Input"):
                item.pop(key, None)
        elif kind == "ExecutionCompleted":
            status = item.get("OrchestrationStatus")
            if isinstance(status, int):
                item["OrchestrationStatus"] = _ORCHESTRATION_STATUS_NAMES.get(status, status)
            _keep_result(item, show_output, drop=True)
        elif kind in ("ExecutionTerminated", "EventRaised"):
            item.pop("Input", None)
        elif kind == "TimerFired":
            item.pop("TimerId", None)
        elif kind in ("OrchestratorStarted", "OrchestratorCompleted"):
            dropped.add(index)
        item.pop("EventId", None)
        item.pop("IsPlayed", None)
    return [item for index, item in enumerate(items) if index not in dropped]


def _keep_result(item: dict[str, Any], convert: bool, *, drop: bool) -> None:
    """Drop ``Result`` unless output is shown; shown results become JSON values."""
    if not convert:
        if drop:
            item.pop("Result", None)
        return
    if isinstance(item.get("Result"), str):
        item["Result"] = parse_json_text(item["Result"])


# -- query-string parsing ------------------------------------------------------------------


def parse_bool(value: str | None, default: bool) -> bool:
    """``bool.TryParse``: "true"/"false" in any case; anything else means "not given"."""
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return default


def parse_datetime(name: str, value: str | None) -> datetime | None:
    """A query-string time as an aware UTC datetime; naive times are taken as UTC.

    Accepts the SDK's ``%Y-%m-%dT%H:%M:%S.%fZ`` and the 7-digit .NET fractions; like
    ``ext: TryGetDateTimeQueryParameterValue`` it pads years Python printed without zeros.
    Raises :class:`ClientRequestError` naming the parameter for anything unparseable.
    """
    if value is None or value == "":
        return None
    text = value.strip()
    dash = text.find("-")
    if 0 < dash < 4 and text[:dash].isdigit():
        text = text.rjust(len(text) + 4 - dash, "0")
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as err:  # OverflowError: year 1 or 9999 shifted out of range
        raise ClientRequestError(
            f"'{name}' must be an ISO 8601 date/time such as 2025-01-01T00:00:00Z, got {value!r}."
        ) from err


def parse_statuses(value: str | None) -> frozenset[RuntimeStatus]:
    """A comma list of runtime status names (case-insensitive) or ``ClientRequestError``."""
    if not value:
        return frozenset()
    by_name = {status.value.lower(): status for status in RuntimeStatus}
    statuses = set()
    for part in value.split(","):
        name = part.strip()
        if not name:
            continue
        if name.lower() not in by_name:
            allowed = ", ".join(s.value for s in RuntimeStatus)
            raise ClientRequestError(f"Unknown runtimeStatus {name!r}; use one or more of: {allowed}.")
        statuses.add(by_name[name.lower()])
    return frozenset(statuses)


#: Largest page size accepted (SQLite integers are 64-bit; no page needs more).
MAX_TOP = 1_000_000


def parse_top(value: str | None) -> int | None:
    """The ``top`` page size: a positive integer or ``ClientRequestError``."""
    if value is None or value == "":
        return None
    try:
        top = int(value)
    except ValueError as err:
        raise ClientRequestError(f"'top' must be a positive integer, got {value!r}.") from err
    if not 0 < top <= MAX_TOP:
        raise ClientRequestError(f"'top' must be an integer from 1 to {MAX_TOP}, got {value!r}.")
    return top


def parse_seconds(value: str | None) -> float | None:
    """``ext: TryGetTimeSpanQueryParameterValue``: seconds as a number, else not given."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds == seconds and seconds >= 0 else None
