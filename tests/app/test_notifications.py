"""The notification activities write one deterministic queue message each and return a summary."""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

import azure.functions as func
import pytest

import function_app  # noqa: F401  (registers the blueprints, as the worker would)
from activities import contracts, notifications

T = TypeVar("T")

AT = "2026-01-01T09:00:00Z"


class CapturedOut(func.Out[T], Generic[T]):
    """What the Functions host hands an output binding parameter."""

    def __init__(self) -> None:
        self.value: T | None = None

    def set(self, val: T) -> None:
        self.value = val

    def get(self) -> T:
        assert self.value is not None
        return self.value


REQUEST: contracts.NotifyApproverInput = {
    "instanceId": "i1", "to": "bob", "at": AT, "title": "DC", "requester": "ada",
    "deadline": "2026-01-02T09:00:00Z", "details": "1.2M",
}
ESCALATION: contracts.EscalationInput = {
    "instanceId": "i1", "to": "boss", "at": AT, "title": "DC", "requester": "ada",
    "approver": "bob", "deadline": "2026-01-03T09:00:00Z",
}
DECISION: contracts.ApprovalInput = {
    "instanceId": "i1", "to": "ada", "at": AT, "title": "DC", "outcome": "approved",
    "by": "boss", "comment": "go", "escalated": True,
}
REMINDER: contracts.ReminderInput = {
    "instanceId": "i1", "to": "ada", "at": AT, "dueAt": AT, "number": 3, "count": 10,
    "subject": "Reminder", "message": "Review the design",
}
CASES: list[tuple[Any, Any, str, str]] = [
    (notifications.notify_approver, REQUEST, "i1:notify-approver", "approval_requested"),
    (notifications.escalation, ESCALATION, "i1:escalation", "escalation"),
    (notifications.approval, DECISION, "i1:decision", "decision"),
    (notifications.send_reminder, REMINDER, "i1:reminder-3", "reminder"),
]


@pytest.mark.parametrize(("activity", "payload", "message_id", "kind"), CASES)
def test_activity_writes_one_message_keyed_by_instance_and_step(
    activity: Any, payload: dict[str, Any], message_id: str, kind: str
) -> None:
    out: CapturedOut[str] = CapturedOut()
    summary = activity(payload=payload, msg=out)
    message = json.loads(out.get())
    assert set(message) == {"id", "type", "instanceId", "to", "subject", "text", "at"}
    assert (message["id"], message["type"], message["instanceId"]) == (message_id, kind, "i1")
    assert message["to"] == payload["to"]
    assert message["at"] == AT, "the timestamp comes from the input, never the wall clock"
    assert summary == {"id": message_id, "type": kind, "to": payload["to"], "at": AT}


@pytest.mark.parametrize(("activity", "payload", "message_id", "kind"), CASES)
def test_a_retried_activity_writes_a_byte_identical_message(
    activity: Any, payload: dict[str, Any], message_id: str, kind: str
) -> None:
    first: CapturedOut[str] = CapturedOut()
    second: CapturedOut[str] = CapturedOut()
    activity(payload=payload, msg=first)
    activity(payload=dict(payload), msg=second)
    assert first.get() == second.get()


def test_texts_tell_each_recipient_what_to_do() -> None:
    request = notifications.approval_requested(REQUEST)
    assert request.subject == "Approval requested: DC"
    assert "ada asks you to approve 'DC'" in request.text and "1.2M" in request.text
    escalation = notifications.escalation_notice(ESCALATION)
    assert "bob did not decide" in escalation.text and "reassigned to you" in escalation.text
    decision = notifications.decision_notice(DECISION)
    assert decision.text == "Your request 'DC' was approved by boss after escalation. Comment: go"
    reminder = notifications.reminder_notice(REMINDER)
    assert reminder.subject == "Reminder (3/10)" and reminder.text == "Review the design"
