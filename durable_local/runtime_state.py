"""Bookkeeping of one orchestration execution: what the SDK's actions mean as durable work.

Pure: no store, clock or I/O. The dispatcher feeds it the messages delivered to an instance
and the SDK's reply; it answers with the history to append and the work to start. The rules are
the extension's (``OutOfProcOrchestrationShim``) and DTFx's (``TaskOrchestrationContext``,
``TaskOrchestrationExecutor``, ``RetryInterceptor``), as summarised in the protocol notes 1.7:

* every action leaf except WaitForExternalEvent takes the next sequence id, depth-first, a
  cancelled timer included; the cumulative action list is compared in full every episode,
  because a timer's ``isCanceled`` flips on an action that was sent before;
* a leaf that contradicts the leaf recorded at the same position fails the instance with DTFx's
  non-determinism message;
* ``isDone`` completes the instance only when no task is open (un-fired, un-cancelled timers
  and running activities or sub-orchestrations keep it Running, ``TaskOrchestrationExecutor``);
* retries are the host's work: a failed attempt gets a retry timer (next id), the timer's firing
  a new attempt (next id), and the last failure one more zero-delay timer, exactly the ids the
  SDK's ``RetryAbleTask`` consumes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import history as h
from .protocol import ActionType, EventType, HistoryEvent, RuntimeStatus

logger = logging.getLogger(__name__)

#: ``MessagePayloadDataConverter.Serialize(value, maxSizeInKB: 16)`` as used by SetCustomStatus.
CUSTOM_STATUS_LIMIT_BYTES = 16 * 1024

_COMPLETION_TYPES = {
    EventType.TASK_COMPLETED,
    EventType.TASK_FAILED,
    EventType.SUB_ORCHESTRATION_COMPLETED,
    EventType.SUB_ORCHESTRATION_FAILED,
}
_LEAF_KINDS = {
    ActionType.CALL_ACTIVITY: "activity",
    ActionType.CALL_ACTIVITY_WITH_RETRY: "activity",
    ActionType.CALL_SUB_ORCHESTRATOR: "suborch",
    ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY: "suborch",
    ActionType.CREATE_TIMER: "timer",
    ActionType.CALL_ENTITY: "entity",
    ActionType.SIGNAL_ENTITY: "entity",
    ActionType.CALL_HTTP: "http",
}


class NonDeterminismError(Exception):
    """A replay produced actions that contradict the recorded history."""


@dataclass
class ActivityWork:
    task_id: int
    name: str
    input_json: str | None


@dataclass
class TimerWork:
    timer_id: int
    fire_at: datetime


@dataclass
class ChildStart:
    task_id: int
    name: str
    instance_id: str
    input_json: str | None


@dataclass
class EpisodeOutcome:
    """Everything one episode changes; the store commits it in one transaction."""

    new_history: list[HistoryEvent]
    status: RuntimeStatus
    output: str | None = None
    custom_status: str | None = None
    activities: list[ActivityWork] = field(default_factory=list)
    timers: list[TimerWork] = field(default_factory=list)
    canceled_timers: list[int] = field(default_factory=list)
    children: list[ChildStart] = field(default_factory=list)
    continue_as_new_input: str | None = None
    continued_as_new: bool = False
    failure: str | None = None


@dataclass
class ExecutionState:
    """Persisted bookkeeping of one execution (JSON in the instance row)."""

    next_id: int = 0
    leaves: list[dict[str, Any]] = field(default_factory=list)  # SDK action leaves, depth-first
    open: dict[str, dict[str, Any]] = field(default_factory=dict)  # str(id) -> task info
    chains: list[dict[str, Any]] = field(default_factory=list)  # retry chains

    def to_json(self) -> str:
        return json.dumps({"next_id": self.next_id, "leaves": self.leaves, "open": self.open, "chains": self.chains})

    @classmethod
    def from_json(cls, text: str | None) -> ExecutionState:
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(raw["next_id"], raw["leaves"], raw["open"], raw["chains"])

    @property
    def has_open_tasks(self) -> bool:
        return any(not task.get("canceled") for task in self.open.values())


@dataclass
class Delivery:
    """The messages an episode accepts, already filtered and ordered."""

    events: list[HistoryEvent]
    consumed: list[int]
    held: list[int]
    dropped: list[tuple[int, str]]


def deliver(
    state: ExecutionState,
    status: RuntimeStatus,
    execution_id: str,
    messages: list[tuple[int, str | None, HistoryEvent]],
) -> tuple[Delivery, RuntimeStatus]:
    """Decide which ``(message id, execution id, event)`` messages this episode consumes.

    Completions for another execution or for a task that is not open are dropped (logged) so
    that nothing is applied twice. While suspended, everything but resume/terminate is held back
    (DTFx ``HandleEventWhileSuspended``). Retry-relevant completions go first so that the host
    and the SDK consume sequence ids in the same order (protocol notes, section 8).
    """
    events: list[tuple[int, HistoryEvent]] = []
    consumed: list[int] = []
    held: list[int] = []
    dropped: list[tuple[int, str]] = []
    suspended = status is RuntimeStatus.SUSPENDED
    seen_completions: set[tuple[int, int]] = set()
    for message_id, target_execution, event in messages:
        etype = EventType(event["EventType"])
        if status.is_terminal:
            dropped.append((message_id, f"instance is {status}"))
            continue
        if target_execution is not None and target_execution != execution_id:
            dropped.append((message_id, "addressed to a previous execution"))
            continue
        if etype is EventType.EXECUTION_TERMINATED:
            events.append((message_id, event))
            consumed.append(message_id)
            continue
        if suspended and etype is not EventType.EXECUTION_RESUMED:
            held.append(message_id)
            continue
        if etype is EventType.EXECUTION_SUSPENDED:
            suspended = True
        elif etype is EventType.EXECUTION_RESUMED:
            if not suspended:
                dropped.append((message_id, "resume of an instance that is not suspended"))
                continue
            suspended = False
        elif etype in _COMPLETION_TYPES or etype is EventType.TIMER_FIRED:
            task_id = event.get("TaskScheduledId", event.get("TimerId"))
            key = (int(etype), int(task_id))
            if str(task_id) not in state.open or key in seen_completions:
                dropped.append((message_id, f"duplicate or stale completion of task {task_id}"))
                continue
            seen_completions.add(key)
        events.append((message_id, event))
        consumed.append(message_id)
    ordered = sorted(events, key=lambda pair: 0 if _consumes_retry_id(state, pair[1]) else 1)
    final_status = RuntimeStatus.SUSPENDED if suspended else (RuntimeStatus.RUNNING if status is RuntimeStatus.SUSPENDED else status)
    return Delivery([e for _, e in ordered], consumed, held, dropped), final_status


def _consumes_retry_id(state: ExecutionState, event: HistoryEvent) -> bool:
    etype = event["EventType"]
    if etype in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
        return state.open.get(str(event["TaskScheduledId"]), {}).get("chain") is not None
    if etype == EventType.TIMER_FIRED:
        task = state.open.get(str(event["TimerId"]), {})
        return task.get("retry_timer", False) and not task.get("final", False)
    return False


def flatten_actions(actions: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Depth-first leaves of the schema V2/V3 action list, WaitForExternalEvent excluded."""
    if len(actions) > 1:
        # ext: ReplayOOProcOrchestration throws when a V2/V3 reply has more than one inner list.
        raise ValueError(f"schema V2/V3 replies hold exactly one action list, got {len(actions)}")
    leaves: list[dict[str, Any]] = []

    def walk(action: dict[str, Any]) -> None:
        kind = action.get("actionType")
        if kind in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
            for child in action.get("compoundActions") or []:
                walk(child)
        elif kind != ActionType.WAIT_FOR_EXTERNAL_EVENT:
            leaves.append(action)

    for action in actions[0] if actions else []:
        walk(action)
    return leaves


