"""SQLite implementation of :class:`durable_local.store.base.Store`.

It persists what it is given (:mod:`durable_local.records`) and builds no history events.
One file in WAL mode with ``synchronous=NORMAL``: a committed transaction survives ``kill -9``
of the host (only an OS crash or power loss can take the last commits). ``:memory:`` gives a
private in-memory database for tests. The connection is used from the host's event loop thread
only; each public method is one transaction (durabletask-go ``backend/sqlite`` is the model).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import ClientRequestError, InstanceAlreadyExists, StaleCompletion
from ...instances import InstanceQuery, InstanceStatus
from ...protocol import TERMINAL_STATUSES, WAKES_SUSPENDED_TYPES, HistoryEvent, RuntimeStatus
from ...records import (
    ActivityItem,
    ActivityOutcome,
    ChildStart,
    EpisodeCommit,
    InstanceRecord,
    Message,
    OutboundMessage,
    ParentRef,
)
from .sqlite_triggers import TriggerStateTables

logger = logging.getLogger(__name__)

_SCHEMA = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")
_TERMINAL = tuple(str(s) for s in TERMINAL_STATUSES)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch: exact, and cheap to compare in SQL."""
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)  # 3.11 reads the trailing Z; strptime costs 10x more


class SqliteStore(TriggerStateTables):
    """The local host's durable state. See :class:`durable_local.store.base.Store` for the contract.

    Also the trigger bookkeeping of :class:`~.trigger_state.TriggerStateStore` (:mod:`.sqlite_triggers`).
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, fault: Callable[[str], None] | None = None) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        try:
            self._migrate_trigger_state()
        except BaseException:
            self._db.close()
            raise
        #: test hook: called with a step name inside commit_episode; raising there aborts it
        self.fault = fault

    # -- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def _step(self, name: str) -> None:
        if self.fault is not None:
            self.fault(name)

    def close(self) -> None:
        self._db.close()

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
    ) -> None:
        with self._tx() as db:
            self._create(db, instance_id, name, execution_id, input_json, now, start_event, parent)

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
    ) -> None:
        row = db.execute("SELECT status FROM instances WHERE instance_id = ?", (instance_id,)).fetchone()
        if row is not None:
            if row["status"] not in _TERMINAL:
                raise InstanceAlreadyExists(instance_id, row["status"])
            # ext default OverridableExistingInstanceStates = NonRunningStates: replace it.
            self._delete_instance(db, instance_id)
        stamp = _iso(now)
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
        row = self._db.execute(
            "SELECT *, (SELECT COALESCE(MAX(seq) + 1, 0) FROM history h WHERE h.instance_id = i.instance_id) AS history_len"
            " FROM instances i WHERE instance_id = ?",
            (instance_id,),
        ).fetchone()
        return self._record(row) if row is not None else None

    def _record(self, row: sqlite3.Row) -> InstanceRecord:
        parent = None
        if row["parent_instance_id"] is not None:
            parent = ParentRef(row["parent_instance_id"], row["parent_execution_id"], row["parent_task_id"])
        return InstanceRecord(self._status(row), row["exec_state"], parent, row["history_len"])

    @staticmethod
    def _status(row: sqlite3.Row) -> InstanceStatus:
        return InstanceStatus(
            instance_id=row["instance_id"],
            name=row["name"],
            runtime_status=RuntimeStatus(row["status"]),
            execution_id=row["execution_id"],
            input=row["input"],
            output=row["output"],
            custom_status=row["custom_status"],
            created_at=_from_iso(row["created_at"]),
            last_updated_at=_from_iso(row["last_updated_at"]),
            parent_instance_id=row["parent_instance_id"],
        )

    def get_history(self, instance_id: str) -> list[HistoryEvent]:
        return [json.loads(text) for text in self.get_history_texts(instance_id)]

    def get_history_texts(self, instance_id: str) -> list[str]:
        rows = self._db.execute("SELECT event FROM history WHERE instance_id = ? ORDER BY seq", (instance_id,))
        return [r[0] for r in rows]

    def list_instances(self, query: InstanceQuery) -> tuple[list[InstanceStatus], str | None]:
        where, args = self._where(query)
        if query.continuation_token:
            created, iid = _decode_token(query.continuation_token)
            where.append("(created_at, instance_id) > (?, ?)")
            args += [created, iid]
        sql = "SELECT * FROM instances"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, instance_id"
        limit = query.top if query.top and query.top > 0 else None
        if limit:
            sql += f" LIMIT {int(limit) + 1}"
        rows = self._db.execute(sql, args).fetchall()
        token = None
        if limit and len(rows) > limit:
            rows = rows[:limit]
            token = _encode_token(rows[-1]["created_at"], rows[-1]["instance_id"])
        return [self._status(r) for r in rows], token

    @staticmethod
    def _where(query: InstanceQuery) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if query.created_from is not None:
            where.append("created_at >= ?")
            args.append(_iso(query.created_from))
        if query.created_to is not None:
            where.append("created_at <= ?")
            args.append(_iso(query.created_to))
        if query.statuses:
            where.append(f"status IN ({','.join('?' * len(query.statuses))})")
            args += sorted(str(s) for s in query.statuses)
        if query.instance_id_prefix:
            where.append("substr(instance_id, 1, ?) = ?")
            args += [len(query.instance_id_prefix), query.instance_id_prefix]
        return where, args

    # -- messages ----------------------------------------------------------------------------
    @staticmethod
    def _insert(db: sqlite3.Connection, message: OutboundMessage) -> None:
        # task_id holds a timer's id only, so that cancelling the timer can delete its message.
        db.execute(
            "INSERT INTO messages (instance_id, execution_id, visible_at, event_type, task_id, event) VALUES (?,?,?,?,?,?)",
            (
                message.instance_id,
                message.execution_id,
                to_micros(message.visible_at),
                message.event["EventType"],
                message.timer_id,
                json.dumps(message.event),
            ),
        )

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

    def next_visible_at(self) -> datetime | None:
        row = self._db.execute("SELECT MIN(visible_at) FROM messages").fetchone()
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
        with self._tx() as db:
            row = db.execute(
                "SELECT execution_id, COALESCE((SELECT MAX(seq) FROM history WHERE instance_id = ?), -1) AS last"
                " FROM instances WHERE instance_id = ?",
                (commit.instance_id, commit.instance_id),
            ).fetchone()
            if row is None or row["execution_id"] != commit.execution_id:
                raise StaleCompletion(f"{commit.instance_id}: instance was purged or moved to another execution")
            self._step("consume")
            for message_id in commit.consumed:
                if db.execute("DELETE FROM messages WHERE id = ?", (message_id,)).rowcount != 1:
                    raise StaleCompletion(f"{commit.instance_id}: message {message_id} was already consumed")
            self._step("history")
            seq = row["last"] + 1
            execution_id = commit.execution_id
            if commit.new_execution_id is not None:
                db.execute("DELETE FROM history WHERE instance_id = ?", (commit.instance_id,))
                execution_id = commit.new_execution_id
                seq = 0
            db.executemany(
                "INSERT INTO history (instance_id, seq, event) VALUES (?,?,?)",
                [(commit.instance_id, seq + i, text) for i, text in enumerate(commit.append_history)],
            )
            self._step("activities")
            db.executemany(
                "INSERT OR IGNORE INTO activities (instance_id, execution_id, task_id, name, input) VALUES (?,?,?,?,?)",
                [(commit.instance_id, execution_id, a.task_id, a.name, a.input_json) for a in commit.activities],
            )
            self._step("messages")
            for message in commit.messages:
                self._insert(db, message)
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
            db.execute(
                "UPDATE instances SET status = ?, output = ?, custom_status = ?, exec_state = ?, last_updated_at = ?,"
                " execution_id = ? WHERE instance_id = ?",
                (
                    str(commit.status),
                    commit.output,
                    commit.custom_status,
                    commit.exec_state,
                    _iso(commit.now),
                    execution_id,
                    commit.instance_id,
                ),
            )
            if commit.new_execution_id is not None:
                db.execute("UPDATE instances SET input = ? WHERE instance_id = ?", (commit.new_input, commit.instance_id))
            self._step("commit")

    def _start_child(self, db: sqlite3.Connection, now: datetime, child: ChildStart) -> None:
        try:
            self._create(db, child.instance_id, child.name, child.execution_id, child.input_json, now, child.start, child.parent)
        except InstanceAlreadyExists:
            self._insert(db, child.on_conflict)

    # -- activities --------------------------------------------------------------------------
    def claim_activities(self, limit: int) -> list[ActivityItem]:
        # A read first: the idle loop asks often, and a write transaction costs more.
        if self._db.execute("SELECT 1 FROM activities WHERE lock_token IS NULL LIMIT 1").fetchone() is None:
            return []
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM activities WHERE lock_token IS NULL ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
            items = []
            for r in rows:
                token = uuid.uuid4().hex
                db.execute("UPDATE activities SET lock_token = ?, attempts = attempts + 1 WHERE id = ?", (token, r["id"]))
                items.append(
                    ActivityItem(r["id"], r["instance_id"], r["execution_id"], r["task_id"], r["name"], r["input"], token, r["attempts"] + 1)
                )
            return items

    def complete_activities(self, outcomes: list[ActivityOutcome]) -> list[ActivityItem]:
        stale: list[ActivityItem] = []
        with self._tx() as db:
            for outcome in outcomes:
                item = outcome.item
                deleted = db.execute(
                    "DELETE FROM activities WHERE id = ? AND lock_token = ?", (item.id, item.lock_token)
                ).rowcount
                if deleted != 1:
                    stale.append(item)
                    continue
                self._insert(db, OutboundMessage(item.instance_id, item.execution_id, outcome.event, outcome.visible_at))
        return stale

    def release_leases(self) -> int:
        with self._tx() as db:
            return db.execute("UPDATE activities SET lock_token = NULL WHERE lock_token IS NOT NULL").rowcount

    def pending_activity_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM activities").fetchone()[0])

    # -- purge -------------------------------------------------------------------------------
    @staticmethod
    def _delete_instance(db: sqlite3.Connection, instance_id: str) -> int:
        for table in ("history", "messages", "activities"):
            db.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))
        return db.execute("DELETE FROM instances WHERE instance_id = ?", (instance_id,)).rowcount

    def purge(self, instance_id: str) -> int:
        with self._tx() as db:
            return self._delete_instance(db, instance_id)

    def purge_many(self, query: InstanceQuery) -> int:
        where, args = self._where(query)
        sql = "SELECT instance_id FROM instances" + (" WHERE " + " AND ".join(where) if where else "")
        with self._tx() as db:
            ids = [r[0] for r in db.execute(sql, args).fetchall()]
            return sum(self._delete_instance(db, i) for i in ids)


def _encode_token(created: str, instance_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created, instance_id]).encode()).decode()


def _decode_token(token: str) -> tuple[str, str]:
    try:
        created, instance_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(created), str(instance_id)
    except (ValueError, TypeError) as err:
        raise ClientRequestError(f"Invalid continuation token: {token[:64]!r}") from err
