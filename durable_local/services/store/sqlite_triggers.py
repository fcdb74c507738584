"""SQLite tables for :class:`~.trigger_state.TriggerStateStore`, mixed into ``SqliteStore``.

The tables are created on open when missing, so a state file written before trigger support
opens unchanged and gains them (the migration is additive). ``meta`` records the version of
this part of the schema; a file from a newer host with a higher version is refused rather than
half-understood.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ...errors import StoreError
from .sqlite_base import SqliteBase
from .trigger_state import BlobReceipt, ReceiptState, ScheduleStatus

#: Version of the trigger tables; bump it with a new step in ``_MIGRATIONS``.
TRIGGER_SCHEMA_VERSION = 1
_VERSION_KEY = "trigger_schema_version"

#: ``_MIGRATIONS[n]`` takes the trigger tables from version n to n + 1.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS timer_status (
            timer_name       TEXT PRIMARY KEY,
            last_at          TEXT,            -- ISO-8601 UTC; NULL before the first run
            next_at          TEXT NOT NULL,
            last_updated_at  TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS blob_receipts (
            function_name  TEXT NOT NULL,
            etag           TEXT NOT NULL,
            container      TEXT NOT NULL,
            blob_name      TEXT NOT NULL,
            state          TEXT NOT NULL,     -- ReceiptState
            attempts       INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (function_name, etag, container, blob_name)
        ) WITHOUT ROWID""",
    ),
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


class TriggerStateTables(SqliteBase):
    """The timer-status and blob-receipt tables (part of ``SqliteStore``)."""

    def _migrate_trigger_state(self) -> None:
        """Bring the trigger tables to :data:`TRIGGER_SCHEMA_VERSION` in one transaction."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (_VERSION_KEY,)).fetchone()
            version = int(row[0]) if row is not None else 0
            if version > TRIGGER_SCHEMA_VERSION:
                raise StoreError(
                    f"The state file was written by a newer durable_local (trigger tables version {version}, "
                    f"this host knows {TRIGGER_SCHEMA_VERSION}); upgrade, or use another --state file."
                )
            for step in _MIGRATIONS[version:]:
                for statement in step:
                    db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_VERSION_KEY, str(TRIGGER_SCHEMA_VERSION))
            )

    # -- timers ------------------------------------------------------------------------------
    def get_schedule_status(self, timer_name: str) -> ScheduleStatus | None:
        row = self._db.execute(
            "SELECT last_at, next_at, last_updated_at FROM timer_status WHERE timer_name = ?", (timer_name,)
        ).fetchone()
        if row is None:
            return None
        next_at, updated = _parse(row[1]), _parse(row[2])
        assert next_at is not None and updated is not None  # NOT NULL columns
        return ScheduleStatus(_parse(row[0]), next_at, updated)

    def set_schedule_status(self, timer_name: str, status: ScheduleStatus) -> None:
        last = _iso(status.last) if status.last is not None else None
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO timer_status (timer_name, last_at, next_at, last_updated_at) VALUES (?,?,?,?)",
                (timer_name, last, _iso(status.next), _iso(status.last_updated)),
            )

    # -- blob receipts -----------------------------------------------------------------------
    def get_blob_receipt(self, function_name: str, container: str, blob_name: str, etag: str) -> BlobReceipt | None:
        row = self._db.execute(
            "SELECT state, attempts FROM blob_receipts"
            " WHERE function_name = ? AND etag = ? AND container = ? AND blob_name = ?",
            (function_name, etag, container, blob_name),
        ).fetchone()
        if row is None:
            return None
        return BlobReceipt(function_name, container, blob_name, etag, ReceiptState(row[0]), int(row[1]))

    def add_blob_receipt(self, receipt: BlobReceipt) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO blob_receipts (function_name, etag, container, blob_name, state, attempts)"
                " VALUES (?,?,?,?,?,?)",
                _row(receipt),
            )
            return cursor.rowcount == 1

    def update_blob_receipt(self, receipt: BlobReceipt) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO blob_receipts (function_name, etag, container, blob_name, state, attempts)"
                " VALUES (?,?,?,?,?,?)",
                _row(receipt),
            )


def _row(receipt: BlobReceipt) -> tuple[str, str, str, str, str, int]:
    return (
        receipt.function_name,
        receipt.etag,
        receipt.container,
        receipt.blob_name,
        str(receipt.state),
        receipt.attempts,
    )