class EpisodeBuilder:
    """Turns one SDK reply into an :class:`EpisodeOutcome` for one execution."""

    def __init__(
        self,
        *,
        state: ExecutionState,
        instance_id: str,
        execution_id: str,
        name: str,
        now: datetime,
        known_activities: set[str],
        known_orchestrators: set[str],
    ) -> None:
        self.state = state
        self.instance_id = instance_id
        self.execution_id = execution_id
        self.name = name
        self.now = now
        self.known_activities = known_activities
        self.known_orchestrators = known_orchestrators
        self._scheduling: list[HistoryEvent] = []
        self.outcome = EpisodeOutcome(new_history=[], status=RuntimeStatus.RUNNING)

    # -- events delivered this episode -------------------------------------------------------
    def apply_events(self, events: list[HistoryEvent]) -> None:
        """Close the tasks these events complete and start host-side retry work."""
        for event in events:
            etype = event["EventType"]
            if etype in _COMPLETION_TYPES:
                task = self.state.open.pop(str(event["TaskScheduledId"]))
                if etype in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED) and task.get("chain") is not None:
                    self._on_retry_failure(task["chain"])
            elif etype == EventType.TIMER_FIRED:
                task = self.state.open.pop(str(event["TimerId"]))
                if task.get("retry_timer") and not task.get("final"):
                    self._schedule_attempt(task["chain"])

    def _on_retry_failure(self, chain_index: int) -> None:
        chain = self.state.chains[chain_index]
        interval = timedelta(milliseconds=chain["first_retry_ms"])
        final = chain["attempts"] >= chain["max_attempts"]
        # RetryInterceptor: a timer between attempts; after the last failure one more
        # "dummy timer for back-compat" that fires at once, then the failure surfaces.
        fire_at = self.now if final else self.now + interval
        timer_id = self._next_id()
        self.state.open[str(timer_id)] = {"kind": "timer", "retry_timer": True, "final": final, "chain": chain_index}
        self._scheduling.append(h.timer_created(self.now, timer_id, fire_at))
        self.outcome.timers.append(TimerWork(timer_id, fire_at))

    def _schedule_attempt(self, chain_index: int) -> None:
        chain = self.state.chains[chain_index]
        chain["attempts"] += 1
        task_id = self._next_id()
        self._start_task(chain["kind"], task_id, chain["name"], chain["input"], chain.get("instance_id"), chain_index)

    # -- the SDK's reply ---------------------------------------------------------------------
    def apply_actions(self, actions: list[list[dict[str, Any]]]) -> dict[str, Any] | None:
        """Diff the cumulative action list against what was recorded; returns a ContinueAsNew action if any.

        Raises :class:`NonDeterminismError` when a replayed leaf contradicts the recorded one.
        """
        continue_as_new = None
        leaves = flatten_actions(actions)
        recorded = self.state.leaves
        for index, action in enumerate(leaves):
            kind = ActionType(action["actionType"])
            if kind is ActionType.CONTINUE_AS_NEW:
                continue_as_new = action
                continue
            if index < len(recorded):
                self._check_replayed(recorded[index], action)
                if kind is ActionType.CREATE_TIMER and action.get("isCanceled") and not recorded[index]["canceled"]:
                    recorded[index]["canceled"] = True
                    timer = self.state.open.get(str(recorded[index]["id"]))
                    if timer is not None:
                        timer["canceled"] = True
                        self.outcome.canceled_timers.append(recorded[index]["id"])
                continue
            self._schedule_new(kind, action)
        if len(leaves) < len(recorded) and continue_as_new is None:
            missing = recorded[len(leaves)]
            raise NonDeterminismError(_missing_message(missing))
        return continue_as_new

    def _check_replayed(self, recorded: dict[str, Any], action: dict[str, Any]) -> None:
        kind = _LEAF_KINDS.get(ActionType(action["actionType"]), "other")
        if recorded["kind"] != kind:
            raise NonDeterminismError(_kind_mismatch_message(recorded, action))
        if kind in ("activity", "suborch") and recorded["name"].lower() != str(action.get("functionName")).lower():
            raise NonDeterminismError(_name_mismatch_message(recorded, action))

    def _schedule_new(self, kind: ActionType, action: dict[str, Any]) -> None:
        leaf_kind = _LEAF_KINDS.get(kind)
        if leaf_kind in ("entity", "http"):
            what = "Durable entities" if leaf_kind == "entity" else "call_http"
            raise UnsupportedAction(f"{what} are not supported by the local Durable host yet")
        if leaf_kind is None:
            raise UnsupportedAction(f"action type {kind.name} is not supported by the local Durable host")
        task_id = self._next_id()
        leaf = {"id": task_id, "kind": leaf_kind, "name": action.get("functionName"), "canceled": bool(action.get("isCanceled"))}
        self.state.leaves.append(leaf)
        if leaf_kind == "timer":
            fire_at = h.parse_timestamp(action["fireAt"])
            self._scheduling.append(h.timer_created(self.now, task_id, fire_at))
            if not leaf["canceled"]:
                self.state.open[str(task_id)] = {"kind": "timer"}
                self.outcome.timers.append(TimerWork(task_id, fire_at))
            return
        chain_index = None
        retry = action.get("retryOptions")
        if retry:
            chain_index = len(self.state.chains)
            self.state.chains.append(
                {
                    "kind": leaf_kind,
                    "name": action["functionName"],
                    "input": action.get("input"),
                    "instance_id": action.get("instanceId"),
                    "first_retry_ms": int(retry.get("firstRetryIntervalInMilliseconds") or 0),
                    "max_attempts": int(retry.get("maxNumberOfAttempts") or 1),
                    "attempts": 1,
                }
            )
        self._start_task(leaf_kind, task_id, action["functionName"], action.get("input"), action.get("instanceId"), chain_index)

    def _start_task(
        self, kind: str, task_id: int, name: str, input_json: str | None, child_id: str | None, chain: int | None
    ) -> None:
        self.state.open[str(task_id)] = {"kind": kind, "name": name, "chain": chain}
        if kind == "activity":
            if name not in self.known_activities:
                raise UnsupportedAction(_missing_function(name, "activity"))
            self._scheduling.append(h.task_scheduled(self.now, task_id, name, input_json))
            self.outcome.activities.append(ActivityWork(task_id, name, input_json))
        else:
            if name not in self.known_orchestrators:
                raise UnsupportedAction(_missing_function(name, "orchestrator"))
            # Without an explicit id DTFx derives one from the parent execution and the sequence
            # id (dtfx TaskOrchestrationContext.CreateSubOrchestrationInstance).
            instance_id = child_id or f"{self.execution_id}:{task_id}"
            # The shim passes the SDK's JSON text as a .NET string, so DTFx stores it JSON-quoted.
            stored_input = json.dumps(input_json) if input_json is not None else None
            self._scheduling.append(h.sub_orchestration_created(self.now, task_id, name, instance_id, stored_input))
            self.outcome.children.append(ChildStart(task_id, name, instance_id, stored_input))

    def _next_id(self) -> int:
        task_id = self.state.next_id
        self.state.next_id += 1
        return task_id

    # -- completion --------------------------------------------------------------------------
    def finish(self, reply: dict[str, Any], continue_as_new: dict[str, Any] | None) -> EpisodeOutcome:
        """Apply the completion rule and the custom status; returns the outcome."""
        outcome = self.outcome
        self._set_custom_status(reply)
        if continue_as_new is not None:
            outcome.status = RuntimeStatus.CONTINUED_AS_NEW
            outcome.continued_as_new = True
            outcome.continue_as_new_input = (
                json.dumps(continue_as_new.get("input")) if continue_as_new.get("input") is not None else None
            )
        elif reply.get("isDone") and not self.state.has_open_tasks:
            outcome.status = RuntimeStatus.COMPLETED
            outcome.output = json.dumps(reply.get("output"))
        outcome.new_history.extend(self._scheduling)
        return outcome

    def discard_scheduling(self) -> None:
        """Forget the work this episode would start (the execution is failing instead)."""
        self._scheduling.clear()
        self.outcome.activities.clear()
        self.outcome.timers.clear()
        self.outcome.children.clear()

    def fail(self, message: str) -> EpisodeOutcome:
        """Fail the execution with ``message`` as its output (DTFx ``FailOrchestration``)."""
        outcome = self.outcome
        outcome.status = RuntimeStatus.FAILED
        outcome.failure = message
        outcome.output = json.dumps(message)
        outcome.new_history.extend(self._scheduling)
        return outcome

    def _set_custom_status(self, reply: dict[str, Any]) -> None:
        if "customStatus" not in reply:
            return
        text = json.dumps(reply["customStatus"])
        size = len(text.encode("utf-16-le"))
        if size > CUSTOM_STATUS_LIMIT_BYTES:
            # ext: DurableOrchestrationContext.SetCustomStatus -> MessagePayloadDataConverter.
            raise UnsupportedAction(
                "The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. "
                f"The current payload size is {size / 1024:.2f} KB."
            )
        self.outcome.custom_status = text


