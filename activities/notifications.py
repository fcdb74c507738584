"""Notification activities: ``NotifyApprover``, ``Escalation``, ``Approval``, ``SendReminder``.

Each activity turns its input (a TypedDict of :mod:`.contracts`) into one :class:`Notification`
and writes it, as JSON text, to the Storage queue ``approval-notifications`` through a Functions
queue output binding (the Functions host base64-encodes it because host.json sets
``extensions.queues.messageEncoding``). A mail or Teams sender would consume that queue; the
workflow itself only needs the message written.

Contract shared by all four:

* The message is a pure function of the input: its ``id`` is ``"<instanceId>:<step>"`` and its
  ``at`` timestamp is the orchestrator's ``current_utc_datetime`` passed in the input, never the
  wall clock. A retry writes a byte-identical message with the same id.
* Delivery is at least once, and the id is what makes that safe: consumers de-duplicate on it.
  A write the binding reports as failed is retried by the orchestrator (one retry policy,
  :mod:`approval.delivery`); a failed attempt normally wrote nothing, so the retry adds the one
  message. Two cases can still queue a message twice, with the same id and bytes: a write that
  reached the queue but whose reply was lost (a timeout after the service committed it), and a
  worker that dies after the write but before the result is checkpointed. The activity cannot
  check before writing: a Storage queue has no "insert if absent", a peek sees only the first 32
  messages, and a consumer may already have taken the message.
* The return value is a small :class:`~.contracts.NotificationSummary` that the orchestrator
  keeps in history.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import azure.functions as func

from . import bp
from .contracts import (
    APPROVAL,
    ESCALATION,
    NOTIFICATION_QUEUE,
    NOTIFY_APPROVER,
    SEND_REMINDER,
    STORAGE_CONNECTION,
    ApprovalInput,
    EscalationInput,
    NotificationSummary,
    NotifyApproverInput,
    ReminderInput,
    Step,
    notification_id,
    reminder_step,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    """One queue message. ``step`` names the workflow step and makes the id unique per instance."""

    instance_id: str
    step: str
    type: str
    to: str
    subject: str
    text: str
    at: str

    @property
    def id(self) -> str:
        return notification_id(self.instance_id, self.step)

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "type": self.type,
            "instanceId": self.instance_id,
            "to": self.to,
            "subject": self.subject,
            "text": self.text,
            "at": self.at,
        }

    def to_message(self) -> str:
        """Deterministic JSON text (sorted keys), so a re-run writes the same bytes."""
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)

    def summary(self) -> NotificationSummary:
        return {"id": self.id, "type": self.type, "to": self.to, "at": self.at}


# ---------------------------------------------------------------------------------------------
# Message composition (pure)


def approval_requested(payload: NotifyApproverInput) -> Notification:
    text = (
        f"{payload['requester']} asks you to approve '{payload['title']}'. "
        f"Please decide by {payload['deadline']}."
    )
    if payload.get("details"):
        text += f"\n\n{payload['details']}"
    return Notification(
        instance_id=payload["instanceId"],
        step=Step.NOTIFY_APPROVER,
        type="approval_requested",
        to=payload["to"],
        subject=f"Approval requested: {payload['title']}",
        text=text,
        at=payload["at"],
    )


def escalation_notice(payload: EscalationInput) -> Notification:
    return Notification(
        instance_id=payload["instanceId"],
        step=Step.ESCALATION,
        type="escalation",
        to=payload["to"],
        subject=f"Escalation: {payload['title']}",
        text=(
            f"{payload['approver']} did not decide on '{payload['title']}' "
            f"(requested by {payload['requester']}) in time. The request is reassigned to you: "
            f"please decide by {payload['deadline']}."
        ),
        at=payload["at"],
    )


def decision_notice(payload: ApprovalInput) -> Notification:
    text = f"Your request '{payload['title']}' was {payload['outcome']} by {payload['by']}"
    text += " after escalation." if payload["escalated"] else "."
    if payload.get("comment"):
        text += f" Comment: {payload['comment']}"
    return Notification(
        instance_id=payload["instanceId"],
        step=Step.DECISION,
        type="decision",
        to=payload["to"],
        subject=f"'{payload['title']}' was {payload['outcome']}",
        text=text,
        at=payload["at"],
    )


def reminder_notice(payload: ReminderInput) -> Notification:
    return Notification(
        instance_id=payload["instanceId"],
        step=reminder_step(payload["number"]),
        type="reminder",
        to=payload["to"],
        subject=f"{payload['subject']} ({payload['number']}/{payload['count']})",
        text=payload["message"],
        at=payload["at"],
    )


def _send(notification: Notification, msg: func.Out[str]) -> NotificationSummary:
    msg.set(notification.to_message())
    # Not "queued": the Functions host writes the binding's value after the function returns,
    # and that write can still fail (the activity then fails and is retried).
    logger.info(
        "%s: handing %s notification %s for %s to the queue binding",
        notification.instance_id, notification.type, notification.id, notification.to,
    )
    return notification.summary()


# ---------------------------------------------------------------------------------------------
# Activities (thin: compose, write to the queue binding, summarise)


@bp.function_name(NOTIFY_APPROVER.name)
@bp.activity_trigger(input_name="payload")
@bp.queue_output(arg_name="msg", queue_name=NOTIFICATION_QUEUE, connection=STORAGE_CONNECTION)
def notify_approver(payload: NotifyApproverInput, msg: func.Out[str]) -> NotificationSummary:
    """Ask the approver for a decision."""
    return _send(approval_requested(payload), msg)


@bp.function_name(ESCALATION.name)
@bp.activity_trigger(input_name="payload")
@bp.queue_output(arg_name="msg", queue_name=NOTIFICATION_QUEUE, connection=STORAGE_CONNECTION)
def escalation(payload: EscalationInput, msg: func.Out[str]) -> NotificationSummary:
    """Reassign the request to the escalation target after the approver's deadline passed."""
    return _send(escalation_notice(payload), msg)


@bp.function_name(APPROVAL.name)
@bp.activity_trigger(input_name="payload")
@bp.queue_output(arg_name="msg", queue_name=NOTIFICATION_QUEUE, connection=STORAGE_CONNECTION)
def approval(payload: ApprovalInput, msg: func.Out[str]) -> NotificationSummary:
    """Tell the requester the decision (approved or rejected)."""
    return _send(decision_notice(payload), msg)


@bp.function_name(SEND_REMINDER.name)
@bp.activity_trigger(input_name="payload")
@bp.queue_output(arg_name="msg", queue_name=NOTIFICATION_QUEUE, connection=STORAGE_CONNECTION)
def send_reminder(payload: ReminderInput, msg: func.Out[str]) -> NotificationSummary:
    """Send reminder ``number`` of ``count``."""
    return _send(reminder_notice(payload), msg)
