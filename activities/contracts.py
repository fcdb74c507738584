"""The contract between the orchestrators and the notification activities.

The activities, each an :class:`Activity` typed by the JSON payload it takes (built by
:mod:`approval.orchestrator` and :mod:`approval.reminders`, read by :mod:`.notifications`), the
summary each returns, and the notification ids. Keys are camelCase, as they travel as JSON.

Names must not change once deployed: in-flight instances replaying old history would call a
missing function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Generic, NotRequired, TypedDict, TypeVar

#: The payload type of an activity (one of the TypedDicts below).
PayloadT = TypeVar("PayloadT", bound=Mapping[str, object])


@dataclass(frozen=True)
class ActivityCall:
    """One call of an activity: its function name and its payload, checked when it was made."""

    activity: str
    payload: Mapping[str, object]

    @property
    def to(self) -> str:
        """The recipient: every notification payload has a ``to``."""
        return str(self.payload["to"])


@dataclass(frozen=True)
class Activity(Generic[PayloadT]):
    """An activity's function name, typed by the payload it takes.

    The orchestrators call activities only through :meth:`call`, whose ``payload`` parameter is
    the activity's own payload type, so mypy refuses a payload built for another activity:
    ``NOTIFY_APPROVER.call(escalation_input)`` is a type error naming both types.
    """

    name: str

    def call(self, payload: PayloadT) -> ActivityCall:
        """This activity with ``payload``, ready for ``approval.delivery.schedule``."""
        return ActivityCall(self.name, payload)


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


NOTIFY_APPROVER: Final = Activity[NotifyApproverInput]("NotifyApprover")
ESCALATION: Final = Activity[EscalationInput]("Escalation")
APPROVAL: Final = Activity[ApprovalInput]("Approval")
SEND_REMINDER: Final = Activity[ReminderInput]("SendReminder")

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


class NotificationSummary(TypedDict):
    """What every notification activity returns (kept in history, so small)."""

    id: str
    type: str
    to: str
    at: str
