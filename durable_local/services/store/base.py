"""The store contract: what the dispatcher and the host need from durable state.

A narrow interface (durabletask-go ``backend.Backend`` is the model). Every method is atomic;
:meth:`Store.commit_episode` applies a whole orchestration episode — history appended, messages
consumed and written, activity work written, children created, instance row updated — or
nothing. The store persists what it is given (:mod:`durable_local.records`); it builds no
history events and knows no orchestration rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...instances import InstanceQuery, InstanceStatus
from ...protocol import HistoryEvent
from ...records import (
    ActivityItem,
    ActivityOutcome,
    EntityBatchCommit,
    EntityOperationRecord,
    EntityQuery,
    EntityRecord,
    EpisodeCommit,
    InstanceRecord,
    Message,
    OutboundMessage,
    ParentRef,
    RewindPlan,
)


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
        replace_live: bool = False,
    ) -> None:
        """Create (or replace a terminal) instance as Pending with its ExecutionStarted message.

        Raises ``InstanceAlreadyExists`` when a non-terminal instance holds the id, unless
        ``replace_live``: then that instance is replaced too.
        """

    def get_instance(self, instance_id: str) -> InstanceRecord | None:
        """The instance, or None."""

    def get_history(self, instance_id: str) -> list[HistoryEvent]:
        """The current execution's history in order (empty for an unknown instance)."""

    def get_history_texts(self, instance_id: str) -> list[str]:
        """The same history as stored JSON texts (``IsPlayed`` true), for splicing into contexts."""

    def list_instances(self, query: InstanceQuery) -> tuple[list[InstanceStatus], str | None]:
        """Instances matching ``query`` ordered by creation, and a continuation token if more remain.

        Raises ``ClientRequestError`` for a continuation token it did not issue.
        """

    def enqueue(self, message: OutboundMessage) -> None:
        """Queue an event for an instance (raise event, terminate, suspend, resume)."""

    def ready_instances(self, now: datetime, limit: int) -> list[str]:
        """Instances with a message visible at ``now`` that they can take, oldest message first.

        A suspended instance takes only resume and terminate (DTFx holds the rest).
        """

    def next_visible_at(self, after: datetime | None = None) -> datetime | None:
        """The earliest visible time of any queued message (later than ``after`` if given), or None.

        With ``after`` = now it is when the next timer fires: what is already visible is the
        dispatcher's to take, and would hide the timers behind it.
        """

    def fetch_messages(self, instance_id: str, now: datetime) -> list[Message]:
        """Messages of ``instance_id`` visible at ``now``, in visible order, then arrival order."""

    def commit_episode(self, commit: EpisodeCommit) -> None:
        """Apply an episode atomically. Raises ``StaleCompletion`` (nothing written) when the
        instance moved to another execution, a consumed message is gone, or the history grew past
        ``commit.history_base`` meanwhile."""

    def rewind(self, plan: RewindPlan) -> None:
        """Apply a rewind atomically: tombstones written over history rows, the instances back to
        ``plan.status`` with their new bookkeeping, the messages that start the replays. Raises
        ``StaleCompletion`` (nothing written) when an instance moved to another execution."""

    def claim_activities(self, limit: int) -> list[ActivityItem]:
        """Lease up to ``limit`` activity items that nobody holds."""

    def complete_activities(self, outcomes: list[ActivityOutcome]) -> list[ActivityItem]:
        """Delete each leased item and queue its TaskCompleted/TaskFailed, all in one transaction.

        Returns the items whose lease was lost (their results are dropped, the others recorded).
        """

    def release_leases(self) -> int:
        """Release every activity lease (a previous process died holding them); returns how many."""

    def pending_activity_count(self) -> int:
        """Activity items not yet completed (leased or not)."""

    def commit_entity_batch(self, commit: EntityBatchCommit) -> None:
        """Apply an entity batch atomically: the entity row and its instance row, the consumed
        requests, the responses and signals, the operation log. Raises ``StaleCompletion``
        (nothing written) when the entity was purged or a consumed request is gone."""

    def get_entity(self, instance_id: str) -> EntityRecord | None:
        """The entity (``@name@key``) as its last batch left it, or None if no batch ran yet."""

    def list_entities(self, query: EntityQuery) -> tuple[list[EntityRecord], str | None]:
        """Entities matching ``query`` by last operation time, and a continuation token if more remain.

        Raises ``ClientRequestError`` for a continuation token it did not issue.
        """

    def entity_operations(self, instance_id: str, limit: int) -> list[EntityOperationRecord]:
        """The entity's most recent operations, newest first."""

    def remove_empty_entities(self) -> int:
        """Delete entities that do not exist and have no queued request; returns how many."""

    def purge(self, instance_id: str) -> int:
        """Delete one instance with its history and queued work; returns 0 or 1."""

    def purge_many(self, query: InstanceQuery) -> int:
        """Delete every instance matching ``query``; returns how many."""

    def close(self) -> None:
        """Close the underlying connection."""
