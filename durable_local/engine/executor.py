"""Runs one orchestrator episode or one activity through the SDK. Never raises on user code.

No I/O of its own: output binding values come back in :class:`ActivityResult` and the caller
writes them (as the Functions host writes what the worker returns).

The orchestrator side is the extension's shim protocol: the context JSON of
``OrchestrationContextToString`` goes in as a string, ``Orchestrator.handle`` answers the
OrchestratorState JSON, or raises an exception whose message carries that state after the
``$OutOfProcData$:`` label (protocol notes 1.1, 1.5, 1.6). The activity side is the worker's
``ActivityTriggerConverter``: ``df_loads`` the input (raw string fallback), ``df_dumps`` the
result (notes 1.8).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from azure.functions._durable_functions import df_dumps, df_loads

from ..services.bindings.values import prepare_outputs, set_values
from ..services.loader import ActivityFunction
from .episode import OrchestratorReply
from .failures import WorkerError, activity_failure_fields

OUT_OF_PROC_LABEL = "\n\n$OutOfProcData$:"

#: ``AzureStorageDurabilityProvider``: MaximumDelayTime 6 days, LongRunningTimerIntervalLength 3 days,
#: in .NET ``TimeSpan.ToString("c")`` form. Other providers (DTS, MSSQL, Netherite) send nothing.
AZURE_STORAGE_TIMER_SETTINGS = {
    "longRunningTimerIntervalDuration": "3.00:00:00",
    "maximumShortTimerDuration": "6.00:00:00",
}


def build_context(
    *,
    played: list[str],
    new: tuple[Mapping[str, Any], ...],
    input_json: str | None,
    instance_id: str,
    parent_instance_id: str | None,
    timer_settings: bool,
) -> str:
    """The orchestration trigger value, exactly as ``OrchestrationContextToString`` builds it.

    ``played`` are the stored events of earlier episodes (JSON texts with ``IsPlayed`` true);
    ``new`` are this episode's events, from its OrchestratorStarted on, sent with ``IsPlayed``
    false. ``input`` is the stored JSON token, so a Python-client start arrives as a JSON string
    and a curl start as an object (notes 1.4). Old events are spliced in as text: re-encoding the
    whole history every episode would cost as much as the SDK's replay of it.
    """
    from ..jsontext import dumps  # local: this module's imports are being reworked on another branch

    texts = played + [dumps({**event, "IsPlayed": False}) for event in new]
    rest: dict[str, Any] = {
        "input": json.loads(input_json) if input_json is not None else None,
        "instanceId": instance_id,
        # the ExecutionStarted event's IsPlayed: true once the first episode was committed
        "isReplaying": bool(played),
        "parentInstanceId": parent_instance_id,
        # SchemaVersion V2 and V3: the extension sends both for SDKs 1.1.0-1.1.3 (notes 1.1).
        "upperSchemaVersion": 1,
        "upperSchemaVersionNew": 2,
    }
    if timer_settings:
        rest.update(AZURE_STORAGE_TIMER_SETTINGS)
    rest["defaultHttpAsyncRequestSleepTimeMillseconds"] = 30000  # sic: the extension's key
    return '{"history": [' + ", ".join(texts) + "], " + dumps(rest)[1:]


def run_orchestrator(handle: Callable[[Any], str], context_json: str) -> OrchestratorReply:
    """Call the orchestrator handle; user exceptions become ``OrchestratorReply.error``."""
    try:
        raw = handle(context_json)
    except Exception as err:  # user code: a failure is data, not a crash
        return reply_from_exception(err)
    return reply_from_text(raw)


def reply_from_text(raw: object) -> OrchestratorReply:
    """The reply for what ``handle`` returned: the OrchestratorState JSON, or why it is unusable."""
    try:
        state = json.loads(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        return OrchestratorReply({}, f"The orchestrator returned a reply that is not JSON: {err}")
    if not isinstance(state, dict):
        return OrchestratorReply({}, "The orchestrator returned a reply that is not a JSON object")
    return OrchestratorReply(state, state.get("error"))


def reply_from_exception(err: Exception) -> OrchestratorReply:
    """The reply for an exception out of ``handle``: the state after ``$OutOfProcData$:``, if any."""
    message = str(err)
    # ext: OutOfProcExceptionHelpers.TryExtractOutOfProcStateJson
    head, sep, tail = message.partition(OUT_OF_PROC_LABEL)
    if sep:
        try:
            state = json.loads(tail)
        except ValueError:
            state = {}
        return OrchestratorReply(state, state.get("error") or head)
    return OrchestratorReply({}, message or type(err).__name__)


@dataclass(frozen=True)
class EntityReply:
    """The entity function's batch reply (JSON text), or the error that replaced it."""

    text: str | None
    error: str | None


def run_entity(handle: Callable[[Any], str], request_json: str) -> EntityReply:
    """Call an entity's handle with the batch request; a failure of the whole call becomes ``error``.

    Operation failures are not errors here: the SDK reports them per operation in the reply.
    An exception out of ``handle`` (an unserializable state, a malformed request) is an internal
    error of the batch (ext ``EntityMiddleware``: the batch is abandoned and retried).
    """
    try:
        text: object = handle(request_json)
    except Exception as err:  # user code: reported, never raised
        return EntityReply(None, f"{type(err).__name__}: {err}")
    if not isinstance(text, str):
        return EntityReply(None, f"the entity function returned {type(text).__name__}, not a JSON string")
    return EntityReply(text, None)


@dataclass(frozen=True)
class ActivityResult:
    """``result_json`` on success; ``reason``/``details`` as TaskFailed records them.

    ``outputs`` holds the values set on output bindings, for the caller to write; ``error`` the
    exception as the worker reports it, for the host's log.
    """

    result_json: str | None = None
    reason: str | None = None
    details: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: WorkerError | None = None

    @property
    def failed(self) -> bool:
        return self.reason is not None


def decode_activity_input(input_json: str | None) -> Any:
    """``ActivityTriggerConverter.decode``: ``df_loads`` with a raw-string fallback."""
    if input_json is None:
        return None
    try:
        return df_loads(input_json)
    except json.JSONDecodeError:
        return input_json


def activity_failure(name: str, err: BaseException) -> ActivityResult:
    """TaskFailed's fields for an activity that raised ``err`` (see :mod:`.failures`)."""
    error = WorkerError.of(err)
    reason, details = activity_failure_fields(name, error)
    return ActivityResult(reason=reason, details=details, error=error)


async def run_activity(activity: ActivityFunction, input_json: str | None, *, pool: Executor) -> ActivityResult:
    """Run ``activity`` with its input; user failures become ``reason``. Sync code runs in ``pool``."""
    try:
        kwargs: dict[str, Any] = {activity.input_name: decode_activity_input(input_json)}
        outs = prepare_outputs(activity.outputs)
        kwargs.update(outs)
        if activity.is_async:
            value = await activity.fn(**kwargs)
        else:
            loop = asyncio.get_running_loop()
            value = await loop.run_in_executor(pool, lambda: activity.fn(**kwargs))
        result_json = df_dumps(value)
    except Exception as err:  # user code: a failure is data
        return activity_failure(activity.name, err)
    return ActivityResult(result_json=result_json, outputs=set_values(outs))
