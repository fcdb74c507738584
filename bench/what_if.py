"""What-if experiments: changes the lead might make, measured without touching the engine.

``--sdk-fast-timestamps`` replaces the SDK's ``dateutil.parser.parse`` of each history event's
``Timestamp`` (``azure/durable_functions/models/history/HistoryEvent.py``, called once per
event per episode) with ``datetime.fromisoformat``, which reads the host's round-trip format
(``2026-01-01T00:00:00.1234560Z``) directly; anything it cannot read still goes to dateutil.
The profile shows that parse as most of the SDK's replay time, so this bounds what a host-side
shim could gain. Results measured with it are labelled in ``config``; they are not the
shipping configuration.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

_MODULE = "azure.durable_functions.models.history.HistoryEvent"


def fast_history_timestamps() -> None:
    """Patch the SDK module's ``dt_parse`` (idempotent)."""
    import azure.durable_functions  # noqa: F401 - loads the module being patched

    module = sys.modules[_MODULE]
    original = getattr(module, "_bench_original_dt_parse", module.dt_parse)

    def dt_parse(text: str, *args: Any, **kwargs: Any) -> datetime:
        if not args and not kwargs:
            try:
                return datetime.fromisoformat(text)
            except (TypeError, ValueError):
                pass
        return original(text, *args, **kwargs)

    module._bench_original_dt_parse = original
    module.dt_parse = dt_parse
