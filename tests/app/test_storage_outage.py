"""Storage outages: notifications are retried under one policy, and never fail the workflow.

Each test runs the app on the local host (virtual clock, so the retry intervals pass at once)
against a private Azurite it can stop and start again on the same ports and data directory
(:mod:`.outage`); the queue output binding of every notification activity writes there.

* A short outage while the approver is being notified: the retry after the restart writes the
  message; the approval completes with every notification on the queue exactly once.
* Storage down for good: every notification is given up after the last attempt, the approval
  still ends on the decision, and the custom status, the output and the business view name each
  failed notification with its attempts and last error.
* A reminder that cannot be sent is recorded the same way, and the next reminders still go out.
* A write that landed but whose reply was lost is retried: the queue holds the same message
  twice, byte for byte, which is the README's at-least-once delivery.

Every notification activity (NotifyApprover, Escalation, Approval, SendReminder) is seen in
history to be tried five times, a minute apart, and each record's ``attempts`` is what history
shows.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from approval.delivery import NOTIFICATION_RETRY
from approval.durations import parse_instant
from durable_local.protocol import EventType
from durable_local.services.clock import ManualClock
from durable_local.testing import run_host

from .api_client import ApprovalClient
from .conftest import APP_DIR
from .outage import LoseReplyOnce, RestartableAzurite, StopStorageOnWrite, no_start_up_grace, queued, queued_raw

START = datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
APPROVER = "bob@contoso.com"
#: Long enough for every attempt of a notification, plus the SDK's final zero-delay timer.
ALL_ATTEMPTS = NOTIFICATION_RETRY.span + timedelta(seconds=1)


@pytest.fixture
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            approval_settings: dict[str, str]) -> Iterator[RestartableAzurite]:
    with RestartableAzurite(tmp_path / "azurite") as azurite:
        monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
        yield azurite


def attempts(history: list[dict[str, Any]], activity: str) -> tuple[int, int]:
    """(scheduled, failed) attempts of ``activity`` in a history."""
    scheduled = {e["EventId"] for e in history
                 if e["EventType"] == EventType.TASK_SCHEDULED and e["Name"] == activity}
    failed = sum(1 for e in history if e["EventType"] == EventType.TASK_FAILED and e["TaskScheduledId"] in scheduled)
    return len(scheduled), failed


def attempt_gaps(history: list[dict[str, Any]], activity: str) -> list[timedelta]:
    """The time between consecutive attempts of ``activity``, rounded to the second."""
    times = [parse_instant(e["Timestamp"]) for e in history
             if e["EventType"] == EventType.TASK_SCHEDULED and e["Name"] == activity]
    return [timedelta(seconds=round((b - a).total_seconds())) for a, b in itertools.pairwise(times)]


def output_of(status: Any) -> dict[str, Any]:
    assert status.runtime_status == "Completed", status.output
    return dict(json.loads(status.output))


async def test_an_outage_while_the_approver_is_notified_is_ridden_out_and_nothing_is_queued_twice(
    app_dir: Path, storage: RestartableAzurite
) -> None:
    async with run_host(app_dir, clock=ManualClock(START), bindings=no_start_up_grace()) as host:
        runner = host.host.dispatcher.activity_runner
        outage = StopStorageOnWrite(runner.bindings, storage, lambda text: '"approval_requested"' in text)
        runner.bindings = outage
        api = ApprovalClient(host)
        instance_id = (await api.start(instanceId="outage-1", deadline="PT4H"))["id"]
        await host.idle()

        # Azurite stopped under the first write: that attempt failed, the next waits its turn.
        assert outage.stopped_during is not None and not storage.running
        assert attempts(await host.history(instance_id), "NotifyApprover") == (1, 1)
        view = await api.view(instance_id)
        assert (view["runtimeStatus"], view["stage"], view["notificationFailures"]) == (
            "Running", "awaiting_approval", [])

        storage.start()  # same ports, same data directory
        await host.advance(NOTIFICATION_RETRY.interval)
        assert attempts(await host.history(instance_id), "NotifyApprover") == (2, 1)

        assert (await api.decide(instance_id, "approved", APPROVER)).status == 202
        result = output_of(await host.wait_for(instance_id))

    assert (result["outcome"], result["notificationFailures"]) == ("approved", [])
    messages = queued(storage.connection_string, instance_id)
    assert [m["id"] for m in messages] == [f"{instance_id}:notify-approver", f"{instance_id}:decision"]


async def test_with_storage_down_the_approval_still_ends_on_the_decision_and_names_each_failed_notification(
    app_dir: Path, storage: RestartableAzurite
) -> None:
    storage.stop()
    async with run_host(app_dir, clock=ManualClock(START), bindings=no_start_up_grace()) as host:
        api = ApprovalClient(host)
        instance_id = (await api.start(instanceId="down-1", deadline="PT1H"))["id"]
        await host.advance(ALL_ATTEMPTS)

        view = await api.view(instance_id)
        assert (view["runtimeStatus"], view["stage"]) == ("Running", "awaiting_approval")
        [request] = view["notificationFailures"]
        assert (request["notification"], request["activity"], request["to"], request["attempts"]) == (
            f"{instance_id}:notify-approver", "NotifyApprover", APPROVER, NOTIFICATION_RETRY.max_attempts)
        assert "NotifyApprover" in request["lastError"] and "could not write" in request["lastError"]
        assert "\n" not in request["lastError"] and "Traceback" not in request["lastError"]

        # The deadline passes too: the escalation notification fails the same way.
        await host.advance(timedelta(hours=1) + ALL_ATTEMPTS)
        head = (await api.view(instance_id))["escalateTo"]
        assert (await api.decide(instance_id, "rejected", head, "No budget")).status == 202
        await host.advance(ALL_ATTEMPTS)
        status = await host.wait_for(instance_id)
        history = await host.history(instance_id)
        final_view = await api.view(instance_id)

    result = output_of(status)
    assert (result["outcome"], result["decidedBy"], result["escalated"]) == ("rejected", head, True)
    failures = {f["notification"]: f for f in result["notificationFailures"]}
    assert list(failures) == [f"{instance_id}:notify-approver", f"{instance_id}:escalation", f"{instance_id}:decision"]
    assert failures[f"{instance_id}:decision"]["to"] == "ada@contoso.com"
    assert final_view["notificationFailures"] == result["notificationFailures"]
    for failure, activity in zip(failures.values(), ("NotifyApprover", "Escalation", "Approval"), strict=True):
        # Five attempts a minute apart, each failed, and the record says what history shows.
        assert attempts(history, activity) == (5, 5)
        assert attempt_gaps(history, activity) == [timedelta(minutes=1)] * 4
        assert (failure["activity"], failure["attempts"]) == (activity, 5)


async def test_a_reminder_that_cannot_be_sent_is_recorded_and_the_next_ones_still_go_out(
    app_dir: Path, storage: RestartableAzurite
) -> None:
    async with run_host(app_dir, clock=ManualClock(START), bindings=no_start_up_grace()) as host:
        api = ApprovalClient(host)
        reply = await api.request("POST", "/api/reminders", {
            "recipient": "ada@contoso.com", "message": "Review the design", "interval": "PT1H", "count": 3,
            "instanceId": "nudge-1"})
        assert reply.status == 202, reply.body
        await host.advance(timedelta(hours=1))  # reminder 1
        storage.stop()
        await host.advance(timedelta(hours=1))  # reminder 2: the first attempt fails
        await host.advance(ALL_ATTEMPTS)  # ... and every retry
        during = (await api.request("GET", "/api/reminders/nudge-1")).body
        storage.start()
        await host.advance(timedelta(hours=1))  # reminder 3
        result = output_of(await host.wait_for("nudge-1"))
        history = await host.history("nudge-1")
        view = (await api.request("GET", "/api/reminders/nudge-1")).body

    assert (during["runtimeStatus"], during["sent"], during["failed"]) == ("Running", 1, 1)
    assert during["lastFailure"]["notification"] == "nudge-1:reminder-2"
    # Reminder 1 once, reminder 2 five times a minute apart (all failed), reminder 3 once.
    assert attempts(history, "SendReminder") == (7, 5)
    assert attempt_gaps(history, "SendReminder")[1:5] == [timedelta(minutes=1)] * 4
    assert during["lastFailure"]["attempts"] == 5
    assert [(r["number"], r["status"]) for r in result["reminders"]] == [(1, "sent"), (2, "failed"), (3, "sent")]
    assert [f["notification"] for f in result["notificationFailures"]] == ["nudge-1:reminder-2"]
    assert (view["sent"], view["failed"], view["reminders"]) == (2, 1, result["reminders"])
    assert [m["id"] for m in queued(storage.connection_string, "nudge-1")] == ["nudge-1:reminder-1", "nudge-1:reminder-3"]


async def test_a_write_that_landed_but_whose_reply_was_lost_queues_the_same_message_twice(
    app_dir: Path, storage: RestartableAzurite
) -> None:
    async with run_host(app_dir, clock=ManualClock(START), bindings=no_start_up_grace()) as host:
        runner = host.host.dispatcher.activity_runner
        lossy = LoseReplyOnce(runner.bindings, lambda text: '"approval_requested"' in text)
        runner.bindings = lossy
        api = ApprovalClient(host)
        instance_id = (await api.start(instanceId="lost-reply-1"))["id"]
        await host.idle()
        assert lossy.lost is not None
        assert attempts(await host.history(instance_id), "NotifyApprover") == (1, 1)
        await host.advance(NOTIFICATION_RETRY.interval)  # the retry writes it again, and succeeds
        assert attempts(await host.history(instance_id), "NotifyApprover") == (2, 1)
        assert (await api.view(instance_id))["notificationFailures"] == []

    raw = queued_raw(storage.connection_string, instance_id)
    assert len(raw) == 2 and raw[0] == raw[1]
    assert json.loads(base64.b64decode(raw[0]))["id"] == f"{instance_id}:notify-approver"
    # What the README promises consumers (section *Retries*): at least once, de-duplicate on id.
    section = (APP_DIR / "README.md").read_text(encoding="utf-8").split("## Retries", 1)[1].split("\n## ", 1)[0]
    retries = " ".join(section.split())
    assert "Delivery is at least once." in retries
    assert "a write that reached the queue while its reply was lost" in retries
