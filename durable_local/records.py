"""What the engine core hands the store to persist, and what the store hands back.

These are plain, frozen values: the engine core (``durable_local.engine``) computes them, the
store (``durable_local.services.store``) writes and reads them, and neither knows how the other
works. Events travel as the DTFx-shaped JSON objects of :mod:`durable_local.protocol`; the store
treats them as opaque payloads and reads only the explicit fields below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .instances import InstanceStatus
from .protocol import HistoryEvent, RuntimeStatus


@dataclass(frozen=True, slots=True)
class ParentRef:
    """Where a sub-orchestration reports back: the parent's execution and the task id it waits on."""

    instance_id: str
    execution_id: str
    task_id: int


@dataclass(frozen=True, slots=True)
class InstanceRecord:
    """An instance row plus the bookkeeping the dispatcher needs."""

    status: InstanceStatus
    #: the execution's saved bookkeeping (``engine.state.ExecutionState`` JSON), opaque to the store
    exec_state: str | None
    parent: ParentRef | None
    #: number of events in the current execution's history
    history_len: int = 0


@dataclass(frozen=True, slots=True)
class Message:
    """A queued event for an instance, as the store returns it."""

    id: int
    execution_id: str | None
    event: HistoryEvent


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """An event to queue for an instance, visible from ``visible_at`` (a timer when in the future).

    ``execution_id`` None means "whatever execution is current" (external events, control);
    otherwise the message is dropped if the instance has moved on. ``timer_id`` marks a timer's
    message so that cancelling the timer can delete it.
    """

    instance_id: str
    execution_id: str | None
    event: HistoryEvent
    visible_at: datetime
    timer_id: int | None = None
    #: create the target instance (Running, named after its id) if it does not exist yet: an
    #: entity comes into being with its first message (DTFx ``Entities.AutoStart``)
    auto_start: bool = False


@dataclass(frozen=True, slots=True)
class ActivityWork:
    """An activity invocation an episode scheduled."""

    task_id: int
    name: str
    input_json: str | None


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """A leased activity invocation."""

    id: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input_json: str | None
    lock_token: str
    attempts: int


@dataclass(frozen=True, slots=True)
class ActivityOutcome:
    """A finished activity: its lease, the TaskCompleted/TaskFailed event and when it is visible."""

    item: ActivityItem
    event: HistoryEvent
    visible_at: datetime


@dataclass(frozen=True, slots=True)
class ChildStart:
    """A sub-orchestration to create in the same transaction as the parent's episode.

    ``start`` is the child's ExecutionStarted message. When a live instance already holds the id,
    the store queues ``on_conflict`` (the parent's SubOrchestrationFailed) instead.
    """

    instance_id: str
    name: str
    execution_id: str
    input_json: str | None
    parent: ParentRef
    start: HistoryEvent
    on_conflict: OutboundMessage


@dataclass(frozen=True, slots=True)
class EntityOperationRecord:
    """One operation of an entity batch, as the dashboard's "recent operations" shows it."""

    at: datetime
    operation: str
    #: the calling orchestration's instance id, or None for a client signal
    caller: str | None
    signal: bool
    succeeded: bool
    #: the operation's result (JSON text) or its error message
    result: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """An entity as stored: whether it exists and its state (the JSON text its function returned)."""

    instance_id: str
    name: str
    key: str
    exists: bool
    state: str | None
    last_operation_at: datetime


@dataclass(frozen=True)
class EntityQuery:
    """Filters of an entity listing (all optional, combined with AND)."""

    #: instance id prefix, ``@name@`` for one entity name
    instance_id_prefix: str | None = None
    last_operation_from: datetime | None = None
    last_operation_to: datetime | None = None
    #: only entities whose function reported them existing
    require_exists: bool = False
    #: only entities with a stored state (deleted ones keep the text "null")
    require_state: bool = False
    top: int | None = None
    continuation_token: str | None = None


@dataclass(frozen=True)
class EntityBatchCommit:
    """One entity batch's changes, applied atomically by ``Store.commit_entity_batch``.

    ``entity`` is the entity's new row. ``input`` and ``custom_status`` are its instance row's new
    values (the extension keeps an entity's scheduler state as the input of its instance and its
    status as custom status, which the status API shows).
    """

    entity: EntityRecord
    input: str
    custom_status: str
    consumed: tuple[int, ...]
    #: responses to callers and signals to other entities
    messages: tuple[OutboundMessage, ...]
    operations: tuple[EntityOperationRecord, ...]


@dataclass(frozen=True)
class EpisodeCommit:
    """One episode's changes, applied atomically by ``Store.commit_episode``."""

    instance_id: str
    #: the execution the episode ran on; a mismatch aborts the commit (StaleCompletion)
    execution_id: str
    now: datetime
    status: RuntimeStatus
    output: str | None
    custom_status: str | None
    exec_state: str
    #: events to append, as stored JSON texts (``engine.history.played_text``: ``IsPlayed`` true)
    append_history: tuple[str, ...]
    consumed: tuple[int, ...]
    activities: tuple[ActivityWork, ...] = ()
    messages: tuple[OutboundMessage, ...] = ()
    canceled_timers: tuple[int, ...] = ()
    children: tuple[ChildStart, ...] = ()
    #: the execution finished: its timers and the activities nobody has started are dropped
    drop_pending_work: bool = False
    #: continue-as-new: the new execution id; the history is replaced by ``append_history``
    new_execution_id: str | None = None
    #: continue-as-new: the new execution's input (JSON text)
    new_input: str | None = None
    #: the history length the episode started from (``InstanceRecord.history_len``): the appended
    #: events take the positions after it, and finding one taken means another writer appended
    #: meanwhile (StaleCompletion). None: the store reads the length inside the transaction.
    history_base: int | None = None


@dataclass(frozen=True)
class InstanceRewind:
    """What a rewind changes in one instance."""

    instance_id: str
    #: the execution the plan was made for; a mismatch aborts the rewind
    execution_id: str
    #: ``(history position, new stored text)`` pairs: the tombstones
    tombstones: tuple[tuple[int, str], ...]
    exec_state: str
    messages: tuple[OutboundMessage, ...]


@dataclass(frozen=True)
class RewindPlan:
    """Every instance a rewind changes (the failed one and its failed sub-orchestrations)."""

    now: datetime
    status: RuntimeStatus
    instances: tuple[InstanceRewind, ...]
