"""Durable entities as the extension runs them for the Python SDK 1.x. Pure: no store or I/O.

An entity is an instance ``@name@key`` whose messages are operation requests (EventRaised
named ``op``, the extension's ``RequestMessage`` as input). A batch takes the queued requests in
arrival order, hands them to the entity function in one call (``EntityContextToString``), and
turns the function's reply into the entity's new state, the responses to calling
orchestrations (EventRaised named after the request id, ``ResponseMessage`` as input) and the
operation log. Sources: ext ``Listener/TaskEntityShim.cs`` (``ExecuteOutOfProcBatch``),
``Bindings/EntityTriggerAttributeBindingProvider.cs`` (``EntityContextToString``),
``EntityScheduler/RequestMessage.cs`` / ``ResponseMessage.cs`` / ``EntityId.cs``.

Two behaviours of the real host are kept on purpose, although they surprise: an operation that
raises does *not* roll back its state change (the extension copies the reply's state wholesale
for out-of-process batches; ``RollbackEntityOperationsOnExceptions`` only applies to in-process
.NET), and an operation that sets no result reports the previous operation's result (the SDK
never resets it within a batch). Both come from the SDK's ``Entity.handle`` and would differ on
Azure if "fixed" here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..protocol import HistoryEvent
from ..records import (
    EntityBatchCommit,
    EntityOperationRecord,
    EntityRecord,
    Message,
    OutboundMessage,
)
from . import history as h

#: ext ``DurableOrchestrationContext.NewGuid``: a version-5 UUID in this namespace
#: (``GuidManager.UrlNamespaceValue``) of ``"{instanceId}_{currentUtcDateTime:o}_{counter}"``.
GUID_NAMESPACE = uuid.UUID("9e952959-5e33-4daf-827f-2fa12937b875")
#: The name of every request event an entity receives (ext ``EntityMessageEventNames.RequestMessageEventName``).
REQUEST_EVENT = "op"
#: ``DateTime.MinValue`` as Newtonsoft writes it: the ``Predecessor`` of an unordered message.
MIN_DATETIME = "0001-01-01T00:00:00"
#: host.json ``maxEntityOperationBatchSize`` default outside the Consumption plan (50 there).
DEFAULT_BATCH_SIZE = 5000


@dataclass(frozen=True, slots=True)
class EntityId:
    """``@name@key``: the name lowercased (ext ``EntityId`` ctor), the key verbatim."""

    name: str
    key: str

    @classmethod
    def of(cls, name: str, key: str) -> EntityId:
        return cls(name.lower(), key)

    @classmethod
    def parse(cls, instance_id: str) -> EntityId:
        """The id of a scheduler instance ``@name@key`` (the key may contain ``@``); ValueError otherwise."""
        if not instance_id.startswith("@"):
            raise ValueError(f"'{instance_id}' is not an entity instance id (@name@key)")
        name, sep, key = instance_id[1:].partition("@")
        if not sep or not name:
            raise ValueError(f"'{instance_id}' is not an entity instance id (@name@key)")
        return cls(name.lower(), key)

    @property
    def instance_id(self) -> str:
        return f"@{self.name}@{self.key}"


def is_entity_instance(instance_id: str) -> bool:
    """Entity instances are the ids starting with ``@`` (orchestration ids may not, ext ``ValidateInstanceId``)."""
    return instance_id.startswith("@")


def deterministic_guid(instance_id: str, now: datetime, counter: int) -> str:
    """The request id the extension gives the ``counter``-th entity message of an execution."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{instance_id}_{h.format_timestamp(now)}_{counter}"))


def newtonsoft_time(moment: datetime) -> str:
    """A UTC ``DateTime`` as Newtonsoft writes it: ISO 8601, trailing fractional zeros dropped."""
    text = h.format_timestamp(moment)[:-1].rstrip("0").rstrip(".")
    return text + "Z"


def request_message(
    *,
    operation: str,
    input_text: str | None,
    request_id: str,
    signal: bool,
    parent: str | None = None,
    parent_execution: str | None = None,
    timestamp: str = MIN_DATETIME,
) -> str:
    """ext ``RequestMessage`` JSON, in its member order, defaults dropped where the class drops them.

    ``input_text`` is the JSON text of the operation input (``RequestMessage.SetInput``); None
    when the request carries none.
    """
    message: dict[str, Any] = {"op": operation}
    if signal:
        message["signal"] = True
    if input_text is not None:
        message["input"] = input_text
    message["id"] = request_id
    message["parent"] = parent
    message["parentExecution"] = parent_execution
    message["Timestamp"] = timestamp
    message["Predecessor"] = MIN_DATETIME
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def request_event(at: datetime, request_json: str) -> HistoryEvent:
    """The EventRaised an entity receives for one request."""
    return h.event_raised(at, REQUEST_EVENT, request_json)


def response_event(at: datetime, request_id: str, result: str, failed: bool) -> HistoryEvent:
    """The EventRaised a calling orchestration receives (ext ``ResponseMessage``; ``exceptionType`` only on error)."""
    response: dict[str, Any] = {"result": result}
    if failed:
        response["exceptionType"] = "Error"
    return h.event_raised(at, request_id, json.dumps(response, ensure_ascii=False, separators=(",", ":")))


