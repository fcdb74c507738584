"""Instance queries of the SQLite store: filtered lists with paging, purge by id and by filter."""

from __future__ import annotations

from typing import Any

from ...instances import InstanceQuery, InstanceStatus
from .sqlite_base import SqliteBase, decode_token, encode_token, iso


class InstanceQueries(SqliteBase):
    """See :class:`durable_local.services.store.base.Store` for the contract of each method."""

    def list_instances(self, query: InstanceQuery) -> tuple[list[InstanceStatus], str | None]:
        where, args = self._where(query)
        if query.continuation_token:
            created, iid = decode_token(query.continuation_token)
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
            token = encode_token(rows[-1]["created_at"], rows[-1]["instance_id"])
        return [self._status(r) for r in rows], token

    @staticmethod
    def _where(query: InstanceQuery) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if query.created_from is not None:
            where.append("created_at >= ?")
            args.append(iso(query.created_from))
        if query.created_to is not None:
            where.append("created_at <= ?")
            args.append(iso(query.created_to))
        if query.statuses:
            where.append(f"status IN ({','.join('?' * len(query.statuses))})")
            args += sorted(str(s) for s in query.statuses)
        if query.instance_id_prefix:
            where.append("substr(instance_id, 1, ?) = ?")
            args += [len(query.instance_id_prefix), query.instance_id_prefix]
        return where, args

    def purge(self, instance_id: str) -> int:
        with self._tx() as db:
            return self._delete_instance(db, instance_id)

    def purge_many(self, query: InstanceQuery) -> int:
        where, args = self._where(query)
        sql = "SELECT instance_id FROM instances" + (" WHERE " + " AND ".join(where) if where else "")
        with self._tx() as db:
            ids = [r[0] for r in db.execute(sql, args).fetchall()]
            return sum(self._delete_instance(db, i) for i in ids)
