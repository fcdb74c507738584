"""The Store contract, checked on an in-memory database and on a file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from durable_local.engine import history as h
from durable_local.errors import InstanceAlreadyExists, StaleCompletion
from durable_local.instances import InstanceQuery
from durable_local.protocol import EventType, RuntimeStatus
from durable_local.records import (
    ActivityOutcome,
    ActivityWork,
    ChildStart,
    EpisodeCommit,
    OutboundMessage,
    ParentRef,
)
from durable_local.services.store import SqliteStore

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    path = ":memory:" if request.param == "memory" else tmp_path / "state.sqlite"
    s = SqliteStore(path)
    yield s
    s.close()


def _create(store: SqliteStore, instance_id: str = "i1", at: datetime = T0, execution_id: str = "e1") -> None:
    start = h.execution_started(at, name="orch", instance_id=instance_id, execution_id=execution_id, input_json='"x"')
    store.create_instance(
        instance_id=instance_id, name="orch", execution_id=execution_id, input_json='"x"', now=at, start_event=start
    )


def _commit(store: SqliteStore, consumed: list[int], **changes: Any) -> EpisodeCommit:
    commit = EpisodeCommit(
        instance_id="i1",
        execution_id="e1",
        now=T0,
        status=RuntimeStatus.RUNNING,
        output=None,
        custom_status=None,
        exec_state="{}",
        append_history=(h.played_text(h.orchestrator_started(T0)), h.played_text(h.orchestrator_completed(T0))),
        consumed=tuple(consumed),
    )
    return replace(commit, **{key: tuple(value) if isinstance(value, list) else value for key, value in changes.items()})


def _timer(timer_id: int, fire_at: datetime) -> OutboundMessage:
    return OutboundMessage("i1", "e1", h.timer_fired(fire_at, timer_id, fire_at), fire_at, timer_id=timer_id)


def test_created_instance_is_pending_with_its_start_message(store: SqliteStore) -> None:
    _create(store)
    record = store.get_instance("i1")
    assert record is not None and record.status.runtime_status is RuntimeStatus.PENDING
    assert record.status.input == '"x"' and record.status.created_at == T0
    messages = store.fetch_messages("i1", T0)
    assert [m.event["EventType"] for m in messages] == [EventType.EXECUTION_STARTED]
    assert store.ready_instances(T0, 10) == ["i1"]


def test_creating_over_a_live_instance_raises_and_over_a_finished_one_replaces_it(store: SqliteStore) -> None:
    _create(store)
    with pytest.raises(InstanceAlreadyExists):
        _create(store)
    [message] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [message.id], status=RuntimeStatus.COMPLETED, output='"done"'))
    _create(store, execution_id="e2")
    assert store.get_instance("i1").status.execution_id == "e2"
    assert store.get_history("i1") == []


def test_messages_become_visible_at_their_time_and_the_next_one_is_reported(store: SqliteStore) -> None:
    _create(store)
    later = T0 + timedelta(days=2)
    store.enqueue(_timer(0, later))
    assert [m.event["EventType"] for m in store.fetch_messages("i1", T0)] == [EventType.EXECUTION_STARTED]
    assert [m.event["EventType"] for m in store.fetch_messages("i1", later)] == [EventType.EXECUTION_STARTED, EventType.TIMER_FIRED]
    assert store.next_visible_at() == T0
    # After a time: the next message still to become visible (what is visible already is not waited for).
    assert store.next_visible_at(after=T0) == later
    assert store.next_visible_at(after=later) is None
    [start] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [start.id]))
    assert store.next_visible_at() == later
    assert store.ready_instances(T0, 10) == []
    assert store.ready_instances(later, 10) == ["i1"]


def test_episode_commit_writes_everything_together(store: SqliteStore) -> None:
    _create(store)
    [start] = store.fetch_messages("i1", T0)
    fire = T0 + timedelta(hours=1)
    store.commit_episode(
        _commit(
            store,
            [start.id],
            activities=[ActivityWork(0, "act", '"in"')],
            messages=[_timer(1, fire)],
            custom_status='{"stage": 1}',
        )
    )
    assert store.fetch_messages("i1", T0) == []
    assert [e["EventType"] for e in store.get_history("i1")] == [EventType.ORCHESTRATOR_STARTED, EventType.ORCHESTRATOR_COMPLETED]
    assert store.get_instance("i1").status.custom_status == '{"stage": 1}'
    assert store.pending_activity_count() == 1 and store.next_visible_at() == fire


@pytest.mark.parametrize("step", ["consume", "history", "activities", "messages", "instance", "commit"])
def test_a_failure_at_any_step_of_an_episode_commit_leaves_nothing_behind(store: SqliteStore, step: str) -> None:
    _create(store)
    [start] = store.fetch_messages("i1", T0)

    def fail_at(name: str) -> None:
        if name == step:
            raise OSError(f"injected failure at {name}")

    store.fault = fail_at
    with pytest.raises(OSError, match=f"injected failure at {step}"):
        store.commit_episode(
            _commit(store, [start.id], activities=[ActivityWork(0, "act", None)], messages=[_timer(1, T0 + timedelta(hours=1))])
        )
    store.fault = None
    assert [m.id for m in store.fetch_messages("i1", T0)] == [start.id]
    assert store.get_history("i1") == []
    assert store.pending_activity_count() == 0
    assert store.get_instance("i1").status.runtime_status is RuntimeStatus.PENDING
    # and the retried commit succeeds
    store.commit_episode(_commit(store, [start.id], activities=[ActivityWork(0, "act", None)]))
    assert store.pending_activity_count() == 1


def test_commits_for_another_execution_or_an_already_consumed_message_are_stale(store: SqliteStore) -> None:
    _create(store)
    [start] = store.fetch_messages("i1", T0)
    with pytest.raises(StaleCompletion):
        store.commit_episode(_commit(store, [start.id], execution_id="old-execution"))
    store.commit_episode(_commit(store, [start.id]))
    with pytest.raises(StaleCompletion):
        store.commit_episode(_commit(store, [start.id]))
    assert len(store.get_history("i1")) == 2  # the duplicate wrote nothing


def test_an_episode_appends_after_the_history_it_started_from(store: SqliteStore) -> None:
    _create(store)
    [start] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [start.id], history_base=0))
    record = store.get_instance("i1")
    assert record is not None and record.history_len == 2
    store.enqueue(_timer(5, T0))
    [fired] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [fired.id], history_base=record.history_len))
    assert [e["EventType"] for e in store.get_history("i1")] == [
        EventType.ORCHESTRATOR_STARTED,
        EventType.ORCHESTRATOR_COMPLETED,
    ] * 2
    assert store.get_instance("i1").history_len == 4


def test_a_commit_whose_history_grew_meanwhile_is_stale_and_writes_nothing(store: SqliteStore) -> None:
    _create(store)
    [start] = store.fetch_messages("i1", T0)
    store.enqueue(_timer(5, T0))
    # two episodes that both read the instance before either committed, each consuming a message
    first, second = store.fetch_messages("i1", T0)
    assert first.id == start.id
    store.commit_episode(_commit(store, [first.id], history_base=0))
    with pytest.raises(StaleCompletion, match="history grew"):
        store.commit_episode(_commit(store, [second.id], history_base=0, custom_status='"late"'))
    assert [m.id for m in store.fetch_messages("i1", T0)] == [second.id]  # not consumed
    assert len(store.get_history("i1")) == 2
    assert store.get_instance("i1").status.custom_status is None  # the instance row was not updated


def test_activity_lease_completion_and_lost_lease(store: SqliteStore) -> None:
    _create(store)
    [start] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [start.id], activities=[ActivityWork(0, "a", None), ActivityWork(1, "b", None)]))
    first = store.claim_activities(1)
    assert [i.task_id for i in first] == [0]
    assert [i.task_id for i in store.claim_activities(5)] == [1]  # the leased one is not handed out twice
    assert store.claim_activities(5) == []
    assert store.complete_activities([ActivityOutcome(first[0], h.task_completed(T0, 0, '"ok"'), T0)]) == []
    # a second result for the same lease is stale: reported back, nothing written
    assert store.complete_activities([ActivityOutcome(first[0], h.task_completed(T0, 0, '"again"'), T0)]) == [first[0]]
    assert store.release_leases() == 1  # task 1's lease, as after a crash
    [again] = store.claim_activities(5)
    assert again.task_id == 1 and again.attempts == 2
    completions = [m.event for m in store.fetch_messages("i1", T0)]
    assert [(e["EventType"], e["TaskScheduledId"], e["Result"]) for e in completions] == [(EventType.TASK_COMPLETED, 0, '"ok"')]


def test_suspended_instances_are_ready_only_for_resume_or_terminate(store: SqliteStore) -> None:
    _create(store)
    [start] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [start.id], status=RuntimeStatus.SUSPENDED))
    store.enqueue(OutboundMessage("i1", None, h.event_raised(T0, "E", "1"), T0))
    assert store.ready_instances(T0, 10) == []
    store.enqueue(OutboundMessage("i1", None, h.execution_resumed(T0, None), T0))
    assert store.ready_instances(T0, 10) == ["i1"]


def _child(instance_id: str) -> ChildStart:
    start = h.execution_started(T0, name="child", instance_id=instance_id, execution_id="c1", input_json=None)
    conflict = h.sub_orchestration_failed(T0, 0, "taken", None)
    return ChildStart(
        instance_id, "child", "c1", None, ParentRef("i1", "e1", 0), start, OutboundMessage("i1", "e1", conflict, T0)
    )


def test_children_are_created_with_the_episode_or_the_parent_gets_the_conflict_message(store: SqliteStore) -> None:
    _create(store)
    _create(store, "taken", execution_id="other")
    [start] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [start.id], children=[_child("kid"), _child("taken")]))
    kid = store.get_instance("kid")
    assert kid is not None and kid.parent == ParentRef("i1", "e1", 0)
    assert [m.event["EventType"] for m in store.fetch_messages("kid", T0)] == [EventType.EXECUTION_STARTED]
    # the live instance "taken" is untouched; the parent is told instead
    assert store.get_instance("taken").status.execution_id == "other"
    [failed] = store.fetch_messages("i1", T0)
    assert failed.event["EventType"] == EventType.SUB_ORCHESTRATION_FAILED and failed.execution_id == "e1"


def test_cancelled_timers_and_a_finished_executions_pending_work_are_deleted(store: SqliteStore) -> None:
    _create(store)
    [start] = store.fetch_messages("i1", T0)
    later = T0 + timedelta(hours=1)
    store.commit_episode(
        _commit(store, [start.id], messages=[_timer(1, later), _timer(2, later)], activities=[ActivityWork(3, "a", None)])
    )
    store.enqueue(OutboundMessage("i1", None, h.event_raised(T0, "E", "1"), T0))
    [event] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [event.id], canceled_timers=[1]))
    assert [m.event["TimerId"] for m in store.fetch_messages("i1", later)] == [2]
    store.enqueue(OutboundMessage("i1", None, h.event_raised(T0, "E", "2"), T0))
    [event] = store.fetch_messages("i1", T0)
    store.commit_episode(_commit(store, [event.id], status=RuntimeStatus.COMPLETED, drop_pending_work=True))
    assert store.fetch_messages("i1", later) == [] and store.pending_activity_count() == 0


def test_list_filters_and_pages_in_creation_order(store: SqliteStore) -> None:
    for i in range(5):
        _create(store, f"inst-{i}", T0 + timedelta(minutes=i))
    page, token = store.list_instances(InstanceQuery(top=2))
    assert [s.instance_id for s in page] == ["inst-0", "inst-1"] and token
    page, token = store.list_instances(InstanceQuery(top=2, continuation_token=token))
    assert [s.instance_id for s in page] == ["inst-2", "inst-3"]
    page, token = store.list_instances(InstanceQuery(top=2, continuation_token=token))
    assert [s.instance_id for s in page] == ["inst-4"] and token is None
    window = InstanceQuery(created_from=T0 + timedelta(minutes=1), created_to=T0 + timedelta(minutes=3))
    assert [s.instance_id for s in store.list_instances(window)[0]] == ["inst-1", "inst-2", "inst-3"]
    pending = InstanceQuery(statuses=frozenset({RuntimeStatus.PENDING}), instance_id_prefix="inst-4")
    assert [s.instance_id for s in store.list_instances(pending)[0]] == ["inst-4"]


def test_purge_removes_instance_history_messages_and_work(store: SqliteStore) -> None:
    _create(store, "a")
    _create(store, "b")
    assert store.purge("a") == 1 and store.purge("a") == 0
    assert store.get_instance("a") is None and store.fetch_messages("a", T0) == []
    assert store.purge_many(InstanceQuery(statuses=frozenset({RuntimeStatus.COMPLETED}))) == 0
    assert store.purge_many(InstanceQuery()) == 1
    assert store.list_instances(InstanceQuery())[0] == []


def test_file_state_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    first = SqliteStore(path)
    _create(first)
    [start] = first.fetch_messages("i1", T0)
    first.commit_episode(_commit(first, [start.id], custom_status=json.dumps({"kept": True})))
    first.close()
    second = SqliteStore(path)
    assert second.get_instance("i1").status.custom_status == '{"kept": true}'
    assert len(second.get_history("i1")) == 2
    assert second._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    second.close()


# -- trigger state (timer status, blob receipts) ----------------------------------------------


def test_timer_status_is_saved_and_replaced(store: SqliteStore) -> None:
    from durable_local.services.store import ScheduleStatus

    assert store.get_schedule_status("Host.Functions.daily") is None
    first = ScheduleStatus(None, T0 + timedelta(hours=9), T0)
    store.set_schedule_status("Host.Functions.daily", first)
    assert store.get_schedule_status("Host.Functions.daily") == first
    ran = ScheduleStatus(T0 + timedelta(hours=9), T0 + timedelta(days=1, hours=9), T0 + timedelta(hours=9))
    store.set_schedule_status("Host.Functions.daily", ran)
    assert store.get_schedule_status("Host.Functions.daily") == ran
    assert store.get_schedule_status("Host.Functions.other") is None


def test_a_blob_receipt_is_added_once_per_function_and_version(store: SqliteStore) -> None:
    from durable_local.services.store import BlobReceipt, ReceiptState

    receipt = BlobReceipt("on_upload", "uploads", "a/b.txt", '"0x1"')
    assert store.add_blob_receipt(receipt) is True
    assert store.add_blob_receipt(receipt) is False  # the same version never fires twice
    assert store.add_blob_receipt(BlobReceipt("on_upload", "uploads", "a/b.txt", '"0x2"')) is True  # a new version
    assert store.add_blob_receipt(BlobReceipt("other_function", "uploads", "a/b.txt", '"0x1"')) is True
    store.update_blob_receipt(BlobReceipt("on_upload", "uploads", "a/b.txt", '"0x1"', ReceiptState.DONE, 2))
    saved = store.get_blob_receipt("on_upload", "uploads", "a/b.txt", '"0x1"')
    assert saved is not None and (saved.state, saved.attempts) == (ReceiptState.DONE, 2)
    assert store.get_blob_receipt("on_upload", "uploads", "missing", '"0x1"') is None


def test_a_state_file_from_before_trigger_support_opens_and_keeps_its_instances(tmp_path: Path) -> None:
    import sqlite3

    from durable_local.services.store import ScheduleStatus
    from durable_local.services.store.sqlite_base import _SCHEMA

    path = tmp_path / "old.sqlite"
    old = SqliteStore(path)
    _create(old)
    old.close()
    # Make it look like a file written before the trigger tables existed.
    raw = sqlite3.connect(path)
    raw.executescript("DROP TABLE timer_status; DROP TABLE blob_receipts; DELETE FROM meta;")
    raw.close()
    assert "timer_status" not in _SCHEMA

    reopened = SqliteStore(path)
    try:
        assert reopened.get_instance("i1") is not None
        reopened.set_schedule_status("t", ScheduleStatus(None, T0, T0))
        assert reopened.get_schedule_status("t") == ScheduleStatus(None, T0, T0)
    finally:
        reopened.close()


def test_a_state_file_from_a_newer_host_is_refused(tmp_path: Path) -> None:
    import sqlite3

    from durable_local.errors import StoreError

    path = tmp_path / "new.sqlite"
    SqliteStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE meta SET value = '99' WHERE key = 'trigger_schema_version'")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="newer durable_local"):
        SqliteStore(path)
