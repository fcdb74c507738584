"""Activity blueprint: every side effect of the workflow (notifications) lives here."""

import azure.durable_functions as df

bp = df.Blueprint()

# Imported for its side effect: the module decorates its activities onto ``bp``.
from . import notifications  # noqa: E402,F401

__all__ = ["bp"]
