"""One orchestration episode, computed step by step without I/O.

An :class:`Episode` takes an instance row and its queued messages and ends as an
:class:`~durable_local.records.EpisodeCommit`: every history event to append (from
OrchestratorStarted to OrchestratorCompleted, ExecutionCompleted included), the timers,
activities, child instances and the parent's completion message to write, and the instance's
new status. Between the two the caller runs the SDK for each :class:`ReplayRequest` the
episode asks for and hands back the :class:`OrchestratorReply`::

    episode = Episode(record, messages, now, functions)
    while (request := episode.next_replay()) is not None:
        episode.apply_reply(run_the_sdk(request))
    store.commit_episode(episode.commit())

DTFx's rules live here: the completion rule (``isDone`` completes the instance only when no
task is open, ``TaskOrchestrationExecutor``), terminate, suspend/resume episodes that replay
nothing, and continue-as-new, which starts the next generation in the same work item
(``TaskOrchestrationDispatcher``'s ``do ... while (continuedAsNew)``; the shim's
``preserveUnprocessedEvents`` is false, so unconsumed events are discarded, notes 1.7.5).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..jsontext import dumps
from ..protocol import TERMINAL_STATUSES, EventType, HistoryEvent, RuntimeStatus
from ..records import EpisodeCommit, InstanceRecord, Message, OutboundMessage
from . import history as h
from .actions import ActionRecorder, KnownFunctions, Scheduled
from .delivery import Delivery, deliver
from .nondeterminism import NonDeterminismError
from .replies import UnsupportedAction, custom_status_json
from .state import ExecutionState


@dataclass(frozen=True)
class OrchestratorReply:
    """The SDK's answer for one episode: its OrchestratorState JSON, or the error that replaced it."""

    state: dict[str, Any]
    #: set when user code (or the SDK) failed the orchestration
    error: str | None


@dataclass(frozen=True)
class ReplayRequest:
    """What the SDK must replay: the stored history (unless ``fresh``) plus ``new_events``."""

    instance_id: str
    name: str
    execution_id: str
    #: this episode's events, from its OrchestratorStarted on (sent with ``IsPlayed`` false)
    new_events: tuple[HistoryEvent, ...]
    #: the stored ExecutionStarted.Input (JSON text)
    input_json: str | None
    parent_instance_id: str | None
    #: a new execution (continue-as-new): there is no stored history to replay
    fresh: bool


@dataclass(frozen=True)
class _Result:
    """How one execution's episode ended."""

    status: RuntimeStatus
    output: str | None
    custom_status: str | None
    state: ExecutionState
    scheduled: Scheduled
    failure: str | None = None
    continue_as_new_input: str | None = None
    continued_as_new: bool = False


