"""Approval workflow blueprint: HTTP endpoints, the approval and the reminder orchestrators."""

import azure.durable_functions as df

bp = df.Blueprint()

# Imported for their side effect: each module decorates its functions onto ``bp``.
from . import api, orchestrator, reminders  # noqa: E402,F401

__all__ = ["bp"]