@dataclass(frozen=True)
class Request:
    """One queued operation request of an entity."""

    message_id: int
    operation: str
    input_text: str | None
    request_id: str
    signal: bool
    parent: str | None
    parent_execution: str | None

    @classmethod
    def from_message(cls, message: Message) -> Request:
        raw = json.loads(message.event.get("Input") or "{}")
        return cls(
            message_id=message.id,
            operation=str(raw.get("op") or ""),
            input_text=raw.get("input"),
            request_id=str(raw.get("id") or ""),
            signal=bool(raw.get("signal", False)),
            parent=raw.get("parent"),
            parent_execution=raw.get("parentExecution"),
        )


@dataclass(frozen=True)
class OperationOutcome:
    """One operation's entry in the function's reply."""

    request: Request
    failed: bool
    #: JSON text (``df_dumps`` of the result, or of ``str(exception)`` when failed)
    result: str
    duration_ms: int


class BatchReplyError(Exception):
    """The entity function's reply cannot be used: the batch is abandoned and retried."""


class EntityBatch:
    """One batch of an entity: its request JSON, then the commit its function's reply makes."""

    def __init__(
        self,
        entity_id: EntityId,
        current: EntityRecord | None,
        requests: list[Request],
        *,
        dropped: tuple[Message, ...] | list[Message] = (),
    ) -> None:
        self.entity_id = entity_id
        self.current = current
        self.requests = requests
        #: messages that are not operation requests: deleted with the batch, never run
        self.dropped = tuple(message.id for message in dropped)

    def request_json(self) -> str:
        """ext ``EntityContextToString``: ``self``, ``exists``, ``state`` (the stored text), ``batch``."""
        current = self.current
        return json.dumps(
            {
                "self": {"name": self.entity_id.name, "key": self.entity_id.key},
                "exists": bool(current and current.exists),
                "state": current.state if current is not None else None,
                "batch": [{"name": r.operation, "input": r.input_text, "isSignal": r.signal} for r in self.requests],
            }
        )

    def outcomes(self, reply_text: str) -> tuple[bool, str | None, list[OperationOutcome]]:
        """``(exists, state, per-operation outcomes)`` from the SDK's reply; BatchReplyError if unusable."""
        try:
            reply = json.loads(reply_text)
            exists = bool(reply["entityExists"])
            state = reply.get("entityState")
            results = reply["results"]
        except (TypeError, ValueError, KeyError) as err:
            # ext: "Out of proc orchestrators must return a valid JSON schema." -> the batch is retried.
            raise BatchReplyError(f"the entity function returned a reply that is not a batch result: {err}") from err
        if not isinstance(results, list) or len(results) != len(self.requests):
            raise BatchReplyError(
                f"the entity function answered {len(results) if isinstance(results, list) else 'no'} results "
                f"for {len(self.requests)} operations"
            )
        outcomes = []
        for request, result in zip(self.requests, results, strict=True):
            text = result.get("result")
            outcomes.append(
                OperationOutcome(
                    request=request,
                    failed=bool(result.get("isError")),
                    # never send a null result: the SDK cannot read it (ResponseMessage.from_dict)
                    result=text if isinstance(text, str) else json.dumps(text),
                    duration_ms=int(result.get("duration") or 0),
                )
            )
        return exists, state if isinstance(state, str) or state is None else json.dumps(state), outcomes

    def commit(self, now: datetime, exists: bool, state: str | None, outcomes: list[OperationOutcome]) -> EntityBatchCommit:
        """The batch's changes: entity row, instance row, responses to callers, the operation log."""
        instance_id = self.entity_id.instance_id
        responses = [
            OutboundMessage(
                outcome.request.parent,
                outcome.request.parent_execution,
                response_event(now, outcome.request.request_id, outcome.result, outcome.failed),
                now,
            )
            for outcome in outcomes
            if not outcome.request.signal and outcome.request.parent
        ]
        # ext SchedulerState / EntityStatus as the instance's input and custom status (default
        # members omitted, so an entity that does not exist shows an empty status).
        scheduler_state: dict[str, Any] = {"exists": exists, "state": state, "sorter": {}}
        status = {"entityExists": True} if exists else {}
        return EntityBatchCommit(
            entity=EntityRecord(instance_id, self.entity_id.name, self.entity_id.key, exists, state, now),
            input=json.dumps(scheduler_state, separators=(",", ":")),
            custom_status=json.dumps(status, separators=(",", ":")),
            consumed=tuple(r.message_id for r in self.requests) + self.dropped,
            messages=tuple(responses),
            operations=tuple(
                EntityOperationRecord(
                    at=now,
                    operation=o.request.operation,
                    caller=o.request.parent,
                    signal=o.request.signal,
                    succeeded=not o.failed,
                    result=o.result,
                    duration_ms=o.duration_ms,
                )
                for o in outcomes
            ),
        )
