"""The contract between the orchestrators and the notification activities.

Activity names, the typed JSON payloads each activity takes (built by
:mod:`approval.orchestrator` and :mod:`approval.reminders`, read by :mod:`.notifications`), the
summary each returns, and the notification ids. Keys are camelCase, as they travel as JSON.

Names must not change once deployed: in-flight instances replaying old history would call a
missing function.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NotRequired, TypedDict

NOTIFY_APPROVER: Final = "NotifyApprover"
ESCALATION: Final = "Escalation"
APPROVAL: Final = "Approval"
SEND_REMINDER: Final = "SendReminder"

NOTIFICATION_QUEUE: Final = "approval-notifications"
#: App setting holding the Storage connection (the Functions host's own storage account).
STORAGE_CONNECTION: Final = "AzureWebJobsStorage"


class Step(StrEnum):
    """The workflow step a notification belongs to; unique within an instance."""

    NOTIFY_APPROVER = "notify-approver"
    ESCALATION = "escalation"
    DECISION = "decision"


def reminder_step(number: int) -> str:
    """The step of reminder ``number`` (1-based): ``reminder-<n>``."""
    return f"reminder-{number}"


def notification_id(instance_id: str, step: str) -> str:
    """``<instanceId>:<step>``: the queue message id, an idempotency key for consumers."""
    return f"{instance_id}:{step}"


class NotifyApproverInput(TypedDict):
    instanceId: str
    to: str
    at: str
    title: str
    requester: str
    deadline: str
    details: NotRequired[str | None]


class EscalationInput(TypedDict):
    instanceId: str
    to: str
    at: str
    title: str
    requester: str
    approver: str
    deadline: str


class ApprovalInput(TypedDict):
    """Input of ``Approval``: tell the requester the decision."""

    instanceId: str
    to: str
    at: str
    title: str
    outcome: str
    by: str
    comment: NotRequired[str | None]
    escalated: bool


class ReminderInput(TypedDict):
    instanceId: str
    to: str
    at: str
    dueAt: str
    number: int
    count: int
    subject: str
    message: str


class NotificationSummary(TypedDict):
    """What every notification activity returns (kept in history, so small)."""

    id: str
    type: str
    to: str
    at: str
