"""The reminder orchestrator, ``reminders_orchestrator``: ``count`` reminders, one per ``interval``.

Input: :class:`~approval.models.ReminderPlan` as JSON, e.g.
``{"recipient": "ada@contoso.com", "message": "Please review the design"}`` (ten reminders, one a
day) or with ``"interval": "PT10S", "count": 3`` for a demo. Start it with the generic starter:
``POST /api/orchestrators/reminders_orchestrator``.

Reminder *n* (1-based) is due at ``start + n * interval``, computed from the instance's start
time rather than from "now", so reminders never drift even when an episode runs late (the
Microsoft Learn sample adds ``i`` days to the *current* time, which fires the first reminder
immediately and lets the gaps grow). Intervals are capped at 6 days, so every timer is an
ordinary durable timer and the SDK never needs a LongTimerTask (SDK issue #573).

Output: ``{"recipient", "count", "interval", "startedAt", "reminders": [summary, ...]}`` where
each summary is what ``SendReminder`` returned plus ``number`` and ``dueAt``.
"""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df

from activities.notifications import SEND_REMINDER

from . import bp
from .models import REMINDERS_ORCHESTRATOR, ReminderPlan, format_duration, format_instant
from .orchestrator import Orchestration, now

logger = logging.getLogger(__name__)


@bp.orchestration_trigger(context_name="context", orchestration=REMINDERS_ORCHESTRATOR)
def reminders_orchestrator(context: df.DurableOrchestrationContext) -> Orchestration:
    """Send reminder 1..count, each after a durable timer at ``start + n * interval``.

    An invalid input fails the instance with a message naming every invalid field.
    """
    plan = ReminderPlan.from_input(context.get_input())
    started_at = now(context)
    sent: list[dict[str, Any]] = []
    for number in range(1, plan.count + 1):
        due_at = started_at + number * plan.interval
        context.set_custom_status({
            "sent": number - 1, "count": plan.count, "nextDueAt": format_instant(due_at),
        })
        yield context.create_timer(due_at)
        summary = yield context.call_activity(SEND_REMINDER, {
            "instanceId": context.instance_id,
            "to": plan.recipient,
            "at": format_instant(now(context)),
            "dueAt": format_instant(due_at),
            "number": number,
            "count": plan.count,
            "subject": plan.subject,
            "message": plan.message,
        })
        sent.append({"number": number, "dueAt": format_instant(due_at), **summary})
        if not context.is_replaying:
            logger.info("%s: reminder %d/%d sent", context.instance_id, number, plan.count)
    context.set_custom_status({"sent": plan.count, "count": plan.count, "nextDueAt": None})
    return {
        "recipient": plan.recipient,
        "count": plan.count,
        "interval": format_duration(plan.interval),
        "startedAt": format_instant(started_at),
        "reminders": sent,
    }
