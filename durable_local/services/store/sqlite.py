"""SQLite implementation of :class:`durable_local.services.store.base.Store`.

It persists what it is given (:mod:`durable_local.records`) and builds no history events. The
class is assembled from focused parts: :mod:`.sqlite_base` (connection, transactions, rows),
:mod:`.sqlite_queries` (lists and purge), :mod:`.sqlite_activities` (the activity queue),
:mod:`.sqlite_entities` (entity batches); this module holds instances, messages and episodes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from datetime import datetime

from ...errors import InstanceAlreadyExists, StaleCompletion
from ...instances import InstanceStatus
from ...protocol import TERMINAL_STATUSES, WAKES_SUSPENDED_TYPES, HistoryEvent, RuntimeStatus
from ...records import ChildStart, EpisodeCommit, InstanceRecord, Message, OutboundMessage, ParentRef, RewindPlan
from .sqlite_activities import ActivityQueue
from .sqlite_base import from_iso, from_micros, iso, to_micros
from .sqlite_entities import EntityTables
from .sqlite_queries import InstanceQueries
from .sqlite_triggers import TriggerStateTables

_TERMINAL = tuple(str(s) for s in TERMINAL_STATUSES)
_UPDATE_INSTANCE = (
    "UPDATE instances SET status = ?, output = ?, custom_status = ?, exec_state = ?, last_updated_at = ?,"
    " execution_id = ? WHERE instance_id = ? AND execution_id = ?"
)
#: continue-as-new: the new execution's input too
_UPDATE_INSTANCE_NEW_EXECUTION = (
    "UPDATE instances SET status = ?, output = ?, custom_status = ?, exec_state = ?, last_updated_at = ?,"
    " execution_id = ?, input = ? WHERE instance_id = ? AND execution_id = ?"
)


class SqliteStore(InstanceQueries, ActivityQueue, EntityTables, TriggerStateTables):
    """The local host's durable state. See :class:`durable_local.services.store.base.Store` for the contract.

    Also the trigger bookkeeping of :class:`~.trigger_state.TriggerStateStore` (:mod:`.sqlite_triggers`).
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, fault: Callable[[str], None] | None = None) -> None:
        super().__init__(path, fault=fault)
        try:
            self._migrate_trigger_state()
        except BaseException:
            self._db.close()
            raise

    # -- instances ---------------------------------------------------------------------------
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
        with self._tx() as db:
            self._create(db, instance_id, name, execution_id, input_json, now, start_event, parent, replace_live)
        # the row just written, as get_instance would read it: the first episode needs no SELECT
        stamp = from_iso(iso(now))
        status = InstanceStatus(
            instance_id=instance_id,
            name=name,
            runtime_status=RuntimeStatus.PENDING,
            execution_id=execution_id,
            input=input_json,
            output=None,
            custom_status=None,
            created_at=stamp,
            last_updated_at=stamp,
            parent_instance_id=parent.instance_id if parent else None,
        )
        self._records.put(instance_id, InstanceRecord(status, None, parent, 0))

    def _create(
        self,
        db: sqlite3.Connection,
        instance_id: str,
        name: str,
        execution_id: str,
        input_json: str | None,
        now: datetime,
        start_event: HistoryEvent,
        parent: ParentRef | None,
        replace_live: bool = False,
    ) -> None:
        row = db.execute("SELECT status FROM instances WHERE instance_id = ?", (instance_id,)).fetchone()
        if row is not None:
            if row["status"] not in _TERMINAL and not replace_live:
                raise InstanceAlreadyExists(instance_id, row["status"])
            # The old instance goes with its history and queued work; results still on their way
            # find no lease or execution and are dropped, as DTFx drops them for a new execution.
            self._delete_instance(db, instance_id)
        stamp = iso(now)
        db.execute(
            "INSERT INTO instances (instance_id, name, execution_id, status, input, created_at, last_updated_at,"
            " parent_instance_id, parent_execution_id, parent_task_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                instance_id,
                name,
                execution_id,
                str(RuntimeStatus.PENDING),
                input_json,
                stamp,
                stamp,
                parent.instance_id if parent else None,
                parent.execution_id if parent else None,
                parent.task_id if parent else None,
            ),
        )
        self._insert(db, OutboundMessage(instance_id, None, start_event, now))

    def get_instance(self, instance_id: str) -> InstanceRecord | None:
        records = self._records
        records.check_version(self._db.execute("PRAGMA data_version").fetchone()[0])
        record = records.get(instance_id)
        if record is not None:
            return record
        row = self._db.execute(
            "SELECT *, (SELECT COALESCE(MAX(seq) + 1, 0) FROM history h WHERE h.instance_id = i.instance_id) AS history_len"
            " FROM instances i WHERE instance_id = ?",
            (instance_id,),
        ).fetchone()
        if row is None:
            return None
        record = self._record(row)
        records.put(instance_id, record)
        return record

    def _record(self, row: sqlite3.Row) -> InstanceRecord:
        parent = None
        if row["parent_instance_id"] is not None:
            parent = ParentRef(row["parent_instance_id"], row["parent_execution_id"], row["parent_task_id"])
        return InstanceRecord(self._status(row), row["exec_state"], parent, row["history_len"])

    def get_history(self, instance_id: str) -> list[HistoryEvent]:
        return [json.loads(text) for text in self.get_history_texts(instance_id)]

    def get_history_texts(self, instance_id: str) -> list[str]:
        rows = self._db.execute("SELECT event FROM history WHERE instance_id = ? ORDER BY seq", (instance_id,))
        return [r[0] for r in rows]

    # -- messages ----------------------------------------------------------------------------
    def enqueue(self, message: OutboundMessage) -> None:
        with self._tx() as db:
            self._insert(db, message)

    def ready_instances(self, now: datetime, limit: int) -> list[str]:
        wakes = sorted(int(t) for t in WAKES_SUSPENDED_TYPES)
        rows = self._db.execute(
            "SELECT m.instance_id, MIN(m.id) AS first FROM messages m JOIN instances i ON i.instance_id = m.instance_id"
            f" WHERE m.visible_at <= ? AND (i.status != ? OR m.event_type IN ({','.join('?' * len(wakes))}))"
            " GROUP BY m.instance_id ORDER BY first LIMIT ?",
            (to_micros(now), str(RuntimeStatus.SUSPENDED), *wakes, limit),
        )
        return [r[0] for r in rows]

    def next_visible_at(self, after: datetime | None = None) -> datetime | None:
        if after is None:
            row = self._db.execute("SELECT MIN(visible_at) FROM messages").fetchone()
        else:
            row = self._db.execute("SELECT MIN(visible_at) FROM messages WHERE visible_at > ?", (to_micros(after),)).fetchone()
        return from_micros(row[0]) if row and row[0] is not None else None

    def fetch_messages(self, instance_id: str, now: datetime) -> list[Message]:
        rows = self._db.execute(
            # Visible order first: an event queued at 09:01 precedes a timer due at 10:00 even if
            # the timer row is older, as on a queue where the timer message appears only when due.
            "SELECT id, execution_id, event FROM messages WHERE instance_id = ? AND visible_at <= ? ORDER BY visible_at, id",
            (instance_id, to_micros(now)),
        )
        return [Message(r[0], r[1], json.loads(r[2])) for r in rows]

    # -- episodes ----------------------------------------------------------------------------
    def commit_episode(self, commit: EpisodeCommit) -> None:
        stamp = iso(commit.now)
        try:
            self._commit_episode(commit, stamp)
        except BaseException:
            self._records.forget(commit.instance_id)
            raise
        self._records.committed(commit, from_iso(stamp))

    def _commit_episode(self, commit: EpisodeCommit, stamp: str) -> None:
        execution_id = commit.new_execution_id or commit.execution_id
        with self._tx() as db:
            # The instance row first: its update is also the check that the episode's execution is
            # still the instance's (no row changed: purged, or moved to another execution).
            updated = db.execute(
                _UPDATE_INSTANCE if commit.new_execution_id is None else _UPDATE_INSTANCE_NEW_EXECUTION,
                (
                    str(commit.status),
                    commit.output,
                    commit.custom_status,
                    commit.exec_state,
                    stamp,
                    execution_id,
                    *(() if commit.new_execution_id is None else (commit.new_input,)),
                    commit.instance_id,
                    commit.execution_id,
                ),
            ).rowcount
            if updated != 1:
                raise StaleCompletion(f"{commit.instance_id}: instance was purged or moved to another execution")
            self._step("consume")
            for message_id in commit.consumed:
                if db.execute("DELETE FROM messages WHERE id = ?", (message_id,)).rowcount != 1:
                    raise StaleCompletion(f"{commit.instance_id}: message {message_id} was already consumed")
            self._step("history")
            if commit.new_execution_id is not None:
                db.execute("DELETE FROM history WHERE instance_id = ?", (commit.instance_id,))
            if commit.append_history:
                self._append_history(db, commit)
            self._step("activities")
            if commit.activities:
                db.executemany(
                    "INSERT OR IGNORE INTO activities (instance_id, execution_id, task_id, name, input) VALUES (?,?,?,?,?)",
                    [(commit.instance_id, execution_id, a.task_id, a.name, a.input_json) for a in commit.activities],
                )
            self._step("messages")
            for message in commit.messages:
                self._insert(db, message)
            if commit.canceled_timers:
                db.executemany(
                    "DELETE FROM messages WHERE instance_id = ? AND task_id = ?",
                    [(commit.instance_id, timer_id) for timer_id in commit.canceled_timers],
                )
            for child in commit.children:
                self._start_child(db, commit.now, child)
            if commit.drop_pending_work:
                db.execute("DELETE FROM messages WHERE instance_id = ? AND task_id IS NOT NULL", (commit.instance_id,))
                db.execute("DELETE FROM activities WHERE instance_id = ? AND lock_token IS NULL", (commit.instance_id,))
            self._step("instance")
            self._step("commit")

    @staticmethod
    def _append_history(db: sqlite3.Connection, commit: EpisodeCommit) -> None:
        """Append the episode's events after the history it started from (see ``history_base``)."""
        if commit.new_execution_id is not None:
            seq = 0
        elif commit.history_base is not None:
            seq = commit.history_base
        else:
            row = db.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM history WHERE instance_id = ?", (commit.instance_id,))
            seq = row.fetchone()[0]
        try:
            db.executemany(
                "INSERT INTO history (instance_id, seq, event) VALUES (?,?,?)",
                [(commit.instance_id, seq + i, text) for i, text in enumerate(commit.append_history)],
            )
        except sqlite3.IntegrityError as err:  # a position past the episode's start is taken
            raise StaleCompletion(f"{commit.instance_id}: its history grew while the episode ran") from err

    def rewind(self, plan: RewindPlan) -> None:
        with self._tx() as db:
            for rewind in plan.instances:
                self._records.forget(rewind.instance_id)
                row = db.execute(
                    "SELECT execution_id FROM instances WHERE instance_id = ?", (rewind.instance_id,)
                ).fetchone()
                if row is None or row["execution_id"] != rewind.execution_id:
                    raise StaleCompletion(f"{rewind.instance_id}: instance changed while its rewind was planned")
                db.executemany(
                    "UPDATE history SET event = ? WHERE instance_id = ? AND seq = ?",
                    [(text, rewind.instance_id, seq) for seq, text in rewind.tombstones],
                )
                db.execute(
                    "UPDATE instances SET status = ?, exec_state = ?, last_updated_at = ? WHERE instance_id = ?",
                    (str(plan.status), rewind.exec_state, iso(plan.now), rewind.instance_id),
                )
                for message in rewind.messages:
                    self._insert(db, message)

    def _start_child(self, db: sqlite3.Connection, now: datetime, child: ChildStart) -> None:
        try:
            self._create(db, child.instance_id, child.name, child.execution_id, child.input_json, now, child.start, child.parent)
        except InstanceAlreadyExists:
            self._insert(db, child.on_conflict)