class Episode:
    """See the module docstring. Not reusable: one instance per work item."""

    def __init__(
        self,
        record: InstanceRecord,
        messages: list[Message],
        now: datetime,
        functions: KnownFunctions,
        *,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.record = record
        self.now = now
        self.functions = functions
        self._new_id = new_id
        status = record.status
        self._state = ExecutionState.from_json(record.exec_state)
        self.delivery: Delivery = deliver(self._state, status.runtime_status, status.execution_id, messages)
        self._events: tuple[HistoryEvent, ...] = ()
        if self.delivery.events:
            self._events = (h.orchestrator_started(now), *self.delivery.events)
        self._execution_id = status.execution_id
        self._input = status.input
        self._recorder: ActionRecorder | None = None
        self._pending: ReplayRequest | None = None
        self._result = self._without_replay()
        #: how many times the SDK was asked to replay (one per generation)
        self.replays = 0

    # -- facts -------------------------------------------------------------------------------
    @property
    def has_work(self) -> bool:
        """False when no message was consumed or dropped: nothing to commit."""
        return bool(self.delivery.removed)

    # -- the steps ---------------------------------------------------------------------------
    def next_replay(self) -> ReplayRequest | None:
        """The replay the SDK must run next, or None when the outcome is known."""
        return self._pending

    def apply_reply(self, reply: OrchestratorReply) -> None:
        """Turn the SDK's reply to :meth:`next_replay` into this execution's outcome."""
        recorder, request = self._recorder, self._pending
        if recorder is None or request is None:
            raise RuntimeError("apply_reply() without a pending replay")
        self.replays += 1
        self._pending = None
        prefix = f"Orchestrator function '{self.record.status.name}' failed: "
        if reply.error is not None:
            self._result = self._failed(recorder, prefix + reply.error)
            return
        try:
            continue_as_new = recorder.apply_actions(reply.state.get("actions") or [])
            custom_status = custom_status_json(reply.state)
        except NonDeterminismError as err:
            self._result = self._failed(recorder, str(err))
            return
        except (UnsupportedAction, ValueError) as err:
            self._result = self._failed(recorder, prefix + str(err))
            return
        state = recorder.state()
        if continue_as_new is not None:
            new_input = continue_as_new.get("input")
            self._result = _Result(
                RuntimeStatus.CONTINUED_AS_NEW,
                None,
                custom_status,
                state,
                recorder.scheduled(),
                continue_as_new_input=json.dumps(new_input) if new_input is not None else None,
                continued_as_new=True,
            )
            self._start_next_generation(state.generation + 1)
            return
        if reply.state.get("isDone") and not recorder.has_open_tasks:
            status, output = RuntimeStatus.COMPLETED, dumps(reply.state.get("output"))
        else:
            status, output = RuntimeStatus.RUNNING, None
            if self.delivery.status is RuntimeStatus.SUSPENDED:
                status = RuntimeStatus.SUSPENDED
        self._result = _Result(status, output, custom_status, state, recorder.scheduled())

    def commit(self) -> EpisodeCommit:
        """Everything the episode changes, for ``Store.commit_episode``."""
        if self._pending is not None:
            raise RuntimeError("commit() before the pending replay was applied")
        result = self._result
        status = self.record.status
        terminal = result.status in TERMINAL_STATUSES
        tail: list[HistoryEvent] = [*self._events, *result.scheduled.history]
        if self._events:
            if terminal:
                failure = {"ErrorMessage": result.failure} if result.failure else None
                tail.append(h.execution_completed(self.now, result.status, result.output, failure))
            tail.append(h.orchestrator_completed(self.now))
        messages: list[OutboundMessage] = list(result.scheduled.messages)
        parent = self.record.parent
        if terminal and parent is not None and not status.runtime_status.is_terminal:
            if result.status is RuntimeStatus.COMPLETED:
                event = h.sub_orchestration_completed(self.now, parent.task_id, result.output)
            else:
                reason = result.failure or f"Sub-orchestration '{status.instance_id}' was {result.status}."
                event = h.sub_orchestration_failed(self.now, parent.task_id, reason, None)
            messages.append(OutboundMessage(parent.instance_id, parent.execution_id, event, self.now))
        new_execution = self._execution_id if self._execution_id != status.execution_id else None
        return EpisodeCommit(
            instance_id=status.instance_id,
            execution_id=status.execution_id,
            now=self.now,
            status=result.status,
            output=result.output,
            custom_status=result.custom_status,
            exec_state=result.state.to_json(),
            append_history=tuple(h.played_text(event) for event in tail),
            consumed=self.delivery.removed,
            activities=result.scheduled.activities,
            messages=tuple(messages),
            canceled_timers=result.scheduled.canceled_timers,
            children=result.scheduled.children,
            drop_pending_work=terminal,
            new_execution_id=new_execution,
            new_input=self._input if new_execution is not None else None,
            history_base=self.record.history_len,
        )

    # -- internals ---------------------------------------------------------------------------
    def _without_replay(self) -> _Result:
        """The outcome of an episode that runs no user code, or a placeholder before the replay."""
        status = self.record.status
        delivery = self.delivery
        unchanged = _Result(delivery.status, status.output, status.custom_status, self._state, Scheduled())
        if not delivery.events or delivery.control_only:
            return unchanged
        terminated = delivery.terminated
        if terminated is not None:
            # dtfx HandleExecutionTerminatedEvent: Terminated, the reason as output.
            reason = json.dumps(terminated.get("Input"))
            return _Result(RuntimeStatus.TERMINATED, reason, status.custom_status, self._state, Scheduled())
        recorder = self._new_recorder(self._state)
        recorder.apply_events(self.delivery.events)
        if status.name not in self.functions.orchestrators:
            message = f"The function '{status.name}' doesn't exist, is disabled, or is not an orchestrator function."
            return _Result(
                RuntimeStatus.FAILED, json.dumps(message), None, recorder.state(), Scheduled(), failure=message
            )
        started = next((e for e in self._events if e["EventType"] == EventType.EXECUTION_STARTED), None)
        self._request(recorder, started.get("Input") if started is not None else status.input, fresh=False)
        return unchanged

    def _start_next_generation(self, generation: int) -> None:
        status = self.record.status
        parent = self.record.parent
        self._execution_id = self._new_id()
        self._input = self._result.continue_as_new_input
        start = h.execution_started(
            self.now,
            name=status.name,
            instance_id=status.instance_id,
            execution_id=self._execution_id,
            input_json=self._input,
            parent=h.parent_instance(parent.instance_id, parent.execution_id, parent.task_id) if parent else None,
            generation=generation,
        )
        self._events = (h.orchestrator_started(self.now), start)
        self._request(self._new_recorder(ExecutionState(generation=generation)), self._input, fresh=True)

    def _new_recorder(self, state: ExecutionState) -> ActionRecorder:
        return ActionRecorder(
            state,
            instance_id=self.record.status.instance_id,
            execution_id=self._execution_id,
            now=self.now,
            functions=self.functions,
            new_id=self._new_id,
        )

    def _request(self, recorder: ActionRecorder, input_json: str | None, *, fresh: bool) -> None:
        status = self.record.status
        self._recorder = recorder
        self._pending = ReplayRequest(
            instance_id=status.instance_id,
            name=status.name,
            execution_id=self._execution_id,
            new_events=self._events,
            input_json=input_json,
            parent_instance_id=status.parent_instance_id,
            fresh=fresh,
        )

    def _failed(self, recorder: ActionRecorder, message: str) -> _Result:
        """Fail the execution with ``message`` as its output (DTFx ``FailOrchestration``)."""
        recorder.discard_scheduling()
        return _Result(
            RuntimeStatus.FAILED, json.dumps(message), None, recorder.state(), recorder.scheduled(), failure=message
        )
