"""The store serves instance records from what its own commits wrote, never a stale one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from durable_local.engine import history as h
from durable_local.errors import StaleCompletion
from durable_local.protocol import RuntimeStatus
from durable_local.records import EntityBatchCommit, EntityRecord, EpisodeCommit, OutboundMessage
from durable_local.services.store import SqliteStore

T0 = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(path)
    yield s
    s.close()


_COLUMNS = "status, execution_id, input, output, custom_status, exec_state, last_updated_at, created_at"


def _stored(path: Path, instance_id: str = "i1") -> tuple[Any, ...] | None:
    """The row as a read-only connection reads it from the file (a writer would reset the cache)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute(
            f"SELECT {_COLUMNS}, (SELECT COALESCE(MAX(seq) + 1, 0) FROM history WHERE instance_id = ?)"
            " FROM instances WHERE instance_id = ?",
            (instance_id, instance_id),
        ).fetchone()
        return tuple(row) if row is not None else None
    finally:
        db.close()


def _served(store: SqliteStore, instance_id: str = "i1") -> tuple[Any, ...] | None:
    """The same columns from the record the store serves."""
    record = store.get_instance(instance_id)
    if record is None:
        return None
    s = record.status
    stamp = "%Y-%m-%dT%H:%M:%S.%fZ"
    return (
        str(s.runtime_status), s.execution_id, s.input, s.output, s.custom_status, record.exec_state,
        s.last_updated_at.strftime(stamp), s.created_at.strftime(stamp), record.history_len,
    )


def _create(store: SqliteStore, instance_id: str = "i1", execution_id: str = "e1") -> None:
    start = h.execution_started(T0, name="orch", instance_id=instance_id, execution_id=execution_id, input_json='"x"')
    store.create_instance(instance_id=instance_id, name="orch", execution_id=execution_id, input_json='"x"', now=T0, start_event=start)


def _episode(store: SqliteStore, instance_id: str = "i1", **changes: Any) -> EpisodeCommit:
    """Commit one episode consuming every visible message, from the record the store serves."""
    record = store.get_instance(instance_id)
    assert record is not None
    messages = store.fetch_messages(instance_id, T0 + timedelta(days=1))
    commit = EpisodeCommit(
        instance_id=instance_id,
        execution_id=record.status.execution_id,
        now=T0 + timedelta(seconds=len(messages)),
        status=RuntimeStatus.RUNNING,
        output=None,
        custom_status=None,
        exec_state='{"n": 1}',
        append_history=(h.played_text(h.orchestrator_started(T0)), h.played_text(h.orchestrator_completed(T0))),
        consumed=tuple(m.id for m in messages),
        history_base=record.history_len,
    )
    commit = replace(commit, **changes)
    store.commit_episode(commit)
    return commit


def test_the_record_after_each_kind_of_episode_is_the_stored_row(store: SqliteStore, path: Path) -> None:
    _create(store)
    assert _served(store) == _stored(path)
    _episode(store, custom_status='{"stage": 1}')
    assert _served(store) == _stored(path)
    store.enqueue(OutboundMessage("i1", "e1", h.timer_fired(T0, 0, T0), T0))
    _episode(store, new_execution_id="e2", new_input='"next"', status=RuntimeStatus.RUNNING)
    assert _served(store) == _stored(path)
    record = store.get_instance("i1")
    assert record is not None and record.status.execution_id == "e2" and record.history_len == 2
    store.enqueue(OutboundMessage("i1", "e2", h.timer_fired(T0, 1, T0), T0))
    _episode(store, status=RuntimeStatus.COMPLETED, output='"done"', drop_pending_work=True)
    assert _served(store) == _stored(path)
    record = store.get_instance("i1")
    assert record is not None and record.status.runtime_status is RuntimeStatus.COMPLETED and record.history_len == 4


def test_a_commit_by_another_connection_is_seen_by_the_next_read(store: SqliteStore, path: Path) -> None:
    _create(store)
    _episode(store)
    assert store.get_instance("i1").status.custom_status is None
    other = sqlite3.connect(path)
    with other:
        other.execute("UPDATE instances SET custom_status = ? WHERE instance_id = ?", ('"from elsewhere"', "i1"))
    other.close()
    assert store.get_instance("i1").status.custom_status == '"from elsewhere"'


