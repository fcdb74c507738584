"""Durable entities in the SQLite store: batch commits, entity rows, the recent-operations log.

An entity is an instance row (``@name@key``) whose queued messages are its operation requests
(created by the first message, ``OutboundMessage.auto_start``); the ``entities`` table keeps
what its function returned. A batch commit updates both, deletes the requests it consumed,
queues the responses and logs the operations, in one transaction.
"""

from __future__ import annotations

from typing import Any

from ...errors import StaleCompletion
from ...records import EntityBatchCommit, EntityOperationRecord, EntityQuery, EntityRecord
from .sqlite_base import SqliteBase, decode_token, encode_token, from_iso, iso

#: operations kept per entity for the dashboard
OPERATIONS_KEPT = 100


class EntityTables(SqliteBase):
    """See :class:`durable_local.services.store.base.Store` for the contract of each method."""

    def commit_entity_batch(self, commit: EntityBatchCommit) -> None:
        entity = commit.entity
        self._records.forget(entity.instance_id)  # its row's input and custom status change
        with self._tx() as db:
            if db.execute("SELECT 1 FROM instances WHERE instance_id = ?", (entity.instance_id,)).fetchone() is None:
                raise StaleCompletion(f"{entity.instance_id}: the entity was purged while its batch ran")
            for message_id in commit.consumed:
                if db.execute("DELETE FROM messages WHERE id = ?", (message_id,)).rowcount != 1:
                    raise StaleCompletion(f"{entity.instance_id}: message {message_id} was already consumed")
            stamp = iso(entity.last_operation_at)
            db.execute(
                "INSERT INTO entities (instance_id, name, entity_key, entity_exists, state, last_operation_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (instance_id) DO UPDATE SET entity_exists = excluded.entity_exists,"
                " state = excluded.state, last_operation_at = excluded.last_operation_at",
                (entity.instance_id, entity.name, entity.key, int(entity.exists), entity.state, stamp),
            )
            db.execute(
                "UPDATE instances SET input = ?, custom_status = ?, last_updated_at = ? WHERE instance_id = ?",
                (commit.input, commit.custom_status, stamp, entity.instance_id),
            )
            for message in commit.messages:
                self._insert(db, message)
            db.executemany(
                "INSERT INTO entity_operations (instance_id, at, operation, caller, signal, succeeded, result, duration_ms)"
                " VALUES (?,?,?,?,?,?,?,?)",
                [
                    (entity.instance_id, iso(op.at), op.operation, op.caller, int(op.signal), int(op.succeeded), op.result, op.duration_ms)
                    for op in commit.operations
                ],
            )
            db.execute(
                "DELETE FROM entity_operations WHERE instance_id = ? AND id NOT IN"
                " (SELECT id FROM entity_operations WHERE instance_id = ? ORDER BY id DESC LIMIT ?)",
                (entity.instance_id, entity.instance_id, OPERATIONS_KEPT),
            )

    def get_entity(self, instance_id: str) -> EntityRecord | None:
        row = self._db.execute("SELECT * FROM entities WHERE instance_id = ?", (instance_id,)).fetchone()
        return _entity(row) if row is not None else None

    def list_entities(self, query: EntityQuery) -> tuple[list[EntityRecord], str | None]:
        where: list[str] = []
        args: list[Any] = []
        if query.instance_id_prefix:
            where.append("substr(instance_id, 1, ?) = ?")
            args += [len(query.instance_id_prefix), query.instance_id_prefix]
        if query.last_operation_from is not None:
            where.append("last_operation_at >= ?")
            args.append(iso(query.last_operation_from))
        if query.last_operation_to is not None:
            where.append("last_operation_at <= ?")
            args.append(iso(query.last_operation_to))
        if query.require_exists:
            where.append("entity_exists = 1")
        if query.require_state:
            where.append("state IS NOT NULL")
        if query.continuation_token:
            after, instance_id = decode_token(query.continuation_token)
            where.append("(last_operation_at, instance_id) > (?, ?)")
            args += [after, instance_id]
        sql = "SELECT * FROM entities" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY last_operation_at, instance_id"
        limit = query.top if query.top and query.top > 0 else None
        if limit:
            sql += f" LIMIT {int(limit) + 1}"
        rows = self._db.execute(sql, args).fetchall()
        token = None
        if limit and len(rows) > limit:
            rows = rows[:limit]
            token = encode_token(rows[-1]["last_operation_at"], rows[-1]["instance_id"])
        return [_entity(row) for row in rows], token

    def entity_operations(self, instance_id: str, limit: int) -> list[EntityOperationRecord]:
        rows = self._db.execute(
            "SELECT * FROM entity_operations WHERE instance_id = ? ORDER BY id DESC LIMIT ?", (instance_id, limit)
        ).fetchall()
        return [
            EntityOperationRecord(
                at=from_iso(row["at"]),
                operation=row["operation"],
                caller=row["caller"],
                signal=bool(row["signal"]),
                succeeded=bool(row["succeeded"]),
                result=row["result"],
                duration_ms=row["duration_ms"],
            )
            for row in rows
        ]

    def remove_empty_entities(self) -> int:
        with self._tx() as db:
            ids = [
                row[0]
                for row in db.execute(
                    "SELECT e.instance_id FROM entities e WHERE e.entity_exists = 0"
                    " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.instance_id = e.instance_id)"
                )
            ]
            return sum(self._delete_instance(db, instance_id) for instance_id in ids)


def _entity(row: Any) -> EntityRecord:
    return EntityRecord(
        instance_id=row["instance_id"],
        name=row["name"],
        key=row["entity_key"],
        exists=bool(row["entity_exists"]),
        state=row["state"],
        last_operation_at=from_iso(row["last_operation_at"]),
    )
