"""Values of the reminders: the plan (orchestration input) and the ``POST /api/reminders`` body.

* ``POST /api/reminders`` body       -> :func:`parse_reminder_request` -> :class:`ReminderStart`
* the reminder orchestration input   -> :meth:`ReminderPlan.from_input`

Pure: the orchestrator uses it during replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from .durations import format_duration
from .validation import MAX_LONG_TEXT, MAX_NAME, Fields, parse_json_body

#: Defaults reproduce the Microsoft Learn exercise (ten reminders, one a day).
DEFAULT_REMINDER_COUNT: Final = 10
MAX_REMINDER_COUNT: Final = 30
DEFAULT_REMINDER_INTERVAL: Final = timedelta(days=1)
#: Reminder timers are never longer than this, so the SDK never splits them into a
#: LongTimerTask (it does so above ``maximumShortTimerDuration`` = 6 days on Azure Storage).
MAX_REMINDER_INTERVAL: Final = timedelta(days=6)

_PLAN_FIELDS: Final = frozenset({"recipient", "message", "subject", "interval", "count"})


@dataclass(frozen=True)
class ReminderPlan:
    """Input of the reminder orchestrator: ``count`` reminders, one every ``interval``."""

    recipient: str
    message: str
    subject: str = "Reminder"
    interval: timedelta = DEFAULT_REMINDER_INTERVAL
    count: int = DEFAULT_REMINDER_COUNT

    @classmethod
    def from_input(cls, value: Any) -> ReminderPlan:
        """Parse the orchestration input; raise :class:`ValidationError` naming every bad field.

        ``interval`` (ISO 8601, at most P6D so every reminder timer is a plain durable timer)
        and ``count`` (1..30) default to P1D and 10.
        """
        fields = Fields(value, _PLAN_FIELDS, what="input")
        plan = cls._build(fields)
        fields.raise_if_invalid()
        assert plan is not None
        return plan

    @classmethod
    def _build(cls, fields: Fields) -> ReminderPlan | None:
        recipient = fields.text("recipient", required=True, max_length=MAX_NAME)
        message = fields.text("message", required=True, max_length=MAX_LONG_TEXT)
        subject = fields.text("subject", required=False) or "Reminder"
        interval = fields.duration(
            "interval", default=DEFAULT_REMINDER_INTERVAL, maximum=MAX_REMINDER_INTERVAL
        )
        count = fields.integer(
            "count", default=DEFAULT_REMINDER_COUNT, minimum=1, maximum=MAX_REMINDER_COUNT
        )
        if fields.errors or not (recipient and message and interval and count):
            return None
        return cls(recipient, message, subject, interval, count)

    def to_input(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "message": self.message,
            "subject": self.subject,
            "interval": format_duration(self.interval),
            "count": self.count,
        }


@dataclass(frozen=True)
class ReminderStart:
    """A validated ``POST /api/reminders`` body."""

    plan: ReminderPlan
    instance_id: str | None = None


def parse_reminder_request(body: bytes) -> ReminderStart:
    """Validate ``{"recipient", "message", "subject"?, "count"?, "interval"?, "instanceId"?}``.

    Raises :class:`ValidationError` naming every invalid field, so nothing that would fail
    inside the orchestration is ever accepted.
    """
    fields = Fields(parse_json_body(body), _PLAN_FIELDS | {"instanceId"})
    plan = ReminderPlan._build(fields)
    instance_id = fields.instance_id()
    fields.raise_if_invalid()
    assert plan is not None
    return ReminderStart(plan, instance_id)