def test_purge_recreate_rewind_and_entity_batches_are_seen_by_the_next_read(store: SqliteStore, path: Path) -> None:
    _create(store)
    _episode(store, status=RuntimeStatus.COMPLETED, output='"done"')
    _create(store, execution_id="e2")  # replaces the finished instance
    assert _served(store) == _stored(path)
    assert store.get_instance("i1").status.runtime_status is RuntimeStatus.PENDING
    store.purge("i1")
    assert store.get_instance("i1") is None
    # an entity: auto-started by its first message, then changed by its batch
    entity_id = "@counter@a"
    store.enqueue(OutboundMessage(entity_id, None, h.event_raised(T0, "op", None), T0, auto_start=True))
    assert _served(store, entity_id) == _stored(path, entity_id)
    [request] = store.fetch_messages(entity_id, T0)
    store.commit_entity_batch(
        EntityBatchCommit(
            entity=EntityRecord(entity_id, "counter", "a", True, "1", T0),
            input='{"state": 1}',
            custom_status='{"entityExists": true}',
            consumed=(request.id,),
            messages=(),
            operations=(),
        )
    )
    assert _served(store, entity_id) == _stored(path, entity_id)
    assert store.get_instance(entity_id).status.input == '{"state": 1}'


def test_a_failed_or_stale_commit_leaves_the_stored_record(store: SqliteStore, path: Path) -> None:
    _create(store)
    record = store.get_instance("i1")
    [start] = store.fetch_messages("i1", T0)
    stale = EpisodeCommit(
        instance_id="i1",
        execution_id="e1",
        now=T0,
        status=RuntimeStatus.RUNNING,
        output=None,
        custom_status='"never"',
        exec_state="{}",
        append_history=(),
        consumed=(start.id + 100,),  # not a queued message
        history_base=0,
    )
    with pytest.raises(StaleCompletion):
        store.commit_episode(stale)
    assert store.get_instance("i1") == record and _served(store) == _stored(path)
    store.fault = lambda step: (_ for _ in ()).throw(OSError(step)) if step == "instance" else None
    with pytest.raises(OSError, match="instance"):
        _episode(store, custom_status='"never"')
    store.fault = None
    assert store.get_instance("i1") == record and _served(store) == _stored(path)


def test_the_read_after_an_episode_commit_needs_no_query_of_the_instance(store: SqliteStore) -> None:
    _create(store)
    _episode(store, custom_status='{"stage": 1}')
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    try:
        record = store.get_instance("i1")
    finally:
        store._db.set_trace_callback(None)
    assert record is not None and record.status.custom_status == '{"stage": 1}'
    assert statements == ["PRAGMA data_version"]


def test_the_first_read_after_a_create_needs_no_query_and_is_the_stored_row(store: SqliteStore, path: Path) -> None:
    _create(store)
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    try:
        served = _served(store)
    finally:
        store._db.set_trace_callback(None)
    assert statements == ["PRAGMA data_version"]
    assert served == _stored(path)


def test_the_cache_keeps_few_large_records_and_serves_the_rest_from_the_file(tmp_path: Path) -> None:
    from durable_local.services.store.record_cache import RecordCache

    store = SqliteStore(tmp_path / "state.sqlite")
    store._records = RecordCache(size=3, max_chars=10_000)
    try:
        for i in range(5):
            _create(store, f"i{i}")
            _episode(store, f"i{i}", exec_state="x" * (300 if i != 2 else 2_000))  # i2: over a tenth
        statements: list[str] = []
        store._db.set_trace_callback(statements.append)
        served = {i: store.get_instance(f"i{i}") for i in (4, 3, 2, 1, 0)}  # newest first: misses evict
        store._db.set_trace_callback(None)
        reads = [s for s in statements if s.startswith("SELECT")]
        # kept: the three newest small records (i1, i3, i4); i0 was evicted by the entry limit and
        # i2, over a tenth of the character budget, was never kept
        assert [r.split("'")[-2] for r in reads] == ["i2", "i0"]
        assert all(served[i] is not None and served[i].exec_state.startswith("x") for i in range(5))
    finally:
        store.close()


def test_the_cache_evicts_the_oldest_records_beyond_its_character_budget() -> None:
    from durable_local.instances import InstanceStatus
    from durable_local.records import InstanceRecord
    from durable_local.services.store.record_cache import RecordCache

    def record(instance_id: str) -> InstanceRecord:
        status = InstanceStatus(instance_id, "orch", RuntimeStatus.RUNNING, "e1", None, None, None, T0, T0)
        return InstanceRecord(status, "s" * 90, None, 0)

    cache = RecordCache(size=100, max_chars=1_000)
    for i in range(12):
        cache.put(f"i{i}", record(f"i{i}"))
    kept = [i for i in range(12) if cache.get(f"i{i}") is not None]
    assert kept == list(range(1, 12))  # 11 x 90 characters fit in 1,000
    cache.forget("i5")
    cache.put("i12", record("i12"))
    assert cache.get("i1") is not None and cache.get("i12") is not None  # the forgotten one made room
