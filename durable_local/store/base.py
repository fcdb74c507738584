"""The store contract: what the dispatcher and the host need from durable state.

A narrow interface (durabletask-go ``backend.Backend`` is the model). Every method is atomic;
:meth:`Store.commit_episode` applies a whole orchestration episode — history appended, messages
consumed and written, activity work written, instance row updated — or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..instances import InstanceQuery, InstanceStatus
from ..protocol import HistoryEvent, RuntimeStatus
from ..runtime_state import ActivityWork, ChildStart, TimerWork


@dataclass(frozen=True)
class ParentRef:
    """Where a sub-orchestration reports back."""

    instance_id: str
    execution_id: str
    task_id: int


@dataclass(frozen=True)
class InstanceRecord:
    """An instance row plus the bookkeeping the dispatcher needs."""

    status: InstanceStatus
    exec_state: str | None
    parent: ParentRef | None
    #: number of events in the current execution's history
    history_len: int = 0


@dataclass(frozen=True)
class Message:
    id: int
    execution_id: str | None
    event: HistoryEvent


@dataclass(frozen=True)
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


@dataclass
class EpisodeCommit:
    """One episode's changes, applied atomically by :meth:`Store.commit_episode`."""

    instance_id: str
    execution_id: str  # the execution the episode ran on; a mismatch aborts the commit
    now: datetime
    status: RuntimeStatus
    output: str | None
    custom_status: str | None
    exec_state: str
    #: events to append, as dicts or as stored JSON texts (``executor.played_text``)
    append_history: list[HistoryEvent | str]
    consumed: list[int]
    activities: list[ActivityWork] = field(default_factory=list)
    timers: list[TimerWork] = field(default_factory=list)
    canceled_timers: list[int] = field(default_factory=list)
    children: list[ChildStart] = field(default_factory=list)
    #: message for the parent when a sub-orchestration finishes: (parent, event)
    parent_message: tuple[ParentRef, HistoryEvent] | None = None
    #: continue-as-new: the new execution id; history is replaced by ``append_history``
    new_execution_id: str | None = None
    #: continue-as-new: the new execution's input (JSON text)
    new_input: str | None = None


class Store(Protocol):
    """Durable state of one task hub."""

    def create_instance(
        self,
        *,
        instance_id: str,
        name: str,
        execution_id: str,
        input_json: str | None,
        now: datetime,
        start_event: HistoryEvent,
        parent: ParentRef | None = None,
    ) -> None:
        """Create (or replace a terminal) instance as Pending with its ExecutionStarted message.

        Raises ``InstanceAlreadyExists`` when a non-terminal instance holds the id.
        """

    def get_instance(self, instance_id: str) -> InstanceRecord | None:
        """The instance, or None."""

    def get_history(self, instance_id: str) -> list[HistoryEvent]:
        """The current execution's history in order (empty for an unknown instance)."""

    def get_history_texts(self, instance_id: str) -> list[str]:
        """The same history as stored JSON texts (``IsPlayed`` true), for splicing into contexts."""

    def list_instances(self, query: InstanceQuery) -> tuple[list[InstanceStatus], str | None]:
        """Instances matching ``query`` ordered by creation, and a continuation token if more remain."""

    def enqueue(self, instance_id: str, event: HistoryEvent, *, visible_at: datetime, execution_id: str | None = None) -> None:
        """Queue an event for an existing instance (raise event, terminate, suspend, resume)."""

    def ready_instances(self, now: datetime, limit: int) -> list[str]:
        """Instances with at least one message visible at ``now``, oldest message first."""

    def next_visible_at(self) -> datetime | None:
        """The earliest visible time of any queued message (the next timer), or None."""

    def fetch_messages(self, instance_id: str, now: datetime) -> list[Message]:
        """Messages of ``instance_id`` visible at ``now``, in arrival order."""

    def commit_episode(self, commit: EpisodeCommit) -> None:
        """Apply an episode atomically. Raises ``StaleCompletion`` (nothing written) when the
        instance moved to another execution or a consumed message is gone."""

    def claim_activities(self, limit: int) -> list[ActivityItem]:
        """Lease up to ``limit`` activity items that nobody holds."""

    def complete_activity(self, item: ActivityItem, event: HistoryEvent) -> None:
        """Delete the leased item and queue its TaskCompleted/TaskFailed for the instance in one
        transaction. Raises ``StaleCompletion`` when the lease was lost (item purged or re-leased)."""

    def complete_activities(self, results: list[tuple[ActivityItem, HistoryEvent]]) -> list[ActivityItem]:
        """:meth:`complete_activity` for several results in one transaction; returns the items
        whose lease was lost (their results are dropped, the others recorded)."""

    def release_leases(self) -> int:
        """Release every activity lease (a previous process died holding them); returns how many."""

    def pending_activity_count(self) -> int:
        """Activity items not yet completed (leased or not)."""

    def purge(self, instance_id: str) -> int:
        """Delete one instance with its history and queued work; returns 0 or 1."""

    def purge_many(self, query: InstanceQuery) -> int:
        """Delete every instance matching ``query``; returns how many."""

    def close(self) -> None:
        """Close the underlying connection."""
