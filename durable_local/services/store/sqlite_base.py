"""The SQLite store's plumbing: connection, transactions, row conversion, message rows.

One file in WAL mode with ``synchronous=NORMAL``: a committed transaction survives ``kill -9``
of the host (only an OS crash or power loss can take the last commits). ``:memory:`` gives a
private in-memory database for tests. The connection is used from the host's event loop thread
only; each public method of the store is one transaction (durabletask-go ``backend/sqlite`` is
the model).
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from ...errors import ClientRequestError
from ...instances import InstanceStatus
from ...jsontext import dumps
from ...protocol import RuntimeStatus
from ...records import OutboundMessage
from .record_cache import RecordCache

_SCHEMA = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch: exact, and cheap to compare in SQL."""
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def iso(moment: datetime) -> str:
    """``2026-01-01T00:00:00.000000Z``: fixed width, so that the text sorts as the time does."""
    moment = moment.astimezone(UTC)
    if moment.year < 1000:  # isoformat pads the year to 4 digits, strftime's %Y does not
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.isoformat(timespec="microseconds")[:26] + "Z"  # a third of strftime's cost


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)  # 3.11 reads the trailing Z; strptime costs 10x more


class _Transaction:
    """The context manager of :meth:`SqliteBase._tx` (a class: cheaper than ``@contextmanager``)."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


class SqliteBase:
    """Connection and shared row helpers of :class:`~durable_local.services.store.sqlite.SqliteStore`."""

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
        #: test hook: called with a step name inside commit_episode; raising there aborts it
        self.fault = fault
        #: instance records this connection read or wrote (see :mod:`.record_cache`)
        self._records = RecordCache()
        self._records.check_version(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _tx(self) -> _Transaction:
        """``with self._tx() as db``: BEGIN IMMEDIATE, then COMMIT, or ROLLBACK on any exception."""
        return _Transaction(self._db)

    def _step(self, name: str) -> None:
        if self.fault is not None:
            self.fault(name)

    def close(self) -> None:
        self._db.close()

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
            created_at=from_iso(row["created_at"]),
            last_updated_at=from_iso(row["last_updated_at"]),
            parent_instance_id=row["parent_instance_id"],
        )

    def _insert(self, db: sqlite3.Connection, message: OutboundMessage) -> None:
        if message.auto_start:
            stamp = iso(message.visible_at)
            db.execute(
                "INSERT OR IGNORE INTO instances (instance_id, name, execution_id, status, created_at, last_updated_at)"
                " VALUES (?,?,?,?,?,?)",
                (message.instance_id, message.instance_id, "", str(RuntimeStatus.RUNNING), stamp, stamp),
            )
        # task_id holds a timer's id only, so that cancelling the timer can delete its message.
        db.execute(
            "INSERT INTO messages (instance_id, execution_id, visible_at, event_type, task_id, event) VALUES (?,?,?,?,?,?)",
            (
                message.instance_id,
                message.execution_id,
                to_micros(message.visible_at),
                message.event["EventType"],
                message.timer_id,
                dumps(message.event),
            ),
        )

    def _delete_instance(self, db: sqlite3.Connection, instance_id: str) -> int:
        self._records.forget(instance_id)
        for table in ("history", "messages", "activities", "entities", "entity_operations"):
            db.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))
        return db.execute("DELETE FROM instances WHERE instance_id = ?", (instance_id,)).rowcount


def encode_token(created: str, instance_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created, instance_id]).encode()).decode()


def decode_token(token: str) -> tuple[str, str]:
    try:
        created, instance_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(created), str(instance_id)
    except (ValueError, TypeError) as err:
        raise ClientRequestError(f"Invalid continuation token: {token[:64]!r}") from err
