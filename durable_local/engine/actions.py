"""What the SDK's actions mean as durable work, for one execution. Pure: no store, clock or I/O.

The rules are the extension's (``OutOfProcOrchestrationShim``) and DTFx's
(``TaskOrchestrationContext``, ``TaskOrchestrationExecutor``, ``RetryInterceptor``), as
summarised in the protocol notes 1.7:

* every action leaf except WaitForExternalEvent takes the next sequence id, depth-first, a
  cancelled timer included; the cumulative action list is compared in full every episode,
  because a timer's ``isCanceled`` flips on an action that was sent before;
* a leaf that contradicts the leaf recorded at the same position fails the instance with DTFx's
  non-determinism message;
* retries are the host's work: a failed attempt gets a retry timer (next id), the timer's firing
  a new attempt (next id), and the last failure one more zero-delay timer, exactly the ids the
  SDK's ``RetryAbleTask`` consumes.

Reading the reply itself (its action leaves, its custom status) is :mod:`.replies`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from ..errors import unavailable_function_message
from ..protocol import HTTP_ACTIVITY, ActionType, EventType, HistoryEvent, action_type
from ..records import ActivityWork, ChildStart, OutboundMessage, ParentRef
from . import entities, nondeterminism
from . import history as h
from .replies import CUSTOM_STATUS_LIMIT_BYTES, UnsupportedAction, custom_status_json, flatten_actions
from .state import ExecutionState, OpenTask, RecordedLeaf, RetryChain, TaskKind

_LEAF_KINDS = {
    ActionType.CALL_ACTIVITY: TaskKind.ACTIVITY,
    ActionType.CALL_ACTIVITY_WITH_RETRY: TaskKind.ACTIVITY,
    ActionType.CALL_SUB_ORCHESTRATOR: TaskKind.SUB_ORCHESTRATION,
    ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY: TaskKind.SUB_ORCHESTRATION,
    ActionType.CREATE_TIMER: TaskKind.TIMER,
    ActionType.CALL_ENTITY: TaskKind.ENTITY,
    ActionType.SIGNAL_ENTITY: TaskKind.ENTITY,
    ActionType.CALL_HTTP: TaskKind.HTTP,
}
_FAILURE_TYPES = (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED)


@dataclass(frozen=True)
class KnownFunctions:
    """The names an orchestrator may call; anything else fails the call as the extension does."""

    activities: Collection[str]
    orchestrators: Collection[str]
    #: entity names, lowercased
    entities: Collection[str] = ()


@dataclass(frozen=True)
class Scheduled:
    """The work one reply starts: history events, activities, timer messages, children."""

    history: tuple[HistoryEvent, ...] = ()
    activities: tuple[ActivityWork, ...] = ()
    #: timers (to this instance) and entity requests
    messages: tuple[OutboundMessage, ...] = ()
    canceled_timers: tuple[int, ...] = ()
    children: tuple[ChildStart, ...] = ()


class ActionRecorder:
    """A working copy of one execution's :class:`ExecutionState` while an episode is computed.

    Feed it the delivered events (:meth:`apply_events`), then the SDK's cumulative actions
    (:meth:`apply_actions`); read the new state from :meth:`state` and the work to start from
    :meth:`scheduled`. :meth:`discard_scheduling` forgets the work when the execution fails.
    """

    def __init__(
        self,
        state: ExecutionState,
        *,
        instance_id: str,
        execution_id: str,
        now: datetime,
        functions: KnownFunctions,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._generation = state.generation
        self._next_id = state.next_id
        self._leaves = list(state.leaves)
        self._open = dict(state.open)
        self._chains = list(state.chains)
        self.instance_id = instance_id
        self.execution_id = execution_id
        self.now = now
        self.functions = functions
        self._new_id = new_id
        self._history: list[HistoryEvent] = []
        self._activities: list[ActivityWork] = []
        self._messages: list[OutboundMessage] = []
        self._canceled: list[int] = []
        self._children: list[ChildStart] = []

    # -- results -----------------------------------------------------------------------------
    def state(self) -> ExecutionState:
        return ExecutionState(
            self._next_id,
            tuple(self._leaves),
            MappingProxyType(dict(self._open)),
            tuple(self._chains),
            self._generation,
        )

    def scheduled(self) -> Scheduled:
        return Scheduled(
            tuple(self._history), tuple(self._activities), tuple(self._messages), tuple(self._canceled), tuple(self._children)
        )

    @property
    def has_open_tasks(self) -> bool:
        return any(not task.canceled for task in self._open.values())

    def discard_scheduling(self) -> None:
        """Forget the work this episode would start (the execution is failing instead)."""
        self._history.clear()
        self._activities.clear()
        self._messages.clear()
        self._children.clear()

    # -- events delivered this episode -------------------------------------------------------
    def apply_events(self, events: tuple[HistoryEvent, ...]) -> None:
        """Close the tasks these events complete and start host-side retry work."""
        self._restart_rewound_chains()
        for event in events:
            etype = event["EventType"]
            if etype in (EventType.TASK_COMPLETED, EventType.SUB_ORCHESTRATION_COMPLETED, *_FAILURE_TYPES):
                task = self._open.pop(int(event["TaskScheduledId"]))
                if etype in _FAILURE_TYPES and task.chain is not None:
                    self._on_retry_failure(task.chain)
            elif etype == EventType.TIMER_FIRED:
                task = self._open.pop(int(event["TimerId"]))
                if task.retry_timer and not task.final and task.chain is not None:
                    self._schedule_attempt(task.chain)

    def _on_retry_failure(self, chain_index: int) -> None:
        chain = self._chains[chain_index]
        final = chain.exhausted
        # RetryInterceptor: a timer between attempts; after the last failure one more
        # "dummy timer for back-compat" that fires at once, then the failure surfaces.
        fire_at = self.now if final else self.now + timedelta(milliseconds=chain.first_retry_ms)
        timer_id = self._take_id()
        self._open[timer_id] = OpenTask(TaskKind.TIMER, chain=chain_index, retry_timer=True, final=final)
        if final:
            self._chains[chain_index] = replace(chain, final_timer_id=timer_id)
        self._add_timer(timer_id, fire_at)

    def _restart_rewound_chains(self) -> None:
        """Run again, under its own id, the last attempt of a retry chain a rewind revived.

        The attempt ids of a chain are the host's work (not action leaves), so the replay cannot
        find them; the rewind marked the chain instead. A revived sub-orchestration attempt needs
        nothing here: its child instance was rewound and reports to the reopened task.
        """
        for index, chain in enumerate(self._chains):
            if not chain.rewound or chain.last_attempt_id is None:
                continue
            self._chains[index] = replace(chain, rewound=False, final_timer_id=None)
            if chain.kind is TaskKind.ACTIVITY:
                self._start_task(chain.kind, chain.last_attempt_id, chain.name, chain.input, None, index)

    def _schedule_attempt(self, chain_index: int) -> None:
        chain = self._chains[chain_index].next_attempt()
        self._chains[chain_index] = chain
        self._start_task(chain.kind, self._take_id(), chain.name, chain.input, chain.instance_id, chain_index)

    # -- the SDK's reply ---------------------------------------------------------------------
    def apply_actions(self, actions: list[list[dict[str, Any]]]) -> dict[str, Any] | None:
        """Diff the cumulative action list against what was recorded; returns a ContinueAsNew action if any.

        Raises :class:`~durable_local.engine.nondeterminism.NonDeterminismError` when a replayed
        leaf contradicts the recorded one, :class:`UnsupportedAction` for work the extension
        would refuse, and ``ValueError`` for a malformed reply.
        """
        continue_as_new = None
        leaves = flatten_actions(actions)
        recorded = self._leaves
        for index, action in enumerate(leaves):
            kind = action_type(action["actionType"])
            if kind is ActionType.CONTINUE_AS_NEW:
                continue_as_new = action
                continue
            if index < len(recorded):
                self._replayed(index, kind, action)
                continue
            self._schedule_new(kind, action)
        if len(leaves) < len(recorded) and continue_as_new is None:
            raise nondeterminism.missing(recorded[len(leaves)])
        return continue_as_new

    def _replayed(self, index: int, kind: ActionType, action: dict[str, Any]) -> None:
        leaf = self._leaves[index]
        leaf_kind = _LEAF_KINDS.get(kind)
        if leaf.kind is not leaf_kind:
            raise nondeterminism.kind_mismatch(leaf, leaf_kind, action)
        if leaf_kind in (TaskKind.ACTIVITY, TaskKind.SUB_ORCHESTRATION) and (
            (leaf.name or "").lower() != str(action.get("functionName")).lower()
        ):
            raise nondeterminism.name_mismatch(leaf, action)
        if leaf.rewound:
            # A rewind turned this leaf's failed attempt into a tombstone: schedule it again under
            # the same id, as DTFx does when the replay finds no TaskScheduled for it.
            self._leaves[index] = replace(leaf, rewound=False)
            if leaf.kind is TaskKind.HTTP:
                self._schedule_http(action, leaf.id)
            elif leaf.kind is TaskKind.ACTIVITY:
                self._start_task(leaf.kind, leaf.id, action["functionName"], action.get("input"), None, None)
            return
        if kind is ActionType.CREATE_TIMER and action.get("isCanceled") and not leaf.canceled:
            self._leaves[index] = replace(leaf, canceled=True)
            timer = self._open.get(leaf.id)
            if timer is not None:
                self._open[leaf.id] = replace(timer, canceled=True)
                self._canceled.append(leaf.id)

    def _schedule_new(self, kind: ActionType, action: dict[str, Any]) -> None:
        leaf_kind = _LEAF_KINDS.get(kind)
        if leaf_kind is TaskKind.ENTITY:
            self._send_entity_request(action, signal=kind is ActionType.SIGNAL_ENTITY)
            return
        if leaf_kind is TaskKind.HTTP:
            self._schedule_http(action)
            return
        if leaf_kind is None:
            raise UnsupportedAction(f"action type {kind.name} is not supported by the local Durable host")
        task_id = self._take_id()
        canceled = bool(action.get("isCanceled"))
        retried = bool(action.get("retryOptions"))
        self._leaves.append(RecordedLeaf(task_id, leaf_kind, action.get("functionName"), canceled, retried=retried))
        if leaf_kind is TaskKind.TIMER:
            fire_at = h.parse_timestamp(action["fireAt"])
            if canceled:
                self._history.append(h.timer_created(self.now, task_id, fire_at))
            else:
                self._open[task_id] = OpenTask(TaskKind.TIMER)
                self._add_timer(task_id, fire_at)
            return
        chain_index = None
        retry = action.get("retryOptions")
        if retry:
            chain_index = len(self._chains)
            self._chains.append(
                RetryChain(
                    kind=leaf_kind,
                    name=action["functionName"],
                    input=action.get("input"),
                    instance_id=action.get("instanceId"),
                    first_retry_ms=int(retry.get("firstRetryIntervalInMilliseconds") or 0),
                    max_attempts=int(retry.get("maxNumberOfAttempts") or 1),
                )
            )
        self._start_task(
            leaf_kind, task_id, action["functionName"], action.get("input"), action.get("instanceId"), chain_index
        )

    def _start_task(
        self, kind: TaskKind, task_id: int, name: str, input_json: str | None, child_id: str | None, chain: int | None
    ) -> None:
        self._open[task_id] = OpenTask(kind, name=name, chain=chain)
        if chain is not None:
            self._chains[chain] = replace(self._chains[chain], last_attempt_id=task_id)
        if kind is TaskKind.ACTIVITY:
            if name not in self.functions.activities:
                raise UnsupportedAction(unavailable_function_message(name, "activity", self.functions.activities))
            self._history.append(h.task_scheduled(self.now, task_id, name, input_json))
            self._activities.append(ActivityWork(task_id, name, input_json))
            return
        if name not in self.functions.orchestrators:
            raise UnsupportedAction(unavailable_function_message(name, "orchestrator", self.functions.orchestrators))
        # Without an explicit id DTFx derives one from the parent execution and the sequence
        # id (dtfx TaskOrchestrationContext.CreateSubOrchestrationInstance).
        instance_id = child_id or f"{self.execution_id}:{task_id}"
        # The shim passes the SDK's JSON text as a .NET string, so DTFx stores it JSON-quoted.
        stored_input = json.dumps(input_json) if input_json is not None else None
        self._history.append(h.sub_orchestration_created(self.now, task_id, name, instance_id, stored_input))
        self._children.append(self._child(task_id, name, instance_id, stored_input))

    def _schedule_http(self, action: dict[str, Any], rescheduled_id: int | None = None) -> None:
        """CallHttp: the extension's built-in HTTP activity, one sequence id like any activity.

        ext ``ScheduleDurableHttpActivityAsync``: ``ScheduleTask("BuiltIn::HttpActivity", req)``,
        recorded with the DurableHttpRequest as its (one-element array) input. No retry options
        and no 202 polling for the Python SDK 1.x (see ``durable_local.services.durable_http``).
        """
        request = action.get("httpRequest")
        if not isinstance(request, dict):
            raise ValueError("a CallHttp action must carry an httpRequest object")
        if rescheduled_id is None:
            task_id = self._take_id()
            self._leaves.append(RecordedLeaf(task_id, TaskKind.HTTP, HTTP_ACTIVITY))
        else:
            task_id = rescheduled_id
        self._open[task_id] = OpenTask(TaskKind.HTTP, name=HTTP_ACTIVITY)
        request_json = json.dumps(request, ensure_ascii=False)
        self._history.append(h.task_scheduled(self.now, task_id, HTTP_ACTIVITY, request_json, as_object=True))
        self._activities.append(ActivityWork(task_id, HTTP_ACTIVITY, request_json))

    def _send_entity_request(self, action: dict[str, Any], *, signal: bool) -> None:
        """CallEntity / SignalEntity: an EventSent in history and the request to the entity.

        ext ``DurableOrchestrationContext.CallDurableTaskFunctionAsync``: the target must be a
        known entity (``ThrowIfFunctionDoesNotExist``), the request id comes from ``NewGuid``
        (deterministic, counted per execution), and DTFx ``SendEvent`` takes the next sequence id.
        A call is not an open task for the completion rule; its response is an external event
        the SDK matches by the request id it reads back from the EventSent.
        """
        target = entities.EntityId.parse(str(action.get("instanceId")))
        if target.name not in self.functions.entities:
            raise UnsupportedAction(unavailable_function_message(target.name, "entity", self.functions.entities))
        guid_counter = sum(1 for leaf in self._leaves if leaf.kind is TaskKind.ENTITY)
        task_id = self._take_id()
        self._leaves.append(RecordedLeaf(task_id, TaskKind.ENTITY, target.instance_id))
        request_id = entities.deterministic_guid(self.instance_id, self.now, guid_counter)
        input_text = action.get("input")
        request = entities.request_message(
            operation=str(action.get("operation") or ""),
            # RequestMessage.SetInput: the SDK's JSON text is a .NET string, serialized once more
            input_text=json.dumps(input_text) if input_text is not None else None,
            request_id=request_id,
            signal=signal,
            parent=self.instance_id,
            parent_execution=self.execution_id,
            timestamp=entities.newtonsoft_time(self.now),
        )
        self._history.append(h.event_sent(self.now, task_id, target.instance_id, entities.REQUEST_EVENT, request))
        self._messages.append(
            OutboundMessage(target.instance_id, None, entities.request_event(self.now, request), self.now, auto_start=True)
        )

    def _child(self, task_id: int, name: str, instance_id: str, input_json: str | None) -> ChildStart:
        parent = ParentRef(self.instance_id, self.execution_id, task_id)
        execution_id = self._new_id()
        start = h.execution_started(
            self.now,
            name=name,
            instance_id=instance_id,
            execution_id=execution_id,
            input_json=input_json,
            parent=h.parent_instance(self.instance_id, self.execution_id, task_id),
        )
        conflict = h.sub_orchestration_failed(
            self.now,
            task_id,
            f"An orchestration with instance ID '{instance_id}' already exists and is not in a terminal state; "
            "a sub-orchestration cannot reuse the ID of a running instance.",
            None,
        )
        on_conflict = OutboundMessage(self.instance_id, self.execution_id, conflict, self.now)
        return ChildStart(instance_id, name, execution_id, input_json, parent, start, on_conflict)

    def _add_timer(self, timer_id: int, fire_at: datetime) -> None:
        self._history.append(h.timer_created(self.now, timer_id, fire_at))
        fired = h.timer_fired(fire_at, timer_id, fire_at)
        self._messages.append(OutboundMessage(self.instance_id, self.execution_id, fired, fire_at, timer_id=timer_id))

    def _take_id(self) -> int:
        task_id = self._next_id
        self._next_id += 1
        return task_id


# The reply helpers moved to .replies; re-exported so that imports from here keep working.
__all__ = [
    "CUSTOM_STATUS_LIMIT_BYTES",
    "ActionRecorder",
    "KnownFunctions",
    "Scheduled",
    "UnsupportedAction",
    "custom_status_json",
    "flatten_actions",
]
