"""The reminder orchestrator, ``reminders_orchestrator``: ``count`` reminders, one per ``interval``.

Input: :class:`~approval.domain.ReminderPlan` as JSON, e.g.
``{"recipient": "ada@contoso.com", "message": "Please review the design"}`` (ten reminders, one a
day) or with ``"interval": "PT10S", "count": 3`` for a demo. Start it with
``POST /api/reminders``, which validates the plan before starting anything.

Reminder *n* (1-based) is due at ``start + n * interval``, computed from the instance's start
time rather than from "now", so reminders never drift even when an episode runs late (the
Microsoft Learn sample adds ``i`` days to the *current* time, which fires the first reminder
immediately and lets the gaps grow). Intervals are capped at 6 days, so every timer is an
ordinary durable timer and the SDK never needs a LongTimerTask (SDK issue #573).

Each reminder is sent under the app's retry policy (:mod:`approval.delivery`). One that still
fails after the last attempt is recorded (custom status ``failed`` and ``lastFailure``, output
entry ``status: failed``) and the next reminders still go out. A reminder retried past the next
one's due time is followed at once by that next one, so the schedule never shifts.

Custom status and output: :class:`~approval.reminder_status.ReminderProgress`.
"""

from __future__ import annotations

import logging

import azure.durable_functions as df

from activities.contracts import SEND_REMINDER, ReminderInput, reminder_step

from . import bp
from .delivery import NotificationFailure, deliver
from .domain import REMINDERS_ORCHESTRATOR
from .durations import format_instant
from .orchestrator import Orchestration, now
from .reminder_plan import ReminderPlan
from .reminder_status import ReminderProgress

logger = logging.getLogger(__name__)


@bp.orchestration_trigger(context_name="context", orchestration=REMINDERS_ORCHESTRATOR)
def reminders_orchestrator(context: df.DurableOrchestrationContext) -> Orchestration:
    """Send reminder 1..count, each after a durable timer at ``start + n * interval``.

    An invalid input fails the instance with a message naming every invalid field (the HTTP
    starters refuse such input with 400 before anything starts).
    """
    plan = ReminderPlan.from_input(context.get_input())
    started_at = now(context)
    progress = ReminderProgress(plan, started_at)
    for number in range(1, plan.count + 1):
        due_at = started_at + number * plan.interval
        progress = progress.due(due_at)
        context.set_custom_status(progress.to_json())
        yield context.create_timer(due_at)
        reminder: ReminderInput = {
            "instanceId": context.instance_id,
            "to": plan.recipient,
            "at": format_instant(now(context)),
            "dueAt": format_instant(due_at),
            "number": number,
            "count": plan.count,
            "subject": plan.subject,
            "message": plan.message,
        }
        outcome = yield from deliver(context, SEND_REMINDER.call(reminder), reminder_step(number))
        progress = progress.record(number, due_at, outcome)
        if not context.is_replaying and not isinstance(outcome, NotificationFailure):
            logger.info("%s: reminder %d/%d sent", context.instance_id, number, plan.count)
    progress = progress.due(None)
    context.set_custom_status(progress.to_json())
    return progress.result()