class UnsupportedAction(Exception):
    """The reply asks for something the extension would reject; the orchestration fails."""


def _missing_function(name: str, kind: str) -> str:
    return (
        f"The function '{name}' doesn't exist, is disabled, or is not an {kind} function. "
        f"Additional info: no {kind} named '{name}' is registered in function_app.py."
    )


_NDE = "Non-Deterministic workflow detected: "
_CHANGED = " Was a change made to the orchestrator code after this instance had already started running?"
_KIND_NAMES = {"activity": "an activity task", "timer": "a timer task", "suborch": "a sub-orchestration task"}
_ACTION_CLASS = {
    "activity": "ScheduleTaskOrchestratorAction",
    "timer": "CreateTimerOrchestratorAction",
    "suborch": "CreateSubOrchestrationAction",
}


def _missing_message(recorded: dict[str, Any]) -> str:
    # Wording of dtfx TaskOrchestrationContext.HandleTaskScheduledEvent and siblings.
    name = f" and name '{recorded['name']}' (version '')" if recorded.get("name") else ""
    return (
        f"{_NDE}A previous execution of this orchestration scheduled {_KIND_NAMES[recorded['kind']]} with sequence ID "
        f"{recorded['id']}{name}, but the current replay execution hasn't (yet?) scheduled this task.{_CHANGED}"
    )


def _kind_mismatch_message(recorded: dict[str, Any], action: dict[str, Any]) -> str:
    actual = _ACTION_CLASS.get(_LEAF_KINDS.get(ActionType(action["actionType"]), ""), ActionType(action["actionType"]).name)
    named = f" named '{recorded['name']}'" if recorded.get("name") else ""
    return (
        f"{_NDE}A previous execution of this orchestration scheduled {_KIND_NAMES[recorded['kind']]} with sequence "
        f"number {recorded['id']}{named}, but the current orchestration replay instead produced a {actual} action "
        f"with this sequence number.{_CHANGED}"
    )


def _name_mismatch_message(recorded: dict[str, Any], action: dict[str, Any]) -> str:
    what = _KIND_NAMES[recorded["kind"]]
    return (
        f"{_NDE}A previous execution of this orchestration scheduled {what} with sequence number {recorded['id']} "
        f"named '{recorded['name']}', but the current orchestration replay instead scheduled {what} named "
        f"'{action.get('functionName')}' with this sequence number.{_CHANGED}"
    )
