"""The activity work queue of the SQLite store: leases, results, release after a crash.

Activity invocations are rows; a lease (``lock_token``) marks one in flight. Leases of a dead
process are released at start-up, so its in-flight activities run again (at least once, as in
production).
"""

from __future__ import annotations

import uuid

from ...records import ActivityItem, ActivityOutcome, OutboundMessage
from .sqlite_base import SqliteBase


class ActivityQueue(SqliteBase):
    """See :class:`durable_local.services.store.base.Store` for the contract of each method."""

    def claim_activities(self, limit: int) -> list[ActivityItem]:
        # A read first: the idle loop asks often, and a write transaction costs more.
        if self._db.execute("SELECT 1 FROM activities WHERE lock_token IS NULL LIMIT 1").fetchone() is None:
            return []
        # One token for the claim: a lease is the pair (row id, token), and the token is new for
        # every claim, so a row claimed again (after a crash released it) never matches the old lease.
        token = uuid.uuid4().hex
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM activities WHERE lock_token IS NULL ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
            db.executemany(
                "UPDATE activities SET lock_token = ?, attempts = attempts + 1 WHERE id = ?", [(token, r["id"]) for r in rows]
            )
            return [
                ActivityItem(r["id"], r["instance_id"], r["execution_id"], r["task_id"], r["name"], r["input"], token, r["attempts"] + 1)
                for r in rows
            ]

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
