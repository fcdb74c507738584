"""Reading a host's SQLite state file directly (schema: ``durable_local/store/schema.sql``).

Used after a SIGKILL, before the restart, to learn exactly what was committed when the host
died, and after a clean stop to check the final histories. The reader opens its own
connection and closes it before the host is started again.

Entities: an entity is an instance ``@name@key`` whose queued messages are its operation
requests (EventRaised named ``op``, the extension's ``RequestMessage`` JSON as input) and whose
row in ``entities`` holds the state its function returned (:class:`EntityRow`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from durable_local.protocol import EventType


@dataclass(frozen=True)
class Activity:
    instance_id: str
    task_id: int
    name: str
    leased: bool


@dataclass(frozen=True)
class EntityRow:
    """An entity's committed row: whether it exists and its state (decoded JSON; None if none)."""

    exists: bool
    state: Any


@dataclass(frozen=True)
class EntityRequest:
    """One queued operation request of an entity (ext ``RequestMessage``)."""

    operation: str
    #: the operation input as its JSON text, None when the request carries none
    input_text: str | None
    signal: bool
    #: the calling orchestration's instance id; None for a signal from a client
    parent: str | None


@dataclass
class StateSnapshot:
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    entities: dict[str, EntityRow] = field(default_factory=dict)

    def leased(self) -> set[tuple[str, int]]:
        """(instance, task id) of every activity that was running (leased)."""
        return {(a.instance_id, a.task_id) for a in self.activities if a.leased}

    def leased_by_name(self) -> set[tuple[str, str]]:
        return {(a.instance_id, a.name) for a in self.activities if a.leased}

    def completed_tasks(self) -> set[tuple[str, int]]:
        """(instance, task id) of every activity whose result was committed (in history or queued)."""
        done = {
            (iid, e["TaskScheduledId"])
            for iid, events in self.history.items()
            for e in events
            if e["EventType"] in (EventType.TASK_COMPLETED, EventType.TASK_FAILED)
        }
        done |= {
            (iid, e["TaskScheduledId"])
            for iid, e in self.messages
            if e["EventType"] in (EventType.TASK_COMPLETED, EventType.TASK_FAILED)
        }
        return done

    def entity_requests(self, instance_id: str) -> list[EntityRequest]:
        """The operation requests queued for entity ``instance_id`` (``@name@key``), in arrival order."""
        requests = []
        for iid, event in self.messages:
            if iid == instance_id and event["EventType"] == EventType.EVENT_RAISED and event.get("Name") == "op":
                raw = json.loads(event["Input"])
                requests.append(EntityRequest(raw["op"], raw.get("input"), bool(raw.get("signal")), raw.get("parent")))
        return requests


def read_state(path: Path) -> StateSnapshot:
    snapshot = StateSnapshot()
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        for row in db.execute("SELECT * FROM instances"):
            snapshot.instances[row["instance_id"]] = dict(row)
        for row in db.execute("SELECT instance_id, event FROM history ORDER BY instance_id, seq"):
            snapshot.history.setdefault(row["instance_id"], []).append(json.loads(row["event"]))
        for row in db.execute("SELECT instance_id, event FROM messages ORDER BY id"):
            snapshot.messages.append((row["instance_id"], json.loads(row["event"])))
        for row in db.execute("SELECT instance_id, task_id, name, lock_token FROM activities ORDER BY id"):
            snapshot.activities.append(Activity(row["instance_id"], row["task_id"], row["name"], row["lock_token"] is not None))
        for row in db.execute("SELECT instance_id, entity_exists, state FROM entities"):
            state = json.loads(row["state"]) if row["state"] is not None else None
            snapshot.entities[row["instance_id"]] = EntityRow(bool(row["entity_exists"]), state)
    finally:
        db.close()
    return snapshot
