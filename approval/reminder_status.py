"""What a reminder instance publishes: its progress (custom status), its output, the business view.

* :class:`ReminderProgress` is the custom status, rewritten before each timer and after each
  reminder: how many were sent, how many were given up, when the next is due, and the last
  failure. Only the last failure is kept here: thirty failure records would approach the
  extension's 16 KB custom-status limit; the output lists every one.
* The output (:meth:`ReminderProgress.result`) lists each reminder as ``sent`` (with the queue
  message's summary) or ``failed`` (with attempts and the last error), plus every failure.
* :func:`reminder_view` is ``GET /api/reminders/{id}``.

Keys are spelled once, in :class:`ReminderKey`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from activities.contracts import NotificationSummary

from .delivery import NotificationFailure
from .durations import format_duration, format_instant
from .reminder_plan import ReminderPlan
from .status import failure_reason


class ReminderKey(StrEnum):
    """Keys of a reminder instance's custom status, output and view."""

    RECIPIENT = "recipient"
    SUBJECT = "subject"
    COUNT = "count"
    INTERVAL = "interval"
    STARTED_AT = "startedAt"
    SENT = "sent"
    FAILED = "failed"
    NEXT_DUE_AT = "nextDueAt"
    LAST_FAILURE = "lastFailure"
    REMINDERS = "reminders"
    NOTIFICATION_FAILURES = "notificationFailures"
    # one entry of ``reminders``
    NUMBER = "number"
    DUE_AT = "dueAt"
    STATUS = "status"


class ReminderOutcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class ReminderEntry:
    """One reminder that had its turn: ``outcome`` is its summary, or the failure that ended it."""

    number: int
    due_at: datetime
    outcome: NotificationSummary | NotificationFailure

    @property
    def failed(self) -> bool:
        return isinstance(self.outcome, NotificationFailure)

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {ReminderKey.NUMBER: self.number, ReminderKey.DUE_AT: format_instant(self.due_at)}
        if isinstance(self.outcome, NotificationFailure):
            entry.update({ReminderKey.STATUS: ReminderOutcome.FAILED.value, **self.outcome.to_json()})
        else:
            entry.update({ReminderKey.STATUS: ReminderOutcome.SENT.value, **self.outcome})
        return entry


@dataclass(frozen=True)
class ReminderProgress:
    """Where a reminder instance stands: the reminders that had their turn, the next due time."""

    plan: ReminderPlan
    started_at: datetime
    next_due_at: datetime | None = None
    entries: tuple[ReminderEntry, ...] = ()

    @property
    def sent(self) -> int:
        return sum(1 for e in self.entries if not e.failed)

    @property
    def failures(self) -> tuple[NotificationFailure, ...]:
        return tuple(e.outcome for e in self.entries if isinstance(e.outcome, NotificationFailure))

    def due(self, at: datetime | None) -> ReminderProgress:
        return replace(self, next_due_at=at)

    def record(self, number: int, due_at: datetime,
               outcome: NotificationSummary | NotificationFailure) -> ReminderProgress:
        """Reminder ``number`` was sent (its summary) or given up (its failure)."""
        return replace(self, entries=(*self.entries, ReminderEntry(number, due_at, outcome)))

    def _head(self) -> dict[str, Any]:
        return {
            ReminderKey.RECIPIENT: self.plan.recipient,
            ReminderKey.SUBJECT: self.plan.subject,
            ReminderKey.COUNT: self.plan.count,
            ReminderKey.INTERVAL: format_duration(self.plan.interval),
            ReminderKey.STARTED_AT: format_instant(self.started_at),
            ReminderKey.SENT: self.sent,
            ReminderKey.FAILED: len(self.failures),
        }

    def to_json(self) -> dict[str, Any]:
        """The custom status."""
        return {
            **self._head(),
            ReminderKey.NEXT_DUE_AT: format_instant(self.next_due_at) if self.next_due_at else None,
            ReminderKey.LAST_FAILURE: self.failures[-1].to_json() if self.failures else None,
        }

    def result(self) -> dict[str, Any]:
        """The output once every reminder has had its turn."""
        return {
            **self._head(),
            ReminderKey.REMINDERS: [e.to_json() for e in self.entries],
            ReminderKey.NOTIFICATION_FAILURES: [f.to_json() for f in self.failures],
        }


def reminder_view(
    instance_id: str,
    runtime_status: str | None,
    custom_status: Any,
    output: Any,
    created_time: datetime | None = None,
    last_updated_time: datetime | None = None,
) -> dict[str, Any]:
    """The business view of one reminder instance (``null`` fields before its first episode).

    ``reminders`` and ``notificationFailures`` come from the output, so they are ``null`` until
    the instance has completed; ``lastFailure`` shows a failure as soon as it happens.
    """
    progress = custom_status if isinstance(custom_status, Mapping) else {}
    result = output if isinstance(output, Mapping) else {}
    view: dict[str, Any] = {"instanceId": instance_id, "runtimeStatus": runtime_status}
    for key in (ReminderKey.RECIPIENT, ReminderKey.SUBJECT, ReminderKey.COUNT, ReminderKey.INTERVAL,
                ReminderKey.STARTED_AT, ReminderKey.SENT, ReminderKey.FAILED, ReminderKey.NEXT_DUE_AT,
                ReminderKey.LAST_FAILURE):
        view[key] = progress.get(key, result.get(key))
    view[ReminderKey.REMINDERS] = result.get(ReminderKey.REMINDERS)
    view[ReminderKey.NOTIFICATION_FAILURES] = result.get(ReminderKey.NOTIFICATION_FAILURES)
    view["createdTime"] = format_instant(created_time) if created_time else None
    view["lastUpdatedTime"] = format_instant(last_updated_time) if last_updated_time else None
    reason = failure_reason(runtime_status, output)
    if reason is not None:
        view["error"] = reason
    return view
