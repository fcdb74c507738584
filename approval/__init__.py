"""Approval workflow blueprint: HTTP endpoints, the approval and the reminder orchestrators.

Modules by concept: ``durations`` (ISO 8601), ``validation`` (field-by-field checking),
``domain`` (the workflow's values and who may decide), ``identity`` (the signed-in caller),
``delivery`` (the one retry policy; failed notifications as data), ``status`` and
``reminder_status`` (custom status, output, business views), ``responses`` (the error shape),
``instances`` (durable client helpers), ``endpoints`` (the route table and the catch-all that
answers 404/405 in the app's error shape), ``api`` / ``reminders_api`` (HTTP), ``orchestrator`` /
``reminders`` (orchestrators).
"""

import azure.durable_functions as df

bp = df.Blueprint()

# Imported for their side effect: each module decorates its functions onto ``bp``.
from . import api, endpoints, orchestrator, reminders, reminders_api  # noqa: E402,F401

__all__ = ["bp"]
